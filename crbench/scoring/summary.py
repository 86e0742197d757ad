"""Turn summed counts into the JSON-ready scores of a run, and score in memory.

:func:`summarize_scores` and :func:`summarize_sweep` are what the runner
calls after the scoring stream; :func:`score_images` and
:func:`score_sweep_images` run the same stream (:mod:`crbench.scoring.stream`)
on in-memory images (tests, notebooks, small callers).
"""

import dataclasses

from .counts import ImageCounts
from .metrics import METRIC_SPEC_VERSION, compute_metrics
from .protocol import DEFAULT_PROTOCOL
from .stream import ImageSource, score_stream, sweep_stream
from .sweep import as_mask_stack

__all__ = ["ScoringResult", "summarize_scores", "summarize_sweep", "score_images", "score_sweep_images"]

#: Above this many grid thresholds the full summed counts are left out of
#: run records by default (they would make the JSON tens of MB); the thinned
#: curve and the metrics are always stored.
MAX_STORED_GRID = 250_000


def _images_of(item):
    """ImageCounts of a state, an ImageCounts, a list of them, or an ``(anything, that)`` pair."""
    if isinstance(item, tuple):
        item = item[-1]
    if isinstance(item, ImageCounts):
        return [item]
    if isinstance(item, list):
        return item
    return item.images


def _per_image(per_image):
    rows = {}
    for item in per_image:
        for image in _images_of(item):
            row = image.to_dict()
            rows[row.pop("sample_id")] = row
    return rows


def _summary(total, curve, per_image, *, operating, full_counts, max_curve_points):
    metrics = compute_metrics(curve, operating_point=operating)
    keep = [metric["threshold"] for metric in metrics.values()]
    n_scored = curve.n_pos + curve.n_neg
    return {
        "metric_spec_version": METRIC_SPEC_VERSION,
        "operating_point": float(operating),
        "metrics": metrics,
        "counts": total.to_dict(include_images=False) if full_counts else None,
        "curves": curve.thinned(max_points=max_curve_points, keep_thresholds=keep),
        "per_image": _per_image(per_image),
        "n_pixels_scored": n_scored,
        "n_pixels_positive": curve.n_pos,
        "n_pixels_ignored": total.n_ignored,
    }


def summarize_scores(total, per_image=(), *, operating_point, full_counts="auto", max_curve_points=2000):
    """Summarise the summed pass-2 counts of a score detector.

    Parameters
    ----------
    total : ThresholdCounts
        Sum of every image's state.
    per_image : iterable
        Per-image states, their ``.images`` lists or :class:`ImageCounts`
        (or ``(outcome, any of these)`` pairs); the ImageCounts become the
        ``per_image`` rows. Keep ``state.images`` rather than whole states
        when the grid is large: a state holds three grid-sized vectors.
    operating_point : float
        Must be one of the grid's thresholds.
    full_counts : bool or "auto"
        Store the exact summed count vectors (``"auto"``: when the grid has
        at most ``MAX_STORED_GRID`` thresholds).
    max_curve_points : int
        Size limit of the stored (thinned, exact-at-reported-points) curve.

    Returns
    -------
    dict
        ``metric_spec_version``, ``operating_point``, ``metrics``, ``counts``
        (or None), ``curves`` (thinned curve), ``per_image``
        (``{sample_id: counts}``), ``n_pixels_scored``, ``n_pixels_positive``,
        ``n_pixels_ignored``.
    """
    if full_counts == "auto":
        full_counts = total.grid.values.size <= MAX_STORED_GRID
    return _summary(total, total.curve(), per_image, operating=operating_point,
                    full_counts=full_counts, max_curve_points=max_curve_points)


def summarize_sweep(total, per_image=(), *, operating_point, max_curve_points=2000):
    """Summarise the summed counts of a mask detector's sweep (see :func:`summarize_scores`)."""
    return _summary(total, total.curve(), per_image, operating=operating_point,
                    full_counts=True, max_curve_points=max_curve_points)


@dataclasses.dataclass
class ScoringResult:
    """Outcome of :func:`score_images` / :func:`score_sweep_images`.

    Attributes
    ----------
    counts : ThresholdCounts or SweepCounts
        Summed counts (with per-image :class:`ImageCounts`).
    curve : Curve or SweepCurve
    metrics : dict
        As returned by :func:`compute_metrics`.
    """

    counts: object
    curve: object
    metrics: dict


def score_images(items, *, protocol=DEFAULT_PROTOCOL, operating_point=0.5):
    """Score in-memory score maps with both passes.

    Parameters
    ----------
    items : iterable of (truth, ignore, scores, sample_id)
        ``ignore`` may be None.
    protocol : PixelProtocol
        Truth dilation, output dilation and ignore policy.
    operating_point : float
        Threshold of the operating-point metrics.

    Returns
    -------
    ScoringResult

    Examples
    --------
    >>> import numpy as np
    >>> from crbench.scoring import PixelProtocol
    >>> truth = np.zeros((4, 4), bool); truth[1, 1] = True
    >>> scores = np.where(truth, 0.9, 0.1).astype(np.float32)
    >>> result = score_images([(truth, None, scores, "a")], protocol=PixelProtocol(truth_dilation=1))
    >>> result.metrics["auroc"]["value"]
    1.0
    """
    sources = [ImageSource.in_memory(truth, ignore, scores, sample_id) for truth, ignore, scores, sample_id in items]
    total = score_stream(sources, protocol=protocol, operating_point=operating_point)
    if total is None:
        raise ValueError("score_images needs at least one image")
    curve = total.curve()
    return ScoringResult(total, curve, compute_metrics(curve, operating_point=operating_point))


def score_sweep_images(items, *, values, operating_point, protocol=DEFAULT_PROTOCOL):
    """Score in-memory mask stacks of a parameter sweep.

    Parameters
    ----------
    items : iterable of (truth, ignore, masks, sample_id)
        ``masks`` has shape (n_values, ny, nx).
    values : sequence of float
        Sweep values in the order of the masks.
    operating_point : float
        The sweep value of the operating point.
    protocol : PixelProtocol
        Truth dilation, output dilation and ignore policy.

    Returns
    -------
    ScoringResult
    """
    sources = [
        ImageSource.in_memory(truth, ignore, as_mask_stack(masks, values=values), sample_id)
        for truth, ignore, masks, sample_id in items
    ]
    total = sweep_stream(sources, protocol=protocol, values=values)
    if total is None:
        raise ValueError("score_sweep_images needs at least one image")
    curve = total.curve()
    return ScoringResult(total, curve, compute_metrics(curve, operating_point=operating_point))
