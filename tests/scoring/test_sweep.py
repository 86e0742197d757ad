"""Mask detectors: sweep counts, and their agreement with score curves."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crbench.scoring import PixelProtocol, SweepCounts, score_images, score_sweep_images

from .reference import brute_counts, flattened


def thresholded_stack(scores, thresholds):
    return np.stack([scores >= t for t in thresholds])


cases = st.fixed_dictionaries(
    {
        "seed": st.integers(0, 2**32 - 1),
        "n_images": st.integers(1, 3),
        "truth_fraction": st.sampled_from([0.02, 0.2, 0.6]),
        "dilate_output": st.booleans(),
        "ignore_policy": st.sampled_from(["exclude", "negative"]),
    }
)


@settings(max_examples=60, deadline=None, database=None)
@given(case=cases)
def test_sweep_of_thresholded_maps_equals_the_score_curve(case):
    """Masks "score >= t" for every distinct score reproduce the exact score curve."""
    rng = np.random.default_rng(case["seed"])
    options = {"dilate_output": case["dilate_output"], "ignore_policy": case["ignore_policy"], "truth_dilation": 3}
    items = []
    for index in range(case["n_images"]):
        shape = tuple(rng.integers(2, 12, size=2))
        truth = rng.random(shape) < case["truth_fraction"]
        scores = np.round(np.clip(rng.normal(0.4, 0.25, shape) + 0.3 * truth, 0, 1), 2).astype(np.float32)
        items.append((truth, rng.random(shape) < 0.1, scores, f"i{index}"))
    labels, flat = flattened(items, **options)
    # 2.0 flags nothing: the score curve's first point (threshold +inf), which a sweep has only if it measured it
    values = sorted(set(np.unique(flat).tolist()) | {0.5, 2.0}, reverse=True)
    # masks are thresholded *before* output dilation: thresholding commutes with it
    sweep_items = [(t, i, thresholded_stack(s, values), sid) for t, i, s, sid in items]
    sweep = score_sweep_images(sweep_items, values=values, operating_point=0.5, protocol=PixelProtocol(**options))
    score = score_images(items, operating_point=0.5, protocol=PixelProtocol(**options))
    for value, tp, fp in zip(sweep.counts.values, sweep.counts.tp, sweep.counts.fp):
        assert (tp, fp) == brute_counts(labels, flat, value)
    if labels.all() or not labels.any():
        return
    for name in ("tpr_at_fpr_1e-4", "tpr_at_fpr_1e-3", "purity_at_tpr_0.95", "f1", "iou", "fdr", "precision",
                 "recall"):
        assert sweep.metrics[name] == score.metrics[name], name
    # the sweep contains every ROC vertex, so its trapezoid area is the exact AUROC;
    # both areas are sums of the same terms in a different order
    for name in ("auroc", "average_precision"):
        assert sweep.metrics[name]["value"] == pytest.approx(score.metrics[name]["value"], abs=1e-12), name


def test_non_monotone_sweep_rules():
    # 100 positives, 10000 negatives, points in arbitrary sweep order
    values = [1.0, 2.0, 3.0, 4.0]
    tp = np.array([80, 60, 96, 96])
    fp = np.array([1, 0, 50, 30])
    counts = SweepCounts(values, tp, fp, 100 - tp, 10000 - fp)
    curve = counts.curve()
    assert curve.tpr_at_fpr(1e-4) == (0.8, 1.0)  # fp 1 / 10000 = 1e-4 is allowed
    assert curve.tpr_at_fpr(5e-5) == (0.6, 2.0)
    assert curve.tpr_at_fpr(0.0) == (0.6, 2.0)
    strict = SweepCounts(values, tp, fp + 5, 100 - tp, 10000 - fp - 5).curve()
    # no sweep value is that strict: not reached (None), never TPR 0
    assert strict.tpr_at_fpr(1e-4) == (None, None)
    assert strict.not_reached(1e-4) == {"lowest_fpr": 5e-4, "tpr": 0.6, "threshold": 2.0}
    assert curve.not_reached(1e-4) is None
    # both 3.0 and 4.0 reach TPR 0.96; 4.0 flags fewer pixels
    assert curve.precision_at_tpr(0.95) == (96 / 126, 4.0)
    assert curve.precision_at_tpr(0.99) == (None, None)
    expected_auc = np.trapezoid([0, 0.6, 0.8, 0.96, 0.96, 1], [0, 0, 1e-4, 30e-4, 50e-4, 1])
    assert curve.auroc() == pytest.approx(expected_auc, abs=1e-15)
    # AP over points sorted by recall: 0.6 @ 1.0, 0.8 @ 80/81, 0.96 @ 96/126
    expected_ap = 0.6 * 1.0 + 0.2 * 80 / 81 + 0.16 * 96 / 126
    assert curve.average_precision() == pytest.approx(expected_ap, abs=1e-15)
    assert counts.curve().counts_at(3.0) == {"tp": 96, "fp": 50, "fn": 4, "tn": 9950}


def test_sweep_counts_sum_and_round_trip():
    rng = np.random.default_rng(2)
    states = []
    for index in range(3):
        truth = rng.random((6, 7)) < 0.2
        masks = rng.random((3, 6, 7)) < 0.3
        states.append(SweepCounts.from_image(truth, None, masks, values=[1, 2, 3], sample_id=f"s{index}"))
    total = sum(states)
    assert total.tp.tolist() == [sum(int(s.tp[i]) for s in states) for i in range(3)]
    restored = SweepCounts.from_dict(json.loads(json.dumps(total.to_dict())))
    assert restored == total and len(restored.images) == 3
    with pytest.raises(Exception, match="different sweep values"):
        total + SweepCounts.from_image(truth, None, masks, values=[1, 2, 4])


def test_single_mask_with_one_value():
    truth = np.zeros((3, 3), bool)
    truth[1, 1] = True
    state = SweepCounts.from_image(truth, None, truth, values=[5.0], protocol=PixelProtocol(truth_dilation=1))
    assert state.curve().counts_at(5.0) == {"tp": 1, "fp": 0, "fn": 0, "tn": 8}
