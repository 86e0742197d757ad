"""Subset records (``crbench run --limit N``) are ignored, with a note, by the leaderboard and the gate."""

import json

from click.testing import CliRunner

from crbench.cli import main
from crbench.leaderboard import collect_records
from crbench.leaderboard.regression import compare, exit_code, make_baseline, write_baseline

from .factory import make_record


def _subset(detector="toy", *, created="2026-11-28T09:00:00+00:00"):
    """A newer 1-image record of a toy detector, as ``--limit 1`` writes it."""
    record = make_record(detector, dataset="sim_lco_1m", status="subset", manifest_hash="b" * 64, created=created,
                         metrics={"tpr_at_fpr_1e-4": 1.0})
    record["failures"] = []
    record["dataset"].update({"n_images": 1, "n_images_requested": 1, "limit": 1, "n_images_available": 4})
    return record


def _full():
    return [make_record("deepcr", dataset="sim_lco_1m"), make_record("astroscrappy", dataset="sim_lco_1m")]


def test_a_newer_subset_record_never_becomes_the_current_group():
    collection = collect_records([*_full(), _subset()], sources=["deepcr.json", "astroscrappy.json", "toy.json"])
    assert len(collection.groups) == 1
    group = collection.groups[0]
    assert group.not_comparable is None
    assert [record.detector.name for record in group.records] == ["astroscrappy", "deepcr"]
    assert [record.detector.name for record in collection.all_run_records] == ["deepcr", "astroscrappy"]
    assert len(collection.subset_notes) == 1 and collection.subset_notes[0] in collection.notes
    assert "toy on sim_lco_1m: ignored subset record toy.json (1 of 4 images" in collection.subset_notes[0]


def test_the_gate_ignores_subset_records_instead_of_failing_them():
    baseline = make_baseline(_full())
    results = compare(baseline, [*_full(), _subset(), _subset("deepcr")])
    assert {result.verdict for result in results} == {"unchanged"}
    assert exit_code(results) == 0


def test_check_and_leaderboard_commands_name_the_ignored_subset(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    for record in [*_full(), _subset()]:
        path = results / f"run__{record['detector']['name']}__{record['status']}.json"
        path.write_text(json.dumps(record))
    write_baseline(make_baseline(_full()), tmp_path / "baseline.json")
    check = CliRunner().invoke(main, ["check", "--baseline", str(tmp_path / "baseline.json"),
                                      "--results", str(results)])
    assert check.exit_code == 0, check.output
    assert "ignored subset record run__toy__subset.json" in check.output  # stderr is mixed into output
    board = CliRunner().invoke(main, ["leaderboard", "--results", str(results), "--format", "csv",
                                      "--out", str(tmp_path / "board.csv")])
    assert board.exit_code == 0, board.output
    assert "2 run record(s)" in board.output and "ignored subset record run__toy__subset.json" in board.output
    table = (tmp_path / "board.csv").read_text()
    assert "deepcr" in table and "toy" not in table
