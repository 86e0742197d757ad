"""Metric spec, summaries, thinned curves and JSON safety."""

import json

import numpy as np
import pytest

from crbench.errors import InputError
from crbench.scoring import (
    METRIC_SPEC_VERSION,
    METRIC_SPECS,
    PixelProtocol,
    PositiveScores,
    SweepCounts,
    ThresholdCounts,
    compute_metrics,
    score_images,
    summarize_scores,
    summarize_sweep,
)


def informative_items(seed=0, n_images=2, shape=(60, 70)):
    rng = np.random.default_rng(seed)
    items = []
    for index in range(n_images):
        truth = rng.random(shape) < 0.01
        scores = np.clip(rng.normal(0.2, 0.15, shape) + 0.5 * truth, 0, 1).astype(np.float32)
        items.append((truth, rng.random(shape) < 0.02, scores, f"img-{index}"))
    return items


def test_spec_table_is_complete():
    assert isinstance(METRIC_SPEC_VERSION, str)
    assert list(METRIC_SPECS) == ["tpr_at_fpr_1e-4", "tpr_at_fpr_1e-3", "purity_at_tpr_0.95", "f1", "iou", "fdr",
                                  "precision", "recall", "auroc", "average_precision"]
    assert METRIC_SPECS["fdr"].higher_is_better is False
    assert all(spec.description for spec in METRIC_SPECS.values())


def test_operating_point_metrics_from_counts():
    result = score_images(informative_items())
    counts = result.counts.counts_at(0.5)
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    metrics = result.metrics
    assert metrics["f1"]["value"] == 2 * tp / (2 * tp + fp + fn)
    assert metrics["iou"]["value"] == tp / (tp + fp + fn)
    assert metrics["fdr"]["value"] == fp / (tp + fp)
    assert metrics["precision"]["value"] == tp / (tp + fp)
    assert metrics["recall"]["value"] == tp / (tp + fn)
    assert metrics["f1"]["threshold"] == 0.5
    assert metrics["auroc"]["threshold"] is None


def test_summary_is_json_safe_and_keeps_reported_points():
    items = informative_items(n_images=3)
    options = {"truth_dilation": 3, "dilate_output": True, "ignore_policy": "exclude"}
    positives = PositiveScores.sum(PositiveScores.from_image(t, i, s, sample_id=sid, protocol=PixelProtocol(**options)) for t, i, s, sid in items)
    grid = positives.grid(extra_thresholds=(0.5,))
    states = [ThresholdCounts.from_image(t, i, s, grid=grid, sample_id=sid, protocol=PixelProtocol(**options)) for t, i, s, sid in items]
    summary = summarize_scores(sum(states), [("outcome", state) for state in states], operating_point=0.5,
                               max_curve_points=50)
    text = json.dumps(summary, allow_nan=False)
    summary = json.loads(text)
    assert summary["metric_spec_version"] == METRIC_SPEC_VERSION
    assert set(summary["per_image"]) == {"img-0", "img-1", "img-2"}
    curve = summary["curves"]
    assert len(curve["thresholds"]) <= 50
    assert curve["thresholds"][0] is None  # +inf: nothing flagged
    # the points used by the reported metrics are stored exactly
    for name in ("tpr_at_fpr_1e-3", "purity_at_tpr_0.95", "f1"):
        metric = summary["metrics"][name]
        if metric["threshold"] is None:
            continue
        index = curve["thresholds"].index(metric["threshold"])
        tp, fp = curve["tp"][index], curve["fp"][index]
        if name == "purity_at_tpr_0.95":
            assert metric["value"] == tp / (tp + fp)
        elif name == "f1":
            assert metric["value"] == 2 * tp / (tp + fp + curve["n_pos"])
        else:
            assert metric["value"] == tp / curve["n_pos"]
    # full counts allow recomputing every metric exactly
    total = ThresholdCounts.from_dict(summary["counts"])
    assert compute_metrics(total.curve(), operating_point=0.5) == summary["metrics"]
    assert summary["n_pixels_scored"] == total.n_pos + total.n_neg


def test_thinned_curve_is_a_subset_of_exact_points():
    result = score_images(informative_items(shape=(120, 130)))
    curve = result.curve
    thinned = curve.thinned(max_points=100, keep_thresholds=[0.5])
    assert len(thinned["tp"]) <= 100 and 0.5 in thinned["thresholds"]
    exact = {(t, tp, fp) for t, tp, fp in zip(curve.thresholds.tolist(), curve.tp.tolist(), curve.fp.tolist())}
    for t, tp, fp in zip(thinned["thresholds"], thinned["tp"], thinned["fp"]):
        assert (float("inf") if t is None else t, tp, fp) in exact
    assert thinned["tp"][-1] == curve.n_pos and thinned["fp"][-1] == curve.n_neg
    with pytest.raises(InputError, match="at least 2"):
        curve.thinned(max_points=1)


def test_sweep_summary():
    rng = np.random.default_rng(4)
    truth = rng.random((20, 20)) < 0.05
    masks = rng.random((3, 20, 20)) < np.array([0.01, 0.05, 0.2])[:, None, None]
    state = SweepCounts.from_image(truth, None, masks, values=[3.0, 2.0, 1.0], sample_id="a")
    summary = summarize_sweep(state, [state], operating_point=2.0)
    json.dumps(summary, allow_nan=False)
    assert summary["metrics"]["f1"]["threshold"] == 2.0
    assert summary["per_image"]["a"]["operating"][1]["threshold"] == 2.0


def test_grid_pickles_without_its_lookup_cache():
    import pickle

    truth = np.zeros((2, 2), bool)
    truth[0, 0] = True
    scores = np.array([[0.2, 0.3], [0.7, 0.1]], np.float32)
    grid = PositiveScores.from_image(truth, None, scores, protocol=PixelProtocol(truth_dilation=1)).grid()
    grid.binner(np.float32)
    restored = pickle.loads(pickle.dumps(grid))
    assert restored == grid and restored._binners == {}
    # the state counts the same on the restored grid
    assert ThresholdCounts.from_image(truth, None, scores, grid=restored, protocol=PixelProtocol(truth_dilation=1)).counts_at(0.5) == {
        "tp": 0, "fp": 1, "fn": 1, "tn": 2}


def test_score_map_always_reaches_an_fpr_target_even_with_tpr_zero():
    """Threshold +inf (flag nothing) is a real point of a score map: TPR 0 there is reported as 0.0, reached."""
    truth = np.zeros((20, 20), bool)
    truth[5, 5] = True
    scores = np.where(truth, 0.1, 0.9).astype(np.float32)  # every negative scores above the positive
    metrics = score_images([(truth, None, scores, "a")], protocol=PixelProtocol(truth_dilation=1)).metrics
    assert metrics["tpr_at_fpr_1e-4"] == {"value": 0.0, "threshold": None, "higher_is_better": True}


def test_sweep_metrics_of_an_unreached_target_are_none_with_the_strictest_point():
    tp, fp = np.array([50, 30]), np.array([500, 5])  # strictest point: FPR 5e-4 > 1e-4
    metrics = summarize_sweep(SweepCounts([1.0, 2.0], tp, fp, 100 - tp, 10_000 - fp), operating_point=2.0)["metrics"]
    assert metrics["tpr_at_fpr_1e-4"]["value"] is None
    assert metrics["tpr_at_fpr_1e-4"]["not_reached"] == {"lowest_fpr": 5e-4, "tpr": 0.3, "threshold": 2.0}
    assert json.loads(json.dumps(metrics)) == metrics
