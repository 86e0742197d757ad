"""build_run_record reads the RunResult's snapshots, never the live detector or data set."""

import dataclasses
import json

from crbench.commands.options import parse_key_values
from crbench.jobs import build_dataset, build_detector
from crbench.records import RunRecord, build_run_record, metric_problems, write_record
from crbench.runner import run_detector


def _run(detector_name, args=""):
    detector = build_detector(detector_name, parse_key_values(args))
    dataset, dataset_kwargs = build_dataset("tiny")
    return run_detector(detector, dataset, limit=3, progress=False, dataset_kwargs=dataset_kwargs)


def _without_volatile(record):
    data = record.to_dict()
    for key in ("created", "environment"):
        data.pop(key)
    return data


def test_record_is_built_from_snapshots_only(tmp_path):
    result = _run("constant", "value=0.3")
    # a RunResult holds no live detector or data set a record builder could reach back into
    assert not {"detector", "dataset"} & {field.name for field in dataclasses.fields(result)}
    detached = build_run_record(result)
    assert detached.detector.to_dict() == result.detector_info
    assert detached.detector.params["value"] == 0.3
    assert detached.dataset.truth_dilation == result.truth_dilation
    assert detached.runtime.peak_rss_bytes == result.peak_rss_bytes > 0
    assert detached.runtime.n_sweep_values == result.n_sweep_values == 0
    assert metric_problems(detached) == []
    path = write_record(detached, tmp_path)
    assert RunRecord.from_dict(json.loads(path.read_text())) == detached


def test_snapshots_do_not_follow_later_changes_of_the_detector():
    detector = build_detector("constant", {"value": 0.3})
    dataset, dataset_kwargs = build_dataset("tiny")
    result = run_detector(detector, dataset, limit=3, progress=False, dataset_kwargs=dataset_kwargs)
    detector.params["value"] = 0.9  # e.g. a caller re-using the detector for the next run
    assert build_run_record(result).detector.params["value"] == 0.3


def test_mask_detector_snapshot_records_its_sweep_length():
    result = _run("astroscrappy", "sweep=[2.0,4.0,8.0],sigclip=4.0")
    record = build_run_record(result)
    assert record.runtime.n_sweep_values == 3 and record.counts.kind == "sweep"
    assert record.detector.swept_parameter == "sigclip"
    assert metric_problems(record) == []
