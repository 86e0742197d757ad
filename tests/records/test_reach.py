"""TPR at FPR targets a sweep never reached: null with the lowest FPR, never 0 (records, legacy records, tables)."""

import json
from pathlib import Path

import numpy as np
import pytest

from crbench.records import (
    Metric,
    RecordError,
    RunRecord,
    metric_problems,
    metrics_table,
    not_reached_text,
    upgrade_not_reached,
)
from crbench.records.parts import StoredCounts
from crbench.scoring import SweepCounts, compute_metrics

# records in older formats, which the rebuilt leaderboard no longer holds (tests/data/legacy_records/README.md)
LEGACY_RECORDS = Path(__file__).resolve().parents[1] / "data" / "legacy_records"
# committed before the rule: LACosmic's strictest point on sim_decam has FPR > 1e-4, stored as TPR 0.0
LEGACY = LEGACY_RECORDS / "run__sim_decam__small__test__lacosmic__8635ef21b7610b17.json"


def _sweep_counts(tp, fp, *, n_pos=100, n_neg=10_000, values=(2.0, 4.0, 8.0)):
    tp, fp = np.asarray(tp), np.asarray(fp)
    return SweepCounts(values, tp, fp, n_pos - tp, n_neg - fp)


def test_committed_legacy_record_reads_not_reached_instead_of_zero():
    data = json.loads(LEGACY.read_text())
    assert data["metrics"]["tpr_at_fpr_1e-4"]["value"] == 0.0  # what the file says (old convention)
    record = RunRecord.load(LEGACY)
    metric = record.metrics["tpr_at_fpr_1e-4"]
    counts = data["counts"]
    rates = np.asarray(counts["fp"]) / (np.asarray(counts["fp"]) + np.asarray(counts["tn"]))
    assert metric.value is None and record.metric_value("tpr_at_fpr_1e-4") is None
    assert metric.lowest_fpr == pytest.approx(rates.min(), rel=1e-15) and metric.lowest_fpr > 1e-4
    assert metric.not_reached["threshold"] == counts["values"][int(np.argmin(rates))]
    # the upgraded record agrees with its own counts: nothing for the regression check to flag
    assert metric_problems(record) == []
    assert "not reached (FPR >= " in metrics_table(record)


def test_sweep_that_never_reaches_the_target_reports_none_with_the_lowest_fpr():
    # strictest point (8.0): FP 3 / 10000 = 3e-4 > 1e-4, TPR 0.42
    metrics = compute_metrics(_sweep_counts([90, 70, 42], [900, 40, 3]).curve(), operating_point=4.0)
    assert metrics["tpr_at_fpr_1e-4"] == {
        "value": None, "threshold": None, "higher_is_better": True,
        "not_reached": {"lowest_fpr": 3e-4, "tpr": 0.42, "threshold": 8.0},
    }
    assert metrics["tpr_at_fpr_1e-3"]["value"] == 0.42 and "not_reached" not in metrics["tpr_at_fpr_1e-3"]
    metric = Metric.from_dict(metrics["tpr_at_fpr_1e-4"], where="metrics.tpr_at_fpr_1e-4")
    assert metric.to_dict() == metrics["tpr_at_fpr_1e-4"] and metric.lowest_fpr == 3e-4


def test_a_reached_point_with_tpr_zero_stays_zero():
    # the strictest point flags 1 negative and no positive: FPR 1e-4 reached, TPR 0 measured
    counts = _sweep_counts([90, 70, 0], [900, 40, 1])
    metrics = compute_metrics(counts.curve(), operating_point=4.0)
    assert metrics["tpr_at_fpr_1e-4"] == {"value": 0.0, "threshold": None, "higher_is_better": True}
    legacy = {name: Metric.from_dict(metric, where=name) for name, metric in metrics.items()}
    stored = StoredCounts.from_dict(counts.to_dict(include_images=False))
    assert upgrade_not_reached(legacy, stored) == []
    assert legacy["tpr_at_fpr_1e-4"].value == 0.0


def test_legacy_zero_of_a_score_map_is_never_converted():
    metrics = {"tpr_at_fpr_1e-4": Metric(0.0, None, True)}
    assert upgrade_not_reached(metrics, None) == []
    assert metrics["tpr_at_fpr_1e-4"].value == 0.0


def test_metric_with_a_value_and_not_reached_is_rejected():
    with pytest.raises(RecordError, match="not_reached"):
        Metric.from_dict({"value": 0.5, "threshold": None, "higher_is_better": True,
                          "not_reached": {"lowest_fpr": 2e-4, "tpr": 0.4, "threshold": 20.0}}, where="m")
    with pytest.raises(RecordError, match="lowest_fpr"):
        Metric.from_dict({"value": None, "threshold": None, "higher_is_better": True, "not_reached": {}}, where="m")


def test_a_stored_not_reached_that_contradicts_the_counts_is_a_problem():
    record = RunRecord.load(LEGACY).to_dict()
    record["metrics"]["tpr_at_fpr_1e-4"]["not_reached"]["lowest_fpr"] = 1.5e-4
    problems = metric_problems(RunRecord.from_dict(record))
    assert any("tpr_at_fpr_1e-4 not_reached" in problem for problem in problems)


def test_not_reached_text():
    assert not_reached_text(2.1e-4) == "not reached (FPR >= 2.10e-04)"
