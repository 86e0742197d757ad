"""Exact, streaming, mergeable pixel-level scoring of cosmic-ray detectors.

Pixel protocol (:mod:`crbench.scoring.pixels`)
----------------------------------------------
Truth is dilated with a square of side ``truth_dilation`` (odd; 1 = none).
Detectors with ``dilate_output`` get a 3x3 grey dilation (maximum filter) of
their score map, or a 3x3 binary dilation of their masks; thresholding
commutes with the maximum filter. Ignored pixels are excluded from every
count (``ignore_policy="exclude"``, the default) or, with
``ignore_policy="negative"`` (the Cosmic-CoNN / deepCR convention), forced
to truth = False after dilation and still scored as negatives.

Thresholds and metrics (:mod:`crbench.scoring.curve`, :mod:`.metrics`)
-----------------------------------------------------------------------
A pixel is predicted positive when ``score >= threshold``. TPR at FPR is the
largest TPR among thresholds with FPR <= target (no interpolation); purity
at TPR is the precision at the highest threshold with TPR >= target. The
threshold used is reported with each value. Undefined metrics are None.

Exact two-pass algorithm
------------------------
Results equal scikit-learn's ``roc_curve``, ``precision_recall_curve``,
``roc_auc_score`` and ``average_precision_score`` on the same flattened
pixels (tested to 1e-12), without ever holding all pixels:

1. **Pass 1** (:class:`PositiveScores`): per image, collect the scores of
   the positive pixels as sorted unique values with counts. States merge by
   union; memory ~ number of cosmic-ray pixels.
2. **Grid** (:class:`ThresholdGrid`): the union of all positive scores plus
   the operating threshold(s). TPR changes only at these values.
3. **Pass 2** (:class:`ThresholdCounts`): per image, count positives and
   negatives *equal to* each grid value and negatives *strictly between*
   consecutive grid values. These are integer vectors on a shared grid, so
   per-image states are simply summed; per-image scalar counts
   (:class:`ImageCounts`) ride along.
4. **Curve** (:class:`Curve`): cumulative sums over the grid, in descending
   threshold order, give TP and FP at every grid threshold and at the end of
   every horizontal ROC segment, which is enough for exact TPR@FPR,
   purity@TPR, AUROC (Mann-Whitney with ties = trapezoid) and AP.

Mask detectors evaluated over a parameter sweep use :class:`SweepCounts`
(TP/FP/FN/TN per sweep value, summable); see :mod:`crbench.scoring.sweep`
for how their metrics are defined.

Typical use (what the runner does)::

    positives = PositiveScores.sum(PositiveScores.from_image(t, i, s, **opts) for ...)
    grid = positives.grid(extra_thresholds=(0.5,))
    total = sum(ThresholdCounts.from_image(t, i, s, grid=grid, **opts) for ...)
    metrics = compute_metrics(total.curve(), operating_threshold=0.5)
"""

from .counts import ImageCounts, ThresholdCounts
from .curve import Curve, auroc, average_precision, counts_at_threshold, precision_at_tpr, tpr_at_fpr
from .grid import PositiveScores, ThresholdGrid
from .metrics import METRIC_SPEC_VERSION, METRIC_SPECS, MetricSpec, compute_metrics
from .pixels import (
    IGNORE_POLICIES,
    PreparedPixels,
    dilate_mask,
    dilate_scores,
    prepare_pixels,
    validate_masks,
    validate_scores,
)
from .summary import ScoringResult, score_images, score_sweep_images, summarize_scores, summarize_sweep
from .sweep import SweepCounts, SweepCurve

__all__ = [
    "IGNORE_POLICIES",
    "METRIC_SPEC_VERSION",
    "METRIC_SPECS",
    "MetricSpec",
    "PreparedPixels",
    "prepare_pixels",
    "dilate_mask",
    "dilate_scores",
    "validate_scores",
    "validate_masks",
    "PositiveScores",
    "ThresholdGrid",
    "ThresholdCounts",
    "ImageCounts",
    "Curve",
    "SweepCounts",
    "SweepCurve",
    "tpr_at_fpr",
    "precision_at_tpr",
    "counts_at_threshold",
    "auroc",
    "average_precision",
    "compute_metrics",
    "summarize_scores",
    "summarize_sweep",
    "ScoringResult",
    "score_images",
    "score_sweep_images",
]
