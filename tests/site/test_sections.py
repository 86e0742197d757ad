"""What the site's sections show: rankings over complete coverage, no published columns beside crbench's."""

from crbench.leaderboard.collect import collect_records
from crbench.leaderboard.tables import TABLE1_METRICS, metric_table, ranking_table
from crbench.records import RunRecord
from crbench.site.sections import build_sections, detector_family, published_tables, section_ranking, site_metric_table

from ..leaderboard.factory import make_record


def test_a_section_ranks_only_detectors_evaluated_on_every_data_set():
    records = [make_record("deepcr", "sim_lco_1m", metrics={"tpr_at_fpr_1e-4": 0.9}),
               make_record("deepcr", "sim_lco_2m", metrics={"tpr_at_fpr_1e-4": 0.9}),
               make_record("astroscrappy", "sim_lco_1m", output_kind="mask", metrics={"tpr_at_fpr_1e-4": 0.5}),
               make_record("astroscrappy", "sim_lco_2m", output_kind="mask", metrics={"tpr_at_fpr_1e-4": 0.5}),
               # best on the one set it ran on: the one-page ranking puts it first with mean rank 1
               make_record("maximask", "sim_lco_1m", metrics={"tpr_at_fpr_1e-4": 0.99})]
    groups = collect_records(records).groups
    assert list(ranking_table(groups).frame["detector"])[0] == "maximask"  # what the site must not do

    table = section_ranking(groups, metric="tpr_at_fpr_1e-4")

    assert list(table.frame["detector"]) == ["deepcr", "astroscrappy"]
    assert list(table.frame["data sets"]) == [2, 2]
    assert any("maximask (no record on sim_lco_2m (small/test, v1))" in note for note in table.notes)


def test_metric_tables_leave_the_papers_columns_to_their_own_page():
    group = collect_records([make_record("deepcr", training_datasets=["decam"], metrics={"tpr_at_fpr_1e-4": 0.97123})]).groups[0]
    one_page = metric_table(group, TABLE1_METRICS, title="t")
    assert any("published [" in column for column in one_page.frame.columns)  # the one-page layout mixes them

    site = site_metric_table(group, TABLE1_METRICS, title="t")

    assert not any("published" in column for column in site.frame.columns)
    assert site.frame.loc[0, "detector"] == "deepcr †"
    assert site.frame.loc[0, "TPR at 0.01 % FPR (%)"] == "97.12"
    assert not any(note.startswith("published [") for note in site.notes)
    decam = next(table for table in published_tables() if table.title.endswith("family decam"))
    row = decam.frame[decam.frame["detector"] == "deepcr"]
    assert row.iloc[0]["TPR at 0.01 % FPR (%) [B22]"] == "97.06"


def test_a_partial_record_never_displaces_the_complete_one():
    complete = make_record("deepcr", metrics={"f1": 0.9}, created="2026-11-22T01:00:00+00:00")
    partial = make_record("deepcr", metrics={"f1": 0.1}, status="partial", created="2026-11-23T01:00:00+00:00")
    [section] = build_sections(collect_records([complete, partial]), metric="tpr_at_fpr_1e-4")
    _, table2 = section.tables[id(section.groups[0])]
    assert list(table2.frame["F1"]) == ["0.9000"]


def test_not_reached_cells_and_families():
    record = make_record("astroscrappy", output_kind="mask")
    record["metrics"]["tpr_at_fpr_1e-4"].update(value=None, threshold=None,
                                                not_reached={"lowest_fpr": 2.1e-4, "tpr": 0.4, "threshold": 20.0})
    group = collect_records([record]).groups[0]
    table = site_metric_table(group, TABLE1_METRICS, title="t")
    assert table.frame.loc[0, "TPR at 0.01 % FPR (%)"] == "not reached (FPR >= 2.10e-04)"
    assert detector_family(RunRecord.from_dict(record).detector) == "classical"
    learned = RunRecord.from_dict(make_record("cosmic_conn_pretrained")).detector
    learned.class_path = "crbench.detectors.cosmic_conn_adapter:CosmicCoNNPretrained"
    assert detector_family(learned) == "cosmic_conn"
    learned.extra["family"] = "Cosmic-CoNN"
    assert detector_family(learned) == "Cosmic-CoNN"  # a stated family wins
