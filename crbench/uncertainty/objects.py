"""Bootstrap intervals of the object-level scores, on the pixel bootstrap's resamples.

The object pass (:mod:`crbench.object_pass`) stores additive per-image
counters, and every object-level metric is a ratio of their sums
(:func:`crbench.scoring.objects.object_metrics`). A resample's counters are
therefore the weighted sum of the per-image counters, exactly as for the
pixel counts, and its metrics come from the same ``object_metrics``. The
resamples are drawn by :func:`~crbench.uncertainty.draw_resamples` with the
pixel bootstrap's seed and strata over the same images, so the weights (and
their digest) are identical to those of the record's ``uncertainty`` section.
"""

import time

import numpy as np

from ..scoring.objects import ObjectOptions, object_metrics
from .interval import DEFAULT_LEVEL, percentile_interval
from .resample import draw_resamples

__all__ = ["OBJECT_INTERVAL_METRICS", "bootstrap_object_metrics"]

#: The scalar object-level metrics that get an interval (counts such as
#: ``n_objects`` are properties of the resample, not of the detector).
OBJECT_INTERVAL_METRICS = (
    "object_recall",
    "object_recall_any",
    "fp_objects_per_megapixel",
    "recall_near_star",
    "masked_source_flux_fraction",
)


def _counter_matrix(section, sample_ids):
    """``(names, matrix)``: counters present in every image, one row per image in ``sample_ids`` order."""
    counters = section["counters"]
    rows = [section["per_image"][sample_id] for sample_id in sample_ids]
    keep = [j for j, _ in enumerate(counters) if all(row[j] is not None for row in rows)]
    matrix = np.array([[row[j] for j in keep] for row in rows], dtype=np.float64).reshape(len(rows), len(keep))
    return [counters[j] for j in keep], matrix


def bootstrap_object_metrics(section, *, n_resamples, seed, strata=None, level=DEFAULT_LEVEL):
    """Percentile intervals of the object-level metrics of one run.

    Parameters
    ----------
    section : dict
        The record's ``objects`` section (``counters``, ``per_image``,
        ``options``).
    n_resamples : int
    seed : int
    strata : mapping of str to str, optional
        Stratum of every sample id, as for the pixel bootstrap.
    level : float

    Returns
    -------
    dict
        ``method``, ``level``, ``n_resamples``, ``seed``, ``weights_sha256``
        (equal to the pixel bootstrap's for the same images, seed and
        strata), ``seconds`` and ``metrics``: ``name -> {"low", "high",
        "n_undefined"}`` for :data:`OBJECT_INTERVAL_METRICS` present in the
        point estimate.
    """
    started = time.perf_counter()
    resamples = draw_resamples(list(section["per_image"]), n_resamples=n_resamples, seed=seed, strata=strata)
    names, matrix = _counter_matrix(section, resamples.sample_ids)
    options = ObjectOptions.from_dict(section["options"])
    # integer weights times integer (or float flux) counters: one matrix product gives every resample's sums
    summed = resamples.weights.astype(np.float64) @ matrix
    replicates = {name: [] for name in OBJECT_INTERVAL_METRICS}
    for row in summed:
        counts = {name: _as_count(value) for name, value in zip(names, row)}
        metrics = object_metrics(counts, options=options)
        for name in replicates:
            replicates[name].append(metrics.get(name))
    intervals = {}
    for name, values in replicates.items():
        if all(value is None for value in values):
            continue
        low, high, n_undefined = percentile_interval(values, level=level)
        intervals[name] = {"low": low, "high": high, "n_undefined": n_undefined}
    return {
        "method": "percentile bootstrap over images (the pixel bootstrap's resamples)",
        "level": float(level),
        "n_resamples": resamples.n_resamples,
        "seed": resamples.seed,
        "weights_sha256": resamples.digest,
        "seconds": time.perf_counter() - started,
        "metrics": intervals,
    }


def _as_count(value):
    """Whole-number sums back to int (counts), others stay float (flux sums)."""
    return int(value) if float(value).is_integer() else float(value)
