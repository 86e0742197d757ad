"""crbench.leaderboard(...): the page's tables as DataFrames, cell for cell."""

import json
import sys

import crbench
import crbench.leaderboard.collect
from crbench.leaderboard import collect_records, load_results
from crbench.leaderboard.tables import build_leaderboard
from crbench.records import RunRecord
from tests.leaderboard.factory import make_bench, make_record


def _records_dir(tmp_path):
    for index, detector in enumerate(("deepcr", "astroscrappy", "cosmic_conn")):
        record = make_record(detector, metrics={"tpr_at_fpr_1e-4": 0.5 + index / 10})
        (tmp_path / f"run{index}.json").write_text(json.dumps(record))
    (tmp_path / "bench.json").write_text(json.dumps(make_bench("deepcr")))
    return tmp_path


def test_frames_are_the_page_tables_in_page_order(tmp_path):
    frames = crbench.leaderboard(_records_dir(tmp_path))
    board = build_leaderboard(load_results(tmp_path))
    section = board.sections[0]
    expected = [board.ranking.title, section.table1.title, section.table2.title] + [t.title for t in board.runtime]
    assert [title for title in frames if title in expected] == expected
    assert frames[section.table1.title].equals(section.table1.frame)
    assert frames[board.ranking.title].equals(board.ranking.frame)


def test_package_stays_callable_after_its_submodules_are_imported(tmp_path):
    # importing a sub-module binds crbench.leaderboard to the package: it must still be the function
    assert crbench.leaderboard is sys.modules["crbench.leaderboard"]
    assert callable(crbench.leaderboard)
    frames, notes = crbench.leaderboard(_records_dir(tmp_path), notes=True)
    assert set(frames) == set(notes) and all(isinstance(items, list) for items in notes.values())


def test_loaded_records_can_be_passed_directly(tmp_path):
    records = [RunRecord.from_dict(make_record(name)) for name in ("deepcr", "astroscrappy")]
    frames = crbench.leaderboard(records)
    board = build_leaderboard(collect_records(records))
    assert frames[board.ranking.title].equals(board.ranking.frame)
