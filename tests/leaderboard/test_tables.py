"""Leaderboard tables: layouts, formatting, flags, ranking, run time by hardware."""

import os
from pathlib import Path

import pandas as pd
import pytest

from crbench.leaderboard.collect import collect_records
from crbench.leaderboard.render import _md_table
from crbench.leaderboard.tables import (
    RANK_METRIC,
    build_leaderboard,
    format_value,
    ranking_table,
    results_frame,
    runtime_tables,
)

from .factory import make_bench, make_record

GOLDEN = Path(__file__).parent / "data"


def _collection():
    records = [
        make_record("deepcr", training_datasets=["decam"], metrics={"tpr_at_fpr_1e-4": 0.97123, "f1": 0.95}),
        make_record("astroscrappy", output_kind="mask", operating_point=3.0,
                    metrics={"tpr_at_fpr_1e-4": 0.61234, "purity_at_tpr_0.95": None}),
        make_record("cosmic_conn_pretrained", status="partial", operating_point=0.5,
                    metrics={"tpr_at_fpr_1e-4": 0.94, "fdr": 0.0312345}),
        make_record("deepcr", dataset="sim_lco_1m", operating_point=0.5, metrics={"tpr_at_fpr_1e-4": 0.5}),
        make_record("astroscrappy", dataset="sim_lco_1m", operating_point=4.5, output_kind="mask",
                    metrics={"tpr_at_fpr_1e-4": None}),
    ]
    return collect_records(records, [make_bench("deepcr", median_seconds=4.0), make_bench("astroscrappy", median_seconds=2.0),
                                     make_bench("deepcr", median_seconds=0.1, device="cuda", gpu="Test GPU")])


