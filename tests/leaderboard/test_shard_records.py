"""Shard records (``crbench run --shard i/N``) are ignored, with a note, by the leaderboard and the gate."""

from crbench.leaderboard import collect_records
from crbench.leaderboard.regression import compare, exit_code, make_baseline

from .factory import make_record


def _shard(detector="toy", *, index=0, count=4):
    """A newer 1-image shard record, as ``--shard 0/4`` writes it."""
    record = make_record(detector, dataset="sim_lco_1m", status="shard", manifest_hash="c" * 64,
                         created="2026-11-28T09:00:00+00:00", metrics={"tpr_at_fpr_1e-4": 1.0})
    record["failures"] = []
    record["dataset"].update({"n_images": 1, "n_images_requested": 1, "n_images_available": 4,
                              "shard": {"index": index, "count": count}})
    return record


def _full():
    return [make_record("deepcr", dataset="sim_lco_1m"), make_record("astroscrappy", dataset="sim_lco_1m")]


def test_a_shard_record_never_joins_or_becomes_the_current_group():
    collection = collect_records([*_full(), _shard()], sources=["deepcr.json", "astroscrappy.json", "toy.json"])
    assert len(collection.groups) == 1 and collection.groups[0].not_comparable is None
    assert [record.detector.name for record in collection.groups[0].records] == ["astroscrappy", "deepcr"]
    assert [record.detector.name for record in collection.all_run_records] == ["deepcr", "astroscrappy"]
    [note] = collection.subset_notes
    assert "toy on sim_lco_1m: ignored shard record toy.json (shard 0/4, 1 images" in note
    assert "crbench merge" in note and note in collection.notes


def test_the_gate_ignores_shard_records_instead_of_failing_them():
    baseline = make_baseline(_full())
    results = compare(baseline, [*_full(), _shard(), _shard("deepcr", index=1)])
    assert {result.verdict for result in results} == {"unchanged"}
    assert exit_code(results) == 0
