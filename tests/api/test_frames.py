"""crbench.load_records: run records as a DataFrame, one row per record."""

import json
import shutil
from pathlib import Path

import pytest

import crbench
from crbench.api.frames import IDENTITY_COLUMNS, RUNTIME_COLUMNS, record_row
from crbench.errors import InputError
from crbench.records import RecordError, RunRecord
from tests.leaderboard.factory import make_bench, make_record

COMMITTED = Path(__file__).resolve().parents[2] / "leaderboard" / "records"


def _committed_record():
    """A committed leaderboard record with a bootstrap section and an identity hash."""
    for path in sorted(COMMITTED.glob("run__sim_decam__small__test__astroscrappy__*.json")):
        return path
    pytest.skip("no committed astroscrappy record on sim_decam")


def _write(directory, name, payload):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(json.dumps(payload))


def test_row_holds_identity_metrics_intervals_and_runtime():
    path = _committed_record()
    record = RunRecord.load(path)
    row = record_row(record)
    assert list(row)[: len(IDENTITY_COLUMNS)] == list(IDENTITY_COLUMNS)
    assert row["detector"] == "astroscrappy" and row["params_hash"] == record.detector.params_hash
    assert row["detector_identity_hash"] == record.detector.extra["identity_hash"]
    assert (row["dataset"], row["size"], row["split"], row["dataset_kind"]) == ("sim_decam", "small", "test", "standard")
    for name, metric in record.metrics.items():
        assert row[name] == metric.value
        assert (row[f"{name}_low"], row[f"{name}_high"]) == record.uncertainty.interval(name)
    assert row["peak_rss_bytes"] == record.runtime.peak_rss_bytes and row["device"] == record.runtime.device
    assert set(RUNTIME_COLUMNS) <= set(row) and row["source"] == str(path)


def test_directory_gives_one_row_per_run_record_and_skips_other_files(tmp_path):
    _write(tmp_path, "a.json", make_record("deepcr"))
    _write(tmp_path / "nested", "b.json", make_record("astroscrappy", output_kind="mask", status="partial"))
    _write(tmp_path, "c.json", make_record("lacosmic", status="subset"))
    _write(tmp_path, "bench.json", make_bench("deepcr"))
    _write(tmp_path, "baseline.json", {"schema": "crbench.baseline/1"})
    frame = crbench.load_records(tmp_path)
    assert sorted(frame["detector"]) == ["astroscrappy", "deepcr", "lacosmic"]
    # every status is a row (the leaderboard drops subsets; a notebook filters itself)
    assert sorted(frame["status"]) == ["complete", "partial", "subset"]
    # a record without intervals has empty bounds, not made-up ones
    assert frame["f1"].tolist() == [0.91234] * 3
    assert frame["f1_low"].isna().all() and frame["f1_high"].isna().all()


def test_files_and_lists_of_paths(tmp_path):
    _write(tmp_path / "one", "a.json", make_record("deepcr"))
    _write(tmp_path / "two", "b.json", make_record("maximask"))
    single = crbench.load_records(tmp_path / "one" / "a.json")
    assert single["detector"].tolist() == ["deepcr"]
    both = crbench.load_records([tmp_path / "one", str(tmp_path / "two" / "b.json")])
    assert both["detector"].tolist() == ["deepcr", "maximask"]


def test_committed_records_load_with_their_metric_columns(tmp_path):
    shutil.copy(_committed_record(), tmp_path)
    frame = crbench.load_records(tmp_path)
    assert {"tpr_at_fpr_1e-4", "tpr_at_fpr_1e-4_low", "tpr_at_fpr_1e-4_high", "seconds_per_megapixel"} <= set(frame)


def test_errors_name_the_path(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        crbench.load_records(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no crbench run records"):
        crbench.load_records(tmp_path / "empty")
    broken = make_record()
    del broken["dataset"]["split"]
    _write(tmp_path / "bad", "r.json", broken)
    with pytest.raises(RecordError, match=r"r\.json.*dataset\.split"):
        crbench.load_records(tmp_path / "bad")
