"""metric_problems: finite metrics that agree with the record's own counts."""

import json
import math
from pathlib import Path

import pytest

from crbench.records import METRIC_TOLERANCE, RunRecord, metric_problems, recompute_metrics

RECORDS = Path(__file__).resolve().parents[2] / "leaderboard" / "records"
SCORE_FILE = next(RECORDS.glob("run__sim_lco_1m__small__test__cosmic_conn_pretrained__*.json"))
SWEEP_FILE = next(RECORDS.glob("run__sim_lco_1m__small__test__astroscrappy__*.json"))


def _record(path=SCORE_FILE):
    return json.loads(path.read_text())


@pytest.mark.parametrize("path", sorted(RECORDS.glob("run__*.json")), ids=lambda path: path.name)
def test_committed_records_agree_with_their_counts_exactly(path):
    record = RunRecord.load(path)
    assert metric_problems(record) == []
    recomputed = recompute_metrics(record)
    assert {name: metric.to_dict() for name, metric in record.metrics.items()} == recomputed  # bit-identical


@pytest.mark.parametrize("path", [SCORE_FILE, SWEEP_FILE], ids=["score", "sweep"])
@pytest.mark.parametrize(
    ("value", "expected"),
    [(math.nan, "f1 is nan, not a finite number"), (math.inf, "f1 is inf, not a finite number"),
     (1.5, "f1 = 1.5 is outside [0, 1]")],
)
def test_non_finite_or_impossible_values_are_problems(path, value, expected):
    data = _record(path)
    data["metrics"]["f1"]["value"] = value
    assert metric_problems(data) == [expected]


@pytest.mark.parametrize("path", [SCORE_FILE, SWEEP_FILE], ids=["score", "sweep"])
def test_a_value_that_contradicts_the_counts_is_a_problem(path):
    data = _record(path)
    stored = data["metrics"]["tpr_at_fpr_1e-4"]["value"]
    data["metrics"]["tpr_at_fpr_1e-4"]["value"] = stored + 0.001 if stored < 0.5 else stored - 0.001
    (problem,) = metric_problems(data)
    assert problem.startswith("tpr_at_fpr_1e-4 = ") and f"which give {stored!r}" in problem


def test_tolerance_is_tiny_but_not_zero():
    data = _record()
    data["metrics"]["auroc"]["value"] += METRIC_TOLERANCE / 2
    assert metric_problems(data) == []
    data["metrics"]["auroc"]["value"] += 10 * METRIC_TOLERANCE
    assert len(metric_problems(data)) == 1


def test_a_moved_threshold_or_flipped_direction_is_a_problem():
    data = _record()
    data["metrics"]["f1"]["threshold"] = 0.25
    data["metrics"]["fdr"]["higher_is_better"] = True
    problems = metric_problems(data)
    assert any(problem.startswith("f1 threshold 0.25 contradicts") for problem in problems)
    assert any(problem.startswith("fdr claims higher_is_better=True") for problem in problems)


def test_a_metric_dropped_from_a_record_with_counts_is_a_problem():
    data = _record()
    del data["metrics"]["iou"]
    assert metric_problems(data) == ["iou is missing although the counts define it"]


def test_records_without_counts_or_of_another_spec_are_only_checked_for_finite_fractions():
    data = _record()
    data["counts"] = None
    data["metrics"]["f1"]["value"] = 0.123  # not checkable without counts
    assert metric_problems(data) == []
    data = _record()
    data["metric_spec_version"] = "0"
    data["metrics"]["f1"]["value"] = 0.123
    assert metric_problems(data) == []
    data["metrics"]["f1"]["value"] = math.nan
    assert metric_problems(data) == ["f1 is nan, not a finite number"]
