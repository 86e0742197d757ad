"""Grouping run records into comparable sets."""

import json

import pytest

from crbench.errors import InputError
from crbench.leaderboard.collect import collect_records, hardware_label, load_results, trained_on_family

from .factory import make_bench, make_record


def test_records_of_one_dataset_version_form_one_group():
    collection = collect_records([make_record("deepcr"), make_record("astroscrappy")])
    assert len(collection.groups) == 1
    assert [record.detector.name for record in collection.groups[0].records] == ["astroscrappy", "deepcr"]
    assert collection.groups[0].not_comparable is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"version": "2"}, "data set version"),
        ({"metric_spec_version": "2"}, "metric spec"),
        ({"manifest_hash": "b" * 64}, "different images"),
    ],
)
def test_other_versions_are_never_merged(change, reason):
    old = make_record("deepcr", created="2026-11-20T00:00:00+00:00")
    new = make_record("astroscrappy", created="2026-11-22T00:00:00+00:00", **change)
    collection = collect_records([old, new])
    assert len(collection.groups) == 2
    current, other = collection.groups
    assert current.records[0].detector.name == "astroscrappy"  # newest group is current
    assert current.not_comparable is None
    assert other.not_comparable.startswith("not comparable")
    assert reason in other.not_comparable
    assert any("not comparable" in note for note in collection.notes)


def test_sizes_and_splits_are_separate_groups_not_flagged():
    collection = collect_records([make_record(size="small"), make_record(size="full", manifest_hash="c" * 64)])
    assert len(collection.groups) == 2
    assert all(group.not_comparable is None for group in collection.groups)


def test_duplicates_keep_the_newest_and_say_so():
    older = make_record("deepcr", created="2026-11-20T00:00:00+00:00", metrics={"f1": 0.1})
    newer = make_record("deepcr", created="2026-11-21T00:00:00+00:00", metrics={"f1": 0.2})
    collection = collect_records([newer, older], sources=["b.json", "a.json"])
    (group,) = collection.groups
    assert len(group.records) == 1
    assert group.records[0].metrics["f1"].value == 0.2
    assert any("dropped an older duplicate" in note and "a.json" in note for note in collection.notes)


def test_a_complete_record_is_shown_over_a_newer_partial_duplicate():
    complete = make_record("deepcr", created="2026-11-20T00:00:00+00:00")
    partial = make_record("deepcr", status="partial", created="2026-11-21T00:00:00+00:00")
    collection = collect_records([partial, complete], sources=["b.json", "a.json"])
    (group,) = collection.groups
    assert [record.status for record in group.records] == ["complete"]
    assert any("kept the complete record" in note and "b.json" in note for note in collection.notes)
    assert len(collection.all_run_records) == 2  # the gate still sees the partial one


def test_a_future_date_neither_wins_a_duplicate_nor_makes_its_group_current():
    """A forged date far in the future displaced the real record and made a stale group the current one."""
    genuine = make_record("deepcr", created="2026-11-20T00:00:00+00:00", metrics={"f1": 0.2})
    forged = make_record("deepcr", created="2099-01-01T00:00:00+00:00", metrics={"f1": 0.1})
    collection = collect_records([forged, genuine], sources=["forged.json", "genuine.json"])
    assert collection.groups[0].records[0].metrics["f1"].value == 0.2
    assert any("forged.json" in note and "in the future" in note for note in collection.notes)
    current = make_record("deepcr", version="2", created="2026-11-20T00:00:00+00:00")
    stale = make_record("astroscrappy", version="1", created="2099-01-01T00:00:00+00:00")
    groups = collect_records([stale, current]).groups
    assert groups[0].key.version == "2" and groups[0].not_comparable is None
    assert groups[1].not_comparable is not None


def test_same_detector_with_other_params_is_kept():
    collection = collect_records([make_record("deepcr", params_hash="1" * 16), make_record("deepcr", params_hash="2" * 16)])
    assert len(collection.groups[0].records) == 2


def test_training_flag_matches_the_dataset_family():
    assert trained_on_family(make_record("deepcr", training_datasets=["DECam"], family="decam"))
    assert not trained_on_family(make_record("deepcr", training_datasets=["lco"], family="decam"))
    assert not trained_on_family(make_record("deepcr", training_datasets=[], family="decam"))


def test_hardware_label_separates_cpu_and_gpu():
    assert hardware_label({"cpu_model": "Xeon"}) == "CPU: Xeon"
    assert hardware_label({"cpu": "x86_64"}) == "CPU: x86_64"
    assert hardware_label({"cpu_model": "Xeon", "gpu": "A100"}, device="cuda") == "GPU: A100"
    assert hardware_label({}, device="cuda:0") == "GPU: unknown GPU"


def test_load_results_reads_runs_and_benches_and_skips_other_crbench_files(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "run.json").write_text(json.dumps(make_record()))
    (tmp_path / "sub" / "bench.json").write_text(json.dumps(make_bench()))
    (tmp_path / "baseline.json").write_text(json.dumps({"schema": "crbench.baseline/1", "entries": []}))
    collection = load_results(tmp_path)
    assert len(collection.groups) == 1 and len(collection.bench_records) == 1
    assert any("baseline.json" in item for item in collection.skipped)
    assert not any("baseline.json" in note for note in collection.notes)  # not page material


def test_load_results_errors_name_the_file(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_results(tmp_path / "nope")
    with pytest.raises(InputError, match="no crbench run or bench records"):
        load_results(tmp_path)
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(InputError, match="broken.json"):
        load_results(tmp_path)
    (tmp_path / "broken.json").write_text(json.dumps({"hello": 1}))
    with pytest.raises(InputError, match="broken.json is not a crbench record"):
        load_results(tmp_path)


def test_hardware_label_reads_bench_record_fields():
    environment = {"cpu_model": "EPYC", "gpus": [{"index": 0, "name": "A100", "cuda": "12"}]}
    assert hardware_label(environment, device="cuda") == "GPU: A100"
    assert hardware_label(environment, device="cuda", device_model="H100") == "GPU: H100"
    assert hardware_label({}, device="cpu", device_model="EPYC 7B13") == "CPU: EPYC 7B13"
