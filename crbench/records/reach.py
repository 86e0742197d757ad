"""TPR-at-FPR targets a mask detector's sweep did not reach: the legacy converter and the one display form.

Since 2026-11-29 a TPR-at-FPR metric whose target no sweep point reached is
stored as ``"value": null`` with ``"not_reached": {"lowest_fpr", "tpr",
"threshold"}`` (:mod:`crbench.scoring.metrics`). Records written before
stored 0.0 (threshold null) instead. :func:`upgrade_not_reached` tells the
two meanings of such a 0.0 apart from the record's own summed counts, so
every reader (tables, CSV, plots, the regression check) sees the same
convention; :func:`not_reached_text` is how every renderer prints it.
"""

from ..scoring import FPR_TARGETS

__all__ = ["NOT_REACHED_PREFIX", "not_reached_text", "upgrade_not_reached"]

NOT_REACHED_PREFIX = "not reached"


def not_reached_text(lowest_fpr):
    """Return ``"not reached (FPR >= x)"`` with x = the lowest FPR the sweep achieved.

    Examples
    --------
    >>> not_reached_text(0.000213)
    'not reached (FPR >= 2.13e-04)'
    """
    return f"{NOT_REACHED_PREFIX} (FPR >= {lowest_fpr:.2e})"


def upgrade_not_reached(metrics, counts):
    """Convert legacy 0.0 "not reached" TPR-at-FPR values in place; return the names converted.

    Parameters
    ----------
    metrics : dict of str to Metric
        A record's metrics.
    counts : StoredCounts or None
        The record's summed counts. Only sweep counts (mask detectors) can
        leave a target unreached; score-map records are never touched.

    Returns
    -------
    list of str
        The metrics whose stored 0.0 meant "no sweep point reached the
        target": they now hold value None and ``not_reached``. A 0.0 read
        at a point that did reach the target (a TPR of 0 really measured)
        is left as it is.
    """
    if counts is None or counts.kind != "sweep":
        return []
    candidates = [name for name in FPR_TARGETS
                  if name in metrics and metrics[name].value == 0.0 and metrics[name].not_reached is None
                  and metrics[name].threshold is None]
    if not candidates:
        return []
    curve = counts.curve()
    converted = []
    for name in candidates:
        missed = curve.not_reached(FPR_TARGETS[name])
        if missed is not None:
            metrics[name].value, metrics[name].not_reached = None, missed
            converted.append(name)
    return converted
