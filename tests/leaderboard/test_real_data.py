"""The leaderboard's "Real data" section: apart from the simulated ranking, the stress variants and published figures."""

import json
from pathlib import Path

import pytest

from crbench.leaderboard.collect import collect_records
from crbench.leaderboard.objects_table import object_scores_table
from crbench.leaderboard.render import render_html, render_latex, render_markdown
from crbench.leaderboard.sensitivity import collection_rows
from crbench.leaderboard.tables import (
    INTERVAL_NOTE,
    REAL_INTERVAL_NOTE,
    REAL_NO_PUBLISHED_NOTE,
    REAL_NOTE,
    build_leaderboard,
)

from .factory import make_record
from .test_objects_table import _objects_section

RECORDS = Path(__file__).resolve().parents[2] / "leaderboard" / "records"
CAVEAT = "few CR objects: a sanity check with wide intervals"


def _real(detector, dataset="decam_stack", *, value, caveat=CAVEAT, **options):
    record = make_record(detector, dataset, family="decam", metrics={"tpr_at_fpr_1e-4": value},
                         output_kind="mask" if detector == "astroscrappy" else "score", **options)
    record["dataset"]["card"] = {"kind": "real", "caveat": caveat}
    return record


def _stress(detector, value):
    record = make_record(detector, "sim_decam_sharp", metrics={"tpr_at_fpr_1e-4": value},
                         output_kind="mask" if detector == "astroscrappy" else "score")
    record["dataset"]["card"] = {"kind": "stress"}
    return record


def _records(*, real_detectors=("deepcr", "astroscrappy"), inject_detectors=("deepcr", "astroscrappy")):
    records = [make_record("deepcr", "sim_decam", metrics={"tpr_at_fpr_1e-4": 0.9}),
               make_record("astroscrappy", "sim_decam", metrics={"tpr_at_fpr_1e-4": 0.5}, output_kind="mask")]
    records += [_stress("deepcr", 0.1), _stress("astroscrappy", 0.8)]
    # on the real sets astroscrappy wins: it must move neither the simulated ranking nor the stress section
    records += [_real(name, value=0.95 if name == "astroscrappy" else 0.2) for name in real_detectors]
    records += [_real(name, "decam_inject", value=0.9 if name == "astroscrappy" else 0.3, caveat="")
                for name in inject_detectors]
    return records


def test_real_sets_never_vote_in_the_simulated_ranking():
    leaderboard = build_leaderboard(collect_records(_records()))
    assert list(leaderboard.ranking.frame["detector"]) == ["deepcr", "astroscrappy"]
    assert not any("decam_stack" in column or "decam_inject" in column for column in leaderboard.ranking.frame.columns)


def test_sections_run_standard_then_real_then_stress():
    leaderboard = build_leaderboard(collect_records(_records()))
    kinds = [section.group.kind for section in leaderboard.sections]
    assert kinds == ["standard", "real", "real", "stress"]
    assert leaderboard.sections[1].title.startswith("Real data: decam_inject")
    assert leaderboard.sections[2].title.startswith("Real data: decam_stack")
    assert leaderboard.sections[2].caveat == CAVEAT and leaderboard.sections[1].caveat == ""


def test_real_tables_show_intervals_note_and_no_published_columns():
    leaderboard = build_leaderboard(collect_records(_records()))
    standard, real = leaderboard.sections[0], leaderboard.sections[2]
    # the simulated sim_decam family has published DECam figures; the real set of the same family must not show them
    assert any("published" in column for column in standard.table1.frame.columns)
    assert not any("published" in column for column in real.table1.frame.columns)
    assert REAL_NO_PUBLISHED_NOTE in real.table1.notes and REAL_NO_PUBLISHED_NOTE in real.table2.notes


def test_real_interval_note_replaces_the_simulated_one():
    path = next(RECORDS.glob("run__sim_decam__small__test__astroscrappy__*.json"))
    record = json.loads(path.read_text())  # a committed record with bootstrap intervals
    assert record["uncertainty"]["metrics"]
    record["dataset"]["card"]["kind"] = "real"
    section = build_leaderboard(collect_records([record])).sections[0]
    assert REAL_INTERVAL_NOTE in section.table1.notes and INTERVAL_NOTE not in section.table1.notes
    assert "[" in section.table1.frame.iloc[0, 1]  # the cell carries its interval


