"""Score a stream of images under a protocol preset other than crbench's.

:func:`score_preset` runs the exact scoring stream (:mod:`crbench.scoring.stream`)
with the preset's pixel protocol and threshold grid and returns the same
JSON-ready summary as :func:`~crbench.scoring.summarize_scores`, with the
metrics the preset defines differently replaced by its rules
(:mod:`crbench.scoring.preset_metrics`). crbench's own preset never comes
here: the runner scores it exactly as before.
"""

import dataclasses

from .metrics import compute_metrics
from .preset_metrics import (
    grid_rates,
    interpolated_tpr,
    mean_image_dice,
    precision_recall_strictly_above,
    tpr_first_not_below,
)
from .presets import get_preset
from .stream import score_stream, sweep_stream
from .summary import summarize_scores, summarize_sweep

__all__ = ["score_preset", "preset_score_metrics"]

_TARGETS = (("tpr_at_fpr_1e-4", 1e-4), ("tpr_at_fpr_1e-3", 1e-3))


def _metric(value, threshold, higher_is_better=True):
    return {"value": None if value is None else float(value), "threshold": threshold,
            "higher_is_better": higher_is_better}


def preset_score_metrics(preset, total, *, operating_point, undilated=None):
    """Metrics of summed score-map counts under ``preset``'s metric rules.

    Parameters
    ----------
    preset : ProtocolPreset
    total : ThresholdCounts
        Summed counts under the preset's pixel protocol, on a grid holding
        the preset's grid thresholds and operating threshold.
    operating_point : float
        The detector's operating point (the preset's comparison is applied).
    undilated : ThresholdCounts, optional
        With ``tpr_from_dilated_output``: the counts of the undilated maps
        (FPR is read there, TPR on ``total``).

    Returns
    -------
    dict
        As :func:`~crbench.scoring.compute_metrics`.
    """
    curve = total.curve()
    operating = preset.operating_threshold(operating_point)
    metrics = compute_metrics(curve, operating_point=operating)
    if preset.tpr_rule == "first_not_below":
        for name, target in _TARGETS:
            metrics[name] = _metric(*tpr_first_not_below(curve, target))
    elif preset.tpr_rule == "interpolated":
        thresholds = preset.grid_thresholds()
        tp, fp = grid_rates(curve, thresholds)
        if undilated is not None:
            fp = grid_rates(undilated.curve(), thresholds)[1]
        defined = curve.n_pos > 0 and curve.n_neg > 0
        for name, target in _TARGETS:
            # deepCR's evaluate.roc returns percentages; interpolate on them as the paper's readers do
            value = interpolated_tpr(tp / curve.n_pos * 100, fp / curve.n_neg * 100, target * 100) / 100 \
                if defined else None
            metrics[name] = _metric(value, None)
    if preset.purity_rule == "strictly_above":
        metrics["purity_at_tpr_0.95"] = _metric(*precision_recall_strictly_above(curve, 0.95))
    elif preset.purity_rule is None:
        metrics["purity_at_tpr_0.95"] = _metric(None, None)
    if preset.f1_rule == "per_image_dice":
        value = mean_image_dice(total.images, threshold=operating, epsilon=preset.dice_epsilon)
        metrics["f1"] = _metric(value, operating)
    elif preset.f1_rule is None:
        metrics["f1"] = _metric(None, None)
    return metrics


def _operating_only(images, thresholds):
    """Copies of per-image counts that keep only the operating thresholds (grids can be long)."""
    return [dataclasses.replace(image, at_threshold={t: c for t, c in image.at_threshold.items() if t in thresholds})
            for image in images]


def score_preset(sources, *, preset, kind, card_truth_dilation, card_ignore_policy, detector_dilates,
                 operating_point, sweep_values=(), progress=None):
    """Score image sources under a preset and summarise them like the runner does.

    Parameters
    ----------
    sources : list of ImageSource
    preset : ProtocolPreset or str
    kind : {"score", "mask"}
    card_truth_dilation : int
    card_ignore_policy : str
    detector_dilates : bool
        The detector's ``dilate_output`` flag.
    operating_point : float
        Score threshold or sweep value of the operating point.
    sweep_values : sequence of float
        Mask detectors: the sweep values.
    progress : callable, optional

    Returns
    -------
    dict or None
        As :func:`~crbench.scoring.summarize_scores` (None for no sources),
        plus ``"protocol"``. The stored counts and curves are those of the
        preset's pixel protocol (for ``tpr_from_dilated_output``: the
        output-dilated maps).
    """
    preset = get_preset(preset)
    protocol_args = dict(card_truth_dilation=card_truth_dilation, card_ignore_policy=card_ignore_policy,
                         detector_dilates=detector_dilates)
    protocol = preset.pixel_protocol(**protocol_args)
    if kind == "mask":
        total = sweep_stream(sources, protocol=protocol, values=sweep_values, progress=progress)
        if total is None:
            return None
        return {**summarize_sweep(total, total.images, operating_point=operating_point), "protocol": preset.name}
    operating = preset.operating_threshold(operating_point)
    extra = (operating, *preset.grid_thresholds())
    total = score_stream(sources, protocol=protocol, operating_point=operating_point, progress=progress,
                         extra_thresholds=extra)
    if total is None:
        return None
    undilated = None
    if preset.tpr_from_dilated_output:
        undilated = score_stream(sources, protocol=preset.pixel_protocol(**protocol_args, dilated=False),
                                 operating_point=operating_point, progress=progress, extra_thresholds=extra)
    images = _operating_only(total.images, {float(operating_point), operating})
    summary = summarize_scores(total, images, operating_point=operating)
    summary["metrics"] = preset_score_metrics(preset, total, operating_point=operating_point, undilated=undilated)
    summary["protocol"] = preset.name
    return summary
