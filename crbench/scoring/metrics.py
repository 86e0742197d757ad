"""The metric specification: canonical names, directions and definitions.

Every metric is derived from pixel counts (TP, FP, FN, TN) of a curve built
by :mod:`crbench.scoring`; none is interpolated. Results computed under
different :data:`METRIC_SPEC_VERSION` values are not comparable. Bump the
version whenever a definition, the pixel protocol or a convention changes.

Each metric is reported as ``{"value", "threshold", "higher_is_better"}``;
``value`` is None (JSON null) when the metric is undefined (for example TPR
without positive pixels), never NaN or 0. ``threshold`` is the score
threshold (or sweep value) the value was read at, None when not applicable.

**Not reached.** A mask detector's sweep has only the points it measured;
when none of them has FPR <= the target of a ``tpr_at_fpr_*`` metric, the
value is None and the metric dict carries one more key, ``"not_reached":
{"lowest_fpr", "tpr", "threshold"}`` (the strictest measured point, see
:meth:`crbench.scoring.SweepCurve.not_reached`). Renderers print it as "not
reached (FPR >= x)". Score maps always reach (threshold +inf flags
nothing), so their TPR at FPR is never None for this reason; a TPR of 0
read at a reached point (score maps, or a sweep point that finds nothing)
stays 0.0. Records written before this rule stored 0.0 for "not reached";
:func:`crbench.records.upgrade_not_reached` converts them when read. The
definition of every reached value is unchanged, so the spec version is too.
"""

import dataclasses

__all__ = ["METRIC_SPEC_VERSION", "MetricSpec", "METRIC_SPECS", "FPR_TARGETS", "compute_metrics", "ratio"]

METRIC_SPEC_VERSION = "1"


@dataclasses.dataclass(frozen=True)
class MetricSpec:
    """One canonical metric.

    Attributes
    ----------
    name : str
    higher_is_better : bool
    description : str
    """

    name: str
    higher_is_better: bool
    description: str


_SPECS = (
    MetricSpec("tpr_at_fpr_1e-4", True,
               "Largest TPR among thresholds with FPR <= 1e-4 (0.01 %); threshold = highest one reaching it; "
               "None with 'not_reached' when no sweep point reaches that FPR."),
    MetricSpec("tpr_at_fpr_1e-3", True,
               "Largest TPR among thresholds with FPR <= 1e-3 (0.1 %); threshold = highest one reaching it; "
               "None with 'not_reached' when no sweep point reaches that FPR."),
    MetricSpec("purity_at_tpr_0.95", True,
               "Precision TP/(TP+FP) at the highest threshold with TPR >= 0.95 (mask sweeps: the point "
               "with TPR >= 0.95 flagging the fewest pixels)."),
    MetricSpec("f1", True, "2TP/(2TP+FP+FN) at the operating point."),
    MetricSpec("iou", True, "TP/(TP+FP+FN) at the operating point."),
    MetricSpec("fdr", False, "FP/(TP+FP) at the operating point."),
    MetricSpec("precision", True, "TP/(TP+FP) at the operating point."),
    MetricSpec("recall", True, "TP/(TP+FN) (= TPR) at the operating point."),
    MetricSpec("auroc", True,
               "Area under the ROC curve: exact Mann-Whitney with ties counted 1/2 for score maps; trapezoid "
               "over the sweep points plus (0,0) and (1,1) for mask sweeps."),
    MetricSpec("average_precision", True,
               "sum_k (R_k - R_{k-1}) P_k over thresholds in descending order (scikit-learn's "
               "average_precision_score); over the sweep points sorted by recall for mask sweeps."),
)

#: Canonical metric name -> :class:`MetricSpec`, in report order.
METRIC_SPECS = {spec.name: spec for spec in _SPECS}
#: The TPR-at-FPR metrics and their FPR targets.
FPR_TARGETS = {"tpr_at_fpr_1e-4": 1e-4, "tpr_at_fpr_1e-3": 1e-3}


def ratio(numerator, denominator):
    """Return ``numerator / denominator`` as float, or None when the denominator is 0."""
    return numerator / denominator if denominator else None


def compute_metrics(curve, *, operating_point):
    """Compute every metric of :data:`METRIC_SPECS` from a curve.

    Parameters
    ----------
    curve : Curve or SweepCurve
        Built from summed counts.
    operating_point : float
        Score threshold (score detectors; must be on the curve's grid) or
        sweep value (mask detectors) of the operating point.

    Returns
    -------
    dict
        ``name -> {"value": float or None, "threshold": float or None,
        "higher_is_better": bool}`` in :data:`METRIC_SPECS` order, plus
        ``"not_reached"`` for a TPR-at-FPR target no sweep point reached.
    """
    values = {}
    for name, target in FPR_TARGETS.items():
        values[name] = curve.tpr_at_fpr(target)
    values["purity_at_tpr_0.95"] = curve.precision_at_tpr(0.95)
    counts = curve.counts_at(operating_point)
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    at = float(operating_point)
    values["f1"] = (ratio(2 * tp, 2 * tp + fp + fn), at)
    values["iou"] = (ratio(tp, tp + fp + fn), at)
    values["fdr"] = (ratio(fp, tp + fp), at)
    values["precision"] = (ratio(tp, tp + fp), at)
    values["recall"] = (ratio(tp, tp + fn), at)
    values["auroc"] = (curve.auroc(), None)
    values["average_precision"] = (curve.average_precision(), None)
    metrics = {
        name: {
            "value": None if values[name][0] is None else float(values[name][0]),
            "threshold": values[name][1],
            "higher_is_better": spec.higher_is_better,
        }
        for name, spec in METRIC_SPECS.items()
    }
    for name, target in FPR_TARGETS.items():
        missed = curve.not_reached(target)
        if missed is not None:
            metrics[name]["not_reached"] = missed
    return metrics