def _check_golden(name, text):
    path = GOLDEN / name
    if os.environ.get("CRBENCH_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), f"{name} changed; set CRBENCH_UPDATE_GOLDEN=1 to accept"


def test_table_layouts_match_golden_markdown():
    leaderboard = build_leaderboard(_collection())
    decam = leaderboard.sections[0]
    assert decam.title == "sim_decam (small/test, v1)"
    _check_golden("table1_sim_decam.md", _md_table(decam.table1) + "\n\n" + "\n".join(decam.table1.notes) + "\n")
    _check_golden("table2_sim_decam.md", _md_table(decam.table2) + "\n\n" + "\n".join(decam.table2.notes) + "\n")
    _check_golden("ranking.md", _md_table(leaderboard.ranking) + "\n\n" + "\n".join(leaderboard.ranking.notes) + "\n")


def test_formatting_percent_four_decimals_and_na():
    assert format_value(0.97123, "tpr_at_fpr_1e-4") == "97.12"
    assert format_value(0.0004, "purity_at_tpr_0.95") == "0.04"
    assert format_value(0.123456, "f1") == "0.1235"
    assert format_value(None, "f1") == "n/a"
    assert format_value(float("nan"), "iou") == "n/a"


def test_published_figures_sit_next_to_the_simulated_ones():
    table = build_leaderboard(_collection()).sections[0].table1.frame.set_index("detector")
    assert table.loc["deepcr †", "TPR at 0.01 % FPR (%)"] == "97.12"
    assert table.loc["deepcr †", "TPR at 0.01 % FPR (%) published [B22]"] == "97.06"
    assert table.loc["astroscrappy", "purity at 95 % TPR (%)"] == "n/a"
    assert table.loc["cosmic_conn_pretrained ‡", "TPR at 0.1 % FPR (%) published [B22]"] == "98.20"
    notes = " ".join(build_leaderboard(_collection()).sections[0].table1.notes)
    assert "trained on data of this data set family" in notes and "partial record" in notes
    assert "arXiv:2207.10411" in notes and "not simulated data" in notes


def test_results_frame_keeps_raw_values():
    group = _collection().groups[0]
    frame = results_frame(group, ["tpr_at_fpr_1e-4", "purity_at_tpr_0.95"])
    assert frame.loc["deepcr †", "tpr_at_fpr_1e-4"] == 0.97123
    assert pd.isna(frame.loc["astroscrappy", "purity_at_tpr_0.95"])
    assert bool(frame.loc["deepcr †", "trained"]) and bool(frame.loc["cosmic_conn_pretrained ‡", "partial"])


def test_ranking_uses_mean_rank_with_ties_and_na_last():
    ranking = ranking_table(_collection().groups, metric=RANK_METRIC).frame.set_index("detector")
    # sim_decam: deepcr 1, cosmic_conn_pretrained 2, astroscrappy 3; sim_lco_1m: deepcr 1, astroscrappy (n/a) 2
    assert ranking.loc["deepcr", "mean rank"] == "1.00"
    assert ranking.loc["astroscrappy", "mean rank"] == "2.50"
    assert ranking.loc["cosmic_conn_pretrained", "mean rank"] == "2.00"
    assert ranking.loc["deepcr", "sim_decam (small/test, v1)"] == "1 †"
    assert list(ranking.index) == ["deepcr", "cosmic_conn_pretrained", "astroscrappy"]


def test_ranking_ignores_not_comparable_groups():
    records = [make_record("deepcr", metrics={"tpr_at_fpr_1e-4": 0.1}),
               make_record("astroscrappy", metrics={"tpr_at_fpr_1e-4": 0.9}),
               make_record("lacosmic", version="0", created="2026-01-01T00:00:00+00:00")]
    ranking = ranking_table(collect_records(records).groups).frame
    assert "lacosmic" not in set(ranking["detector"])
    assert list(ranking["detector"]) == ["astroscrappy", "deepcr"]


def test_fdr_ranks_lower_first():
    records = [make_record("a", metrics={"fdr": 0.2}), make_record("b", metrics={"fdr": 0.1})]
    ranking = ranking_table(collect_records(records).groups, metric="fdr").frame
    assert list(ranking["detector"]) == ["b", "a"]


def test_runtime_is_grouped_by_hardware_and_never_ranked_across():
    tables = runtime_tables(_collection())
    titles = [table.title for table in tables]
    assert "Run time on CPU: Test CPU 3000 (crbench bench)" in titles
    assert "Run time on GPU: Test GPU (crbench bench)" in titles
    cpu = tables[titles.index("Run time on CPU: Test CPU 3000 (crbench bench)")].frame
    assert list(cpu["detector"]) == ["astroscrappy", "deepcr"]  # sorted by s/MP within the CPU only
    assert list(cpu["s per frame (median)"]) == ["2.000", "4.000"]
    assert cpu["peak memory (MiB)"].iloc[0] == "900"
    gpu = tables[titles.index("Run time on GPU: Test GPU (crbench bench)")].frame
    assert list(gpu["detector"]) == ["deepcr"]
    assert any(title.startswith("Published run time [B22]") for title in titles)


def test_newest_bench_record_wins_per_hardware():
    collection = collect_records([], [make_bench("deepcr", median_seconds=4.0, date="2026-01-01"),
                                      make_bench("deepcr", median_seconds=5.0, date="2026-02-01")])
    (table, *_) = runtime_tables(collection)
    assert list(table.frame["s per frame (median)"]) == ["5.000"]


@pytest.mark.parametrize("status", ["complete", "partial"])
def test_partial_mark_only_on_partial_records(status):
    group = collect_records([make_record("deepcr", status=status)]).groups[0]
    labels = list(results_frame(group, ["f1"]).index)
    assert labels == (["deepcr"] if status == "complete" else ["deepcr ‡"])


def test_bench_thread_settings_as_a_dict():
    bench = make_bench("deepcr")
    bench["threads"] = {"torch_threads": 2, "usable_cpus": 2, "process_threads": 9}
    (table, *_) = runtime_tables(collect_records([], [bench]))
    assert list(table.frame["threads"]) == [2]


def test_stress_variants_get_their_own_sections_outside_the_ranking():
    from crbench.leaderboard.render import render_markdown

    records = [make_record("deepcr", "sim_decam", metrics={"tpr_at_fpr_1e-4": 0.9}),
               make_record("astroscrappy", "sim_decam", metrics={"tpr_at_fpr_1e-4": 0.5}, output_kind="mask")]
    for detector, value in (("deepcr", 0.1), ("astroscrappy", 0.8)):
        stress = make_record(detector, "sim_decam_sharp", metrics={"tpr_at_fpr_1e-4": value},
                             output_kind="mask" if detector == "astroscrappy" else "score")
        stress["dataset"]["card"] = {"kind": "stress"}
        records.append(stress)
    collection = collect_records(records)
    leaderboard = build_leaderboard(collection)
    assert list(leaderboard.ranking.frame["detector"]) == ["deepcr", "astroscrappy"]  # the stress set did not vote
    assert all("sim_decam_sharp" not in column for column in leaderboard.ranking.frame.columns)
    titles = [section.title for section in leaderboard.sections]
    assert titles[0].startswith("sim_decam ") and titles[1].startswith("Stress variant: sim_decam_sharp")
    text = render_markdown(leaderboard, collection)
    assert text.index("## Stress variants") < text.index("## Stress variant: sim_decam_sharp")
    assert text.index("## sim_decam (") < text.index("## Stress variants")


def test_summary_ranking_shows_bootstrap_groups_when_records_have_replicates():
    from crbench.leaderboard.tables import BOOTSTRAP_GROUP_NOTE
    from tests.uncertainty.test_ranking import _records

    records = [record for name, record in _records().items() if name != "undefined"]
    table = ranking_table(collect_records(records).groups, metric="auroc")
    column = [name for name in table.frame.columns if name not in ("#", "detector", "mean rank", "data sets")][0]
    cells = dict(zip(table.frame["detector"], table.frame[column]))
    assert cells == {"leader": "1 g1", "close": "2 g1", "far": "3 g2", "farclose": "4 g2"}
    assert BOOTSTRAP_GROUP_NOTE in table.notes
    # records without replicates: the ranking is unchanged and no group is shown
    plain = ranking_table(_collection().groups, metric=RANK_METRIC)
    assert BOOTSTRAP_GROUP_NOTE not in plain.notes and not plain.frame.astype(str).apply(
        lambda column: column.str.contains(" g1")).any().any()


def test_a_record_without_replicates_is_left_out_of_the_groups_not_the_ranking():
    from tests.uncertainty.test_ranking import _records

    records = [record for name, record in _records().items() if name != "undefined"]
    old = next(record for record in records if record.detector.name == "close")
    old.uncertainty = None  # e.g. a record written before intervals existed
    table = ranking_table(collect_records(records).groups, metric="auroc")
    column = [name for name in table.frame.columns if name not in ("#", "detector", "mean rank", "data sets")][0]
    cells = dict(zip(table.frame["detector"], table.frame[column]))
    assert cells == {"leader": "1 g1", "close": "2", "far": "3 g2", "farclose": "4 g2"}


def _runtime_titles_and_tables(records):
    tables = runtime_tables(collect_records(records))
    return {table.title: table for table in tables}


def test_a_mixed_cpu_and_gpu_run_gets_its_own_flagged_runtime_table():
    mixed = make_record("deepcr", dataset="sim_lco_1m", seconds_per_megapixel=0.2)
    mixed["runtime"].update(device="cpu,cuda:0", devices={"cpu": 10, "cuda:0": 22})
    mixed["environment"]["gpus"] = [{"index": 0, "name": "Test GPU"}]
    tables = _runtime_titles_and_tables([make_record("astroscrappy", output_kind="mask", operating_point=3.0), mixed])
    title = ("Detect-stage time while scoring on MIXED CPU and GPU (CPU: Test CPU 3000 + GPU: Test GPU) "
             "(run records)")
    assert title in tables
    table = tables[title]
    assert list(table.frame["detector"]) == ["deepcr"]
    assert list(table.frame["devices (images)"]) == ["cpu: 10, cuda:0: 22"]
    assert table.notes[0].startswith("MIXED DEVICES:")
    # the CPU-only run keeps its table, without the column or the note
    cpu = tables["Detect-stage time while scoring on CPU: Test CPU 3000 (run records)"]
    assert list(cpu.frame["detector"]) == ["astroscrappy"] and "devices (images)" not in cpu.frame
    assert not any(note.startswith("MIXED") for note in cpu.notes)


def test_a_run_on_gpus_only_or_a_legacy_merged_mixed_run():
    gpu = make_record("deepcr", seconds_per_megapixel=0.2)
    gpu["runtime"].update(device="cuda:0,cuda:1", devices={"cuda:0": 2, "cuda:1": 2})
    gpu["environment"]["gpus"] = [{"name": "Test GPU"}]
    legacy = make_record("astroscrappy", dataset="sim_lco_1m", output_kind="mask", operating_point=3.0)
    legacy["runtime"]["device"] = "cpu,cuda"  # crbench merge of a CPU and a GPU shard, before device counts
    tables = _runtime_titles_and_tables([gpu, legacy])
    assert "Detect-stage time while scoring on GPU: Test GPU (run records)" in tables
    [mixed] = [table for title, table in tables.items() if "MIXED CPU and GPU" in title]
    assert list(mixed.frame["devices (images)"]) == ["cpu, cuda"]


def test_runtime_table_shows_the_flop_bound_where_recorded():
    measured = make_bench("att_cosmic_conn", median_seconds=8.0)
    measured.update(macs_per_pixel=98648.0, achieved_gflops=50.0, peak_gflops=150.0, flop_bound_ratio=3.0)
    (table, *_) = runtime_tables(collect_records([], [measured, make_bench("deepcr", median_seconds=4.0)]))
    frame = table.frame.set_index("detector")
    assert frame.loc["att_cosmic_conn", "x of FLOP bound"] == "3.00"
    assert frame.loc["deepcr", "x of FLOP bound"] == "n/a"  # an older record without the bound
    assert any("x of FLOP bound" in note for note in table.notes)