def test_real_ranking_only_when_every_detector_ran_on_every_real_set():
    leaderboard = build_leaderboard(collect_records(_records()))
    assert list(leaderboard.real_ranking.frame["detector"]) == ["astroscrappy", "deepcr"]
    assert leaderboard.real_ranking.frame["data sets"].tolist() == [2, 2]
    assert leaderboard.real_ranking_note == ""

    partial = build_leaderboard(collect_records(_records(inject_detectors=("deepcr",))))
    assert partial.real_ranking is None
    assert "decam_inject" in partial.real_ranking_note and "lacks astroscrappy" in partial.real_ranking_note


def test_no_real_records_leave_the_page_as_before():
    records = [record for record in _records() if record["dataset"]["card"].get("kind") != "real"]
    collection = collect_records(records)
    leaderboard = build_leaderboard(collection)
    assert leaderboard.real_ranking is None and leaderboard.real_ranking_note == ""
    text = render_markdown(leaderboard, collection)
    assert "Real data" not in text and "Caveat" not in text


@pytest.mark.parametrize("render", ["md", "html"])
def test_page_shows_the_real_section_with_its_statement_and_caveat(render):
    collection = collect_records(_records())
    leaderboard = build_leaderboard(collection)
    if render == "md":
        text = render_markdown(leaderboard, collection)
        headings = ["## sim_decam (", "## Real data\n", "## Real data: decam_stack", "## Stress variants"]
        caveat = f"## Real data: decam_stack (small/test, v1)\n\n**Caveat:** {CAVEAT}"
    else:
        text = render_html(leaderboard, collection)
        headings = ["<h2>sim_decam (", "<h2 id='real-data'>Real data</h2>", "<h2>Real data: decam_stack",
                    "<h2 id='stress-variants'>"]
        caveat = f"<strong>Caveat:</strong> {CAVEAT}</p>"
        # under its own heading, before the section's first table
        stack = text.index("<h2>Real data: decam_stack")
        assert stack < text.index(caveat) < text.index("<h3>", stack)
    positions = [text.index(heading) for heading in headings]
    assert positions == sorted(positions)
    assert REAL_NOTE in text
    assert caveat in text and text.count(CAVEAT) == 1  # decam_inject states no caveat
    assert "Real data: ranking by TPR at 0.01 % FPR" in text


def test_latex_tables_carry_the_caveat():
    collection = collect_records(_records())
    text = render_latex(build_leaderboard(collection))
    assert "Caveat: few CR objects: a sanity check with wide intervals" in text


def test_real_object_scores_get_their_own_table():
    records = _records()
    for record in records:
        record["objects"] = _objects_section(miss_track=False)
    collection = collect_records(records)
    simulated = object_scores_table(collection)
    real = object_scores_table(collection, real=True)
    assert not simulated.frame["data set"].str.contains("decam_stack|decam_inject").any()
    assert set(real.frame["data set"].str.split().str[0]) == {"decam_stack", "decam_inject"}
    assert real.title == "Object-level scores, real data"
    assert f"Caveat, decam_stack (small/test, v1): {CAVEAT}" in real.notes
    assert not any("Caveat" in note for note in simulated.notes)
    text = render_markdown(build_leaderboard(collection), collection)
    assert text.index("## Real data: decam_stack") < text.index("## Object-level scores, real data")
    assert text.index("## Object-level scores, real data") < text.index("## Stress variants")


def test_protocol_sensitivity_rows_come_from_standard_sets_only():
    records = _records()
    rows = [{"detector": "deepcr", "dataset": "x", "protocol": "crbench"}]
    for record in records:
        record["protocol_sensitivity"] = {"rows": [dict(rows[0], dataset=record["dataset"]["name"])]}
    found, n_without = collection_rows(collect_records(records))
    assert {row["dataset"] for row in found} == {"sim_decam"} and n_without == 0
