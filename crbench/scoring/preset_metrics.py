"""Metric rules of the protocol presets that differ from crbench's (see :mod:`crbench.scoring.presets`).

Every function reads exact counts (a :class:`~crbench.scoring.Curve` or
per-image :class:`~crbench.scoring.ImageCounts`), so a preset's number is the
upstream code's number on the same pixels, not an approximation of it.
"""

import numpy as np

from ..errors import InputError

__all__ = [
    "PERCENT_TARGETS",
    "tpr_first_not_below",
    "tpr_first_not_below_percent",
    "precision_recall_strictly_above",
    "grid_rates",
    "interpolated_tpr",
    "mean_image_dice",
]

#: Target FPRs as the upstream scripts write them, in percent (``fpr < 0.01``).
PERCENT_TARGETS = {1e-4: 0.01, 1e-3: 0.1}


def _percent(target):
    try:
        return PERCENT_TARGETS[target]
    except KeyError:
        raise InputError(f"no percent literal for target {target!r}; known: {list(PERCENT_TARGETS)}") from None


def _sklearn_roc_points(curve):
    """Indices of the curve points that ``sklearn.metrics.roc_curve`` (``drop_intermediate=True``) keeps.

    Returns indices into ``curve.tp`` / ``curve.fp`` whose counts equal
    scikit-learn's points, ``(0, 0)`` first. scikit-learn has one point per
    distinct score and drops a point whose two neighbours' steps are equal in
    both TP and FP. The curve merges negative-only scores between two grid
    values into one *corner*; all those points share one TP, and the last
    of them (the corner) is always kept (its next step adds positives), so
    only points where TP changes can be dropped, and their neighbours are
    curve points (a following negative-only run starts with a TP step of 0,
    which differs from the TP step into a point that adds positives).
    """
    vertices = curve._vertex_index()[1:]  # distinct points after (0, 0)
    if vertices.size <= 2:
        return np.r_[0, vertices]
    tp, fp = curve.tp[vertices], curve.fp[vertices]
    d_tp, d_fp = np.diff(tp), np.diff(fp)
    same_step = (d_tp[:-1] == d_tp[1:]) & (d_fp[:-1] == d_fp[1:])
    # a negative-only step into the point (d_tp == 0) is a run point: kept (see above)
    dropped = same_step & (d_tp[:-1] > 0)
    keep = np.r_[True, ~dropped, True]
    return np.r_[0, vertices[keep]]


def tpr_first_not_below(curve, fpr):
    """TPR of the first kept ROC point with FPR not below ``fpr`` (Cosmic-CoNN's ``tpr[(fpr < x).sum()]``).

    Comparisons are made in percent, as ``LCO_ROC_PR.plot_ROC`` makes them.

    Parameters
    ----------
    curve : Curve
    fpr : float
        1e-4 or 1e-3.

    Returns
    -------
    (tpr, threshold) : tuple
        ``(None, None)`` when there are no positives or negatives; the
        threshold is None for the "flag nothing" point.
    """
    return tpr_first_not_below_percent(curve, _percent(fpr))


def tpr_first_not_below_percent(curve, fpr_percent):
    """:func:`tpr_first_not_below` with the target given in percent (``0.01`` for 1e-4)."""
    if curve.n_pos == 0 or curve.n_neg == 0:
        return None, None
    points = _sklearn_roc_points(curve)
    percent = curve.fp[points] / curve.n_neg * 100
    index = points[int(np.count_nonzero(percent < fpr_percent))]
    threshold = curve.thresholds[index]
    return int(curve.tp[index]) / curve.n_pos, None if np.isinf(threshold) else float(threshold)


def precision_recall_strictly_above(curve, recall):
    """Precision at the highest threshold whose recall in percent is above ``recall * 100`` (strict).

    Cosmic-CoNN's ``plot_PR``: ``thres_idx = np.sum(recall > 95) - 1`` on
    ``precision_recall_curve`` (recall in percent, thresholds ascending).

    Returns
    -------
    (precision, threshold) : tuple
        ``(None, None)`` without positives or when no threshold is above.
    """
    if curve.n_pos == 0:
        return None, None
    above = np.flatnonzero(curve.tp / curve.n_pos * 100 > recall * 100)
    if above.size == 0:
        return None, None
    first = int(above[0])
    tp, fp = int(curve.tp[first]), int(curve.fp[first])
    return tp / (tp + fp), float(curve.thresholds[first])


def grid_rates(curve, thresholds):
    """TP and FP counts (``score >= t``) at grid thresholds, in the given order.

    Parameters
    ----------
    curve : Curve
    thresholds : sequence of float
        Each must be one of the curve's grid values.

    Returns
    -------
    tp, fp : ndarray of int64
    """
    rows = [curve.counts_at(float(threshold)) for threshold in thresholds]
    return np.array([row["tp"] for row in rows], np.int64), np.array([row["fp"] for row in rows], np.int64)


def interpolated_tpr(tpr, fpr, target):
    """TPR at ``target`` FPR by linear interpolation over threshold-grid points (``numpy.interp``).

    Parameters
    ----------
    tpr, fpr : ndarray
        One value per grid threshold, thresholds ascending (FPR then
        descends), as deepCR's ``evaluate.roc`` returns them.
    target : float

    Returns
    -------
    float
    """
    tpr, fpr = np.asarray(tpr, dtype=np.float64), np.asarray(fpr, dtype=np.float64)
    return float(np.interp(target, fpr[::-1], tpr[::-1]))


def mean_image_dice(images, *, threshold, epsilon):
    """Mean over images of ``2 TP / (2 TP + FP + FN + epsilon)`` at one threshold.

    Cosmic-CoNN's ``calculate_dice_score``: ``2 * |P and R| / (|P| + |R| +
    eps)`` with ``|P| = TP + FP`` and ``|R| = TP + FN`` on each image.

    Parameters
    ----------
    images : list of ImageCounts
        Each must hold counts at ``threshold``.
    threshold : float
    epsilon : int

    Returns
    -------
    float or None
        None without images, or when a denominator is 0.
    """
    if not images:
        return None
    total = 0.0
    for image in images:
        counts = image.at_threshold[threshold]
        denominator = 2 * counts["tp"] + counts["fp"] + counts["fn"] + epsilon
        if denominator == 0:
            return None
        total += 2 * counts["tp"] / denominator
    return total / len(images)
