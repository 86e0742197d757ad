"""Paired bootstrap comparison of two run records on the same images.

Two records are compared only when they scored the same images of the same
data set version under the same protocol and carry replicates of the same
resamples (equal ``weights_sha256``); then resample ``k`` of A and resample
``k`` of B were computed on the same draw of images, and the difference of
their replicates is the paired bootstrap distribution of A - B.

- **Difference** = A - B of the point estimates; its interval is the
  percentile interval (:func:`.percentile_interval`) of the replicate
  differences (undefined where either replicate is undefined).
- **P(A better)** = (resamples where A is better + 1/2 x ties) / all
  resamples, "better" following the metric's direction; resamples in which
  either metric is undefined count for neither side, so
  ``P(A better) + P(B better) + P(undefined) = 1``.
"""

import dataclasses

import numpy as np

from ..errors import InputError
from ..records import as_run_record
from .interval import DEFAULT_LEVEL, as_float_array, percentile_interval

__all__ = ["NotComparableError", "PairedDifference", "comparability_problems", "compare_records",
           "probability_better"]


class NotComparableError(InputError):
    """Two run records cannot be compared pairwise (different images, resamples, versions or protocols)."""


@dataclasses.dataclass(frozen=True)
class PairedDifference:
    """Paired bootstrap comparison of one metric of records A and B.

    Attributes
    ----------
    metric : str
    higher_is_better : bool
    a, b : float or None
        Point estimates.
    difference : float or None
        ``a - b``.
    low, high : float or None
        Percentile interval of the replicate differences.
    p_a_better, p_b_better : float
        Fractions of resamples in which A (B) is better, ties counted 1/2.
    n_undefined : int
        Resamples in which either replicate is undefined.
    n_resamples : int
    """

    metric: str
    higher_is_better: bool
    a: float | None
    b: float | None
    difference: float | None
    low: float | None
    high: float | None
    p_a_better: float
    p_b_better: float
    n_undefined: int
    n_resamples: int

    def to_dict(self):
        """JSON-ready dict."""
        return dataclasses.asdict(self)


def _protocol(record):
    """The record's evaluation protocol, if it names one (typed attribute or top-level key)."""
    protocol = getattr(record, "protocol", None)
    return protocol if protocol is not None else record.extra.get("protocol")


def _label(record):
    return record.source or record.detector.label(with_hash=True)


def comparability_problems(a, b):
    """Reasons why records ``a`` and ``b`` cannot be compared pairwise (empty list: comparable)."""
    a, b = as_run_record(a), as_run_record(b)
    problems = []
    for record in (a, b):
        if record.uncertainty is None:
            problems.append(f"{_label(record)} has no bootstrap replicates (re-run it with --bootstrap N > 0)")
    for what, get in (
        ("data set", lambda r: (r.dataset.name, r.dataset.version, r.dataset.size, r.dataset.split)),
        ("image set (manifest hash)", lambda r: r.dataset.manifest_hash),
        ("metric spec version", lambda r: r.metric_spec_version),
        ("truth dilation", lambda r: r.dataset.truth_dilation),
        ("ignore policy", lambda r: r.dataset.ignore_policy),
        ("protocol", _protocol),
    ):
        if get(a) != get(b):
            problems.append(f"different {what}: {get(a)!r} vs {get(b)!r}")
    if a.uncertainty is not None and b.uncertainty is not None:
        if a.uncertainty.weights_sha256 != b.uncertainty.weights_sha256:
            problems.append(
                f"different bootstrap resamples (weights digest {a.uncertainty.weights_sha256[:12]} vs "
                f"{b.uncertainty.weights_sha256[:12]}; seeds {a.uncertainty.seed} / {b.uncertainty.seed}, "
                f"{a.uncertainty.n_resamples} / {b.uncertainty.n_resamples} resamples)"
            )
    return problems


def probability_better(a_replicates, b_replicates, *, higher_is_better):
    """``(P(A better), P(B better), n_undefined)`` over paired replicates (ties 1/2, undefined for neither)."""
    ra, rb = as_float_array(a_replicates), as_float_array(b_replicates)
    if ra.shape != rb.shape or ra.size == 0:
        raise InputError("paired replicates must be non-empty and of equal length")
    defined = ~(np.isnan(ra) | np.isnan(rb))
    x, y = ra[defined], rb[defined]
    a_wins = np.count_nonzero(x > y if higher_is_better else x < y)
    b_wins = np.count_nonzero(y > x if higher_is_better else y < x)
    ties = x.size - a_wins - b_wins
    n = ra.size
    return float((a_wins + 0.5 * ties) / n), float((b_wins + 0.5 * ties) / n), int(n - x.size)


def compare_records(a, b, *, level=DEFAULT_LEVEL, metrics=None):
    """Paired bootstrap comparison of two run records, metric by metric.

    Parameters
    ----------
    a, b : RunRecord or dict
    level : float
        Confidence level of the difference intervals.
    metrics : sequence of str, optional
        Default: every metric both records have intervals for, in A's order.

    Returns
    -------
    list of PairedDifference

    Raises
    ------
    NotComparableError
        When the records differ in data set, images, protocol or resamples,
        or lack bootstrap replicates (the message lists every reason).
    """
    a, b = as_run_record(a), as_run_record(b)
    problems = comparability_problems(a, b)
    if problems:
        raise NotComparableError(f"cannot compare {_label(a)} with {_label(b)}:\n  " + "\n  ".join(problems))
    names = list(metrics) if metrics is not None else [
        name for name in a.metrics if name in b.metrics and name in a.uncertainty.metrics
        and name in b.uncertainty.metrics
    ]
    results = []
    for name in names:
        if name not in a.uncertainty.metrics or name not in b.uncertainty.metrics:
            raise NotComparableError(f"metric {name!r} has no bootstrap replicates in both records")
        ra = as_float_array(a.uncertainty.metrics[name].replicates)
        rb = as_float_array(b.uncertainty.metrics[name].replicates)
        higher = a.metrics[name].higher_is_better
        difference = ra - rb
        low, high, _ = percentile_interval([None if np.isnan(d) else float(d) for d in difference], level=level)
        p_a, p_b, n_undefined = probability_better(ra, rb, higher_is_better=higher)
        value_a, value_b = a.metric_value(name), b.metric_value(name)
        results.append(PairedDifference(
            metric=name, higher_is_better=higher, a=value_a, b=value_b,
            difference=None if value_a is None or value_b is None else value_a - value_b,
            low=low, high=high, p_a_better=p_a, p_b_better=p_b, n_undefined=n_undefined, n_resamples=ra.size,
        ))
    return results
