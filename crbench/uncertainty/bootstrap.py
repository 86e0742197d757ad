"""Exact bootstrap over images: replicate metrics and percentile intervals.

For every resample (:mod:`.resample`) the summed counts are the weighted
sum of the per-image states (:mod:`.states`), and the metrics are computed
from them by :func:`crbench.scoring.compute_metrics`, the code of the point
estimate; with every weight 1 the replicate *is* the point estimate, bit for
bit. Resamples are processed in chunks so the dense resampled histograms
stay within ``chunk_bytes``.

What the interval covers: the variation of a metric when the *images* of
the test set are redrawn from the same population. It does not cover the
correlation of pixels within an image beyond what the image unit captures,
nor the choice of the population itself (a simulator's, one instrument's),
and a tail statistic such as TPR at FPR 1e-4 may rest on a handful of
false-positive clusters, which any resampling reproduces only as well as
those clusters represent their kind.
"""

import time

import numpy as np

from ..scoring import METRIC_SPECS, compute_metrics
from .interval import DEFAULT_LEVEL, percentile_interval
from .resample import DEFAULT_SEED, draw_resamples

__all__ = ["DEFAULT_RESAMPLES", "METHOD", "bootstrap_metrics", "replicate_metrics"]

#: Resamples per run by default (see docs/uncertainty.md for the measured cost).
DEFAULT_RESAMPLES = 1000
#: The interval method recorded in the ``uncertainty`` section.
METHOD = "percentile"
#: Budget of the dense resampled histograms of one chunk of resamples (bytes).
CHUNK_BYTES = 16 * 1024**2


def replicate_metrics(states, weights, *, operating_point, chunk_bytes=CHUNK_BYTES):
    """Metrics of every resample.

    Parameters
    ----------
    states : ThresholdStates or SweepStates
    weights : ndarray of int, shape (n_resamples, n_images)
        Columns in sample-id order (as :func:`draw_resamples` gives them).
    operating_point : float
    chunk_bytes : int

    Returns
    -------
    dict of str to list
        ``metric name -> [value or None per resample]``.
    """
    weights = np.asarray(weights)
    order = states.order()
    n_cells = states.grid.n_cells if states.kind == "threshold" else len(states.values) + 1
    chunk = max(1, int(chunk_bytes) // (16 * n_cells))
    replicates = {name: [] for name in METRIC_SPECS}
    for start in range(0, weights.shape[0], chunk):
        for curve in states.curves(weights[start : start + chunk], order):
            for name, metric in compute_metrics(curve, operating_point=operating_point).items():
                replicates[name].append(metric["value"])
    return replicates


def bootstrap_metrics(states, *, operating_point, n_resamples=DEFAULT_RESAMPLES, seed=DEFAULT_SEED, strata=None,
                      strata_field=None, level=DEFAULT_LEVEL):
    """Bootstrap every metric of a run over its images.

    Parameters
    ----------
    states : ThresholdStates or SweepStates
        The per-image states of the run.
    operating_point : float
        As for the point estimate.
    n_resamples : int
    seed : int
    strata : mapping of str to str, optional
        Stratum of every sample id (None: not stratified).
    strata_field : str, optional
        What the strata are (e.g. ``"band"``), recorded.
    level : float
        Confidence level of the percentile intervals.

    Returns
    -------
    dict
        The JSON-ready ``uncertainty`` section of a run record: ``method``,
        ``resampling_unit``, ``level``, ``n_resamples``, ``seed``,
        ``strata``, ``stratum_sizes``, ``n_images``, ``weights_sha256``,
        ``seconds`` and ``metrics`` (``name -> {"low", "high",
        "n_undefined", "replicates"}``).
    """
    started = time.perf_counter()
    resamples = draw_resamples(states.sample_ids, n_resamples=n_resamples, seed=seed, strata=strata)
    replicates = replicate_metrics(states, resamples.weights, operating_point=operating_point)
    metrics = {}
    for name, values in replicates.items():
        low, high, n_undefined = percentile_interval(values, level=level)
        metrics[name] = {"low": low, "high": high, "n_undefined": n_undefined, "replicates": values}
    return {
        "method": METHOD,
        "resampling_unit": "image",
        "level": float(level),
        "n_resamples": resamples.n_resamples,
        "seed": resamples.seed,
        "strata": strata_field if strata is not None else None,
        "stratum_sizes": resamples.stratum_sizes(),
        "n_images": len(resamples.sample_ids),
        "weights_sha256": resamples.digest,
        "seconds": time.perf_counter() - started,
        "metrics": metrics,
    }
