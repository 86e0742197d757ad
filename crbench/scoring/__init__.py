"""Exact, streaming, mergeable pixel-level scoring of cosmic-ray detectors.

Pixel protocol (:mod:`.protocol`, :mod:`.pixels`, :mod:`.prepare`)
-----------------------------------------------------------------
One frozen, validated :class:`PixelProtocol` holds the rules and every
scorer takes it (``protocol=``). Truth is dilated with a square of side
``truth_dilation`` (odd; 1 = none). Detectors with ``dilate_output`` get a
grey dilation (maximum filter) of their score map, or a binary dilation of
their masks, with a square of side ``OUTPUT_DILATION`` (3); thresholding
commutes with the maximum filter. Ignored pixels are excluded from every
count (``ignore_policy="exclude"``, the default) or, with
``ignore_policy="negative"``, forced
to truth = False after dilation and still scored as negatives; with
``ignore_policy="zero"`` (the Cosmic-CoNN / deepCR code's ``prediction *
(1 - ignore)``) their score is also set to 0 before output dilation.
``footprint="cross"`` dilates with deepCR's 3x3 cross instead of a square.
Named protocol presets (:mod:`.presets`) reproduce each paper's evaluation
rule by rule (pixel rules, threshold grid, TPR/purity/F1 reading,
subsampling); :mod:`.preset_scoring` scores a stream under one.
:func:`prepare_image` applies these rules to one image, once, for every
counter; :func:`prepare_pixels` materialises the same pixels for tests.

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

Memory: pass-1 states hold the distinct positive scores; a pass-2 state
holds three integer vectors of the grid's length (keep only
``state.images`` per image, and sum states as you go); per image, the
scorer allocates boolean masks of the image size and block-sized buffers,
never a copy of all pixels of a data set.

Mask detectors evaluated over a parameter sweep use :class:`SweepCounts`
(TP/FP/FN/TN per sweep value, summable); see :mod:`crbench.scoring.sweep`
for how their metrics are defined.

Object-level and stratified scores (:mod:`.objects`, :mod:`.stars`,
:mod:`.object_stream`) count CR objects, found objects and false-positive
objects at the operating point, per image and additively, with strata by
event kind, length, charge and distance to the nearest source.

Both passes over many images are one stream (:mod:`.stream`), used by the
runner (maps loaded from the score cache) and by :func:`score_images`
(maps in memory)::

    protocol = PixelProtocol(truth_dilation=3, dilate_output=False, ignore_policy="exclude")
    sources = [ImageSource(sample_id, load_masks=..., load_output=...) for ...]
    total = score_stream(sources, protocol=protocol, operating_point=0.5)
    metrics = compute_metrics(total.curve(), operating_point=0.5)
"""

from .counts import ImageCounts, ThresholdCounts
from .curve import Curve, auroc, average_precision, counts_at_threshold, precision_at_tpr, tpr_at_fpr
from .grid import PositiveScores, ThresholdGrid
from .metrics import FPR_TARGETS, METRIC_SPEC_VERSION, METRIC_SPECS, MetricSpec, compute_metrics
from .object_stream import ObjectSource, object_stream
from .objects import (
    OBJECTS_SPEC_VERSION,
    ObjectExtras,
    ObjectOptions,
    object_counts,
    object_metrics,
    operating_mask,
    sum_object_counts,
)
from .pixels import PreparedPixels, dilate_mask, dilate_scores, prepare_pixels, validate_masks, validate_scores
from .prepare import PreparedImage, prepare_image
from .presets import PRESETS, ProtocolPreset, get_preset, preset_names
from .protocol import DEFAULT_PROTOCOL, FOOTPRINTS, IGNORE_POLICIES, OUTPUT_DILATION, PixelProtocol
from .stars import source_peaks
from .stream import ImageSource, score_stream, sweep_stream
from .summary import ScoringResult, score_images, score_sweep_images, summarize_scores, summarize_sweep
from .sweep import SweepCounts, SweepCurve

__all__ = [
    "DEFAULT_PROTOCOL",
    "IGNORE_POLICIES",
    "FOOTPRINTS",
    "PRESETS",
    "ProtocolPreset",
    "get_preset",
    "preset_names",
    "OUTPUT_DILATION",
    "PixelProtocol",
    "PreparedImage",
    "prepare_image",
    "ImageSource",
    "score_stream",
    "sweep_stream",
    "METRIC_SPEC_VERSION",
    "METRIC_SPECS",
    "FPR_TARGETS",
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
    "OBJECTS_SPEC_VERSION",
    "ObjectOptions",
    "ObjectExtras",
    "ObjectSource",
    "operating_mask",
    "object_counts",
    "sum_object_counts",
    "object_metrics",
    "object_stream",
    "source_peaks",
]
