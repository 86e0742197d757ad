"""The object-level pass: :func:`~crbench.scoring.objects.object_counts` over a stream of images.

The runner calls :func:`object_stream` after the pixel passes, on the same
cached detector outputs; each image's arrays and extras are loaded on
demand, one image at a time. The result is the ``objects`` section of a run
record: the options, the per-image additive counters (one row of numbers
per image, columns named once), their sum and the metrics of the sum.
"""

import dataclasses
import time
from collections.abc import Callable

from .objects import (
    DEFAULT_OBJECT_OPTIONS,
    NO_EXTRAS,
    OBJECTS_SPEC_VERSION,
    object_counts,
    object_metrics,
    operating_mask,
    sum_object_counts,
)

__all__ = ["ObjectSource", "object_stream", "object_summary"]


@dataclasses.dataclass(frozen=True)
class ObjectSource:
    """One image of the object pass: its id and how to load its arrays.

    Attributes
    ----------
    sample_id : str
    load_masks : callable
        ``load_masks() -> (truth, ignore)``.
    load_output : callable
        ``load_output() -> ndarray``: score map or mask stack, before output dilation.
    load_extras : callable, optional
        ``load_extras() -> ObjectExtras``; None: truth and ignore only.
    """

    sample_id: str
    load_masks: Callable
    load_output: Callable
    load_extras: Callable | None = None


def _no_progress(items, desc):
    return items


def object_stream(sources, *, protocol, kind, operating_point, values=None, options=DEFAULT_OBJECT_OPTIONS,
                  progress=None):
    """Count objects in every image at the operating point and summarise.

    Parameters
    ----------
    sources : iterable of ObjectSource
    protocol : PixelProtocol
        Output dilation, truth dilation and ignore policy of the pixel scores.
    kind : {"score", "mask"}
    operating_point : float
        Threshold or sweep value.
    values : sequence of float, optional
        Sweep values of mask stacks.
    options : ObjectOptions
    progress : callable, optional
        ``progress(iterable, desc) -> iterable``.

    Returns
    -------
    dict or None
        :func:`object_summary` of the per-image counts, plus ``seconds``
        (wall time of the pass), ``seconds_per_megapixel`` and
        ``cpu_seconds`` (CPU time of this process); None when ``sources``
        is empty.
    """
    progress = progress or _no_progress
    start, start_cpu = time.perf_counter(), time.process_time()
    per_image = {}
    n_pixels = 0
    for source in progress(sources, "object scores"):
        truth, ignore = source.load_masks()
        flagged = operating_mask(source.load_output(), protocol=protocol, kind=kind, operating_point=operating_point,
                                 values=values, sample_id=source.sample_id)
        extras = source.load_extras() if source.load_extras is not None else NO_EXTRAS
        per_image[source.sample_id] = object_counts(
            truth, ignore, flagged, extras=extras, excludes_ignored=protocol.excludes_ignored, options=options,
            truth_dilation=protocol.truth_dilation, sample_id=source.sample_id,
        )
        n_pixels += truth.size
    if not per_image:
        return None
    summary = object_summary(per_image, operating_point=operating_point, options=options)
    seconds = time.perf_counter() - start
    summary["seconds"] = seconds
    summary["seconds_per_megapixel"] = seconds / (n_pixels / 1e6) if n_pixels else None
    # CPU time of this process: on a shared machine it says more about the pass than wall time
    summary["cpu_seconds"] = time.process_time() - start_cpu
    return summary


def object_summary(per_image, *, operating_point, options=DEFAULT_OBJECT_OPTIONS):
    """The JSON-ready ``objects`` section of a run record.

    Parameters
    ----------
    per_image : dict of str to dict
        ``{sample_id: object_counts(...)}``.
    operating_point : float
    options : ObjectOptions

    Returns
    -------
    dict
        ``spec_version``, ``operating_point``, ``options``, ``counters``
        (counter names), ``per_image`` (``{sample_id: [value per counter,
        None where the image lacks it]}``), ``totals`` (counters present in
        every image, summed) and ``metrics`` (:func:`object_metrics` of the
        totals).
    """
    counters = list({key: None for counts in per_image.values() for key in counts})  # first-seen order
    totals = sum_object_counts(per_image.values())
    return {
        "spec_version": OBJECTS_SPEC_VERSION,
        "operating_point": float(operating_point),
        "options": options.to_dict(),
        "counters": counters,
        "per_image": {sample_id: [counts.get(key) for key in counters] for sample_id, counts in per_image.items()},
        "totals": totals,
        "metrics": object_metrics(totals, options=options),
    }
