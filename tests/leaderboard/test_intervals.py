"""Leaderboard cells carry the records' bootstrap intervals."""

from crbench.jobs import Job, run_job
from crbench.leaderboard.collect import load_results
from crbench.leaderboard.tables import INTERVAL_NOTE, build_leaderboard, format_value


def test_table_cells_show_value_and_interval_from_the_record(tmp_path, isolated_cache):
    record = run_job(Job("random", "tiny"), results_dir=tmp_path / "records").record
    section = build_leaderboard(load_results(tmp_path / "records")).sections[0]
    row = section.table1.frame.iloc[0]
    for metric, column in (("tpr_at_fpr_1e-3", "TPR at 0.1 % FPR (%)"), ("purity_at_tpr_0.95", "purity at 95 % TPR (%)")):
        low, high = record.uncertainty.interval(metric)
        value = record.metric_value(metric)
        assert low is not None and high is not None and low <= value <= high
        assert row[column] == f"{format_value(value, metric)} [{format_value(low, metric)}, {format_value(high, metric)}]"
    f1_low, f1_high = record.uncertainty.interval("f1")
    assert section.table2.frame.iloc[0]["F1"].endswith(f"[{f1_low:.4f}, {f1_high:.4f}]")
    assert INTERVAL_NOTE in section.table1.notes


def test_records_without_intervals_print_the_value_alone(tmp_path, isolated_cache):
    from crbench.jobs.run import run_job as run
    from crbench.uncertainty import BootstrapSettings

    record = run(Job("random", "tiny"), results_dir=tmp_path / "records", bootstrap=BootstrapSettings(n_resamples=0)).record
    assert record.uncertainty is None
    section = build_leaderboard(load_results(tmp_path / "records")).sections[0]
    value = record.metric_value("tpr_at_fpr_1e-3")
    assert section.table1.frame.iloc[0]["TPR at 0.1 % FPR (%)"] == format_value(value, "tpr_at_fpr_1e-3")
    assert INTERVAL_NOTE not in section.table1.notes
