"""ROC and precision-recall plots per data set (matplotlib, Agg backend, PNG).

The curves come from the run records (``curves``: exact TP/FP counts per
stored threshold);
a marker shows each detector's reported operating point; the ROC legend
names the FPR targets a mask detector's sweep did not reach ("not reached
(FPR >= x)"). The ROC figure
has two panels: the low-FPR regime the papers report (log FPR from 1e-6 to
1e-2) and the full curve (log FPR down to the smallest non-zero FPR).
"""

import io
import re

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..records import as_run_record, not_reached_text
from ..scoring import FPR_TARGETS

__all__ = ["ZOOM_FPR_RANGE", "plot_slug", "curve_rates", "operating_point_roc", "operating_point_pr", "plot_roc", "plot_pr", "plot_group"]

ZOOM_FPR_RANGE = (1e-6, 1e-2)
# 16 distinguishable colours: the leaderboard has more detectors than the
# default 10-colour cycle, and two curves sharing a colour are ambiguous
_PALETTE = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
    "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f",
    "#000000", "#aec7e8", "#98df8a", "#ff9896", "#c5b0d5", "#6b4c00",
]
# PNG metadata left out so that re-rendering the same records gives the same bytes
_SAVE_OPTIONS = {"format": "png", "dpi": 110, "metadata": {"Software": None}}


def plot_slug(key):
    """File-name stem of a group's plots, unique per comparability key."""
    text = f"{key.dataset}_{key.size}_{key.split}_v{key.version}_m{key.metric_spec_version}_{key.manifest_hash[:8]}"
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text)


def _color(name, names):
    return _PALETTE[sorted(names).index(name) % len(_PALETTE)]


def curve_rates(record):
    """FPR, TPR (= recall), precision and thresholds of a record's stored curve.

    Run records store the curve as exact counts (``tp``, ``fp`` per
    threshold, ``n_pos``, ``n_neg``); rates are derived here. Precision is
    NaN where no pixel is flagged; FPR (TPR) is NaN without negatives
    (positives).

    Returns
    -------
    dict of str to ndarray, or None when the record has no curve
        See :meth:`crbench.records.StoredCurve.rates`.
    """
    curve = as_run_record(record).curves
    if curve is None or not curve.tp:
        return None
    return curve.rates()


def _operating_index(rates, record):
    value = record.operating_point
    if rates is None or not isinstance(value, (int, float)):
        return None
    matches = np.flatnonzero(np.isclose(rates["thresholds"], float(value), rtol=1e-12, atol=0.0))
    return int(matches[0]) if matches.size else None


def operating_point_roc(record):
    """(FPR, TPR) of the record's operating point on its stored curve, or None."""
    record = as_run_record(record)
    rates = curve_rates(record)
    index = _operating_index(rates, record)
    if index is None:
        return None
    return float(rates["fpr"][index]), float(rates["tpr"][index])


def operating_point_pr(record):
    """(recall, precision) at the record's operating point, or None."""
    record = as_run_record(record)
    recall, precision = record.metric_value("recall"), record.metric_value("precision")
    if recall is not None and precision is not None:
        return float(recall), float(precision)
    rates = curve_rates(record)
    index = _operating_index(rates, record)
    if index is None or np.isnan(rates["precision"][index]):
        return None
    return float(rates["tpr"][index]), float(rates["precision"][index])


def _style(record):
    # mask detectors have a handful of sweep points: show them as points on a dashed line
    if record.detector.output_kind == "mask":
        return {"linestyle": "--", "marker": ".", "markersize": 4}
    return {"linestyle": "-"}


def _not_reached_suffix(record):
    """Legend text naming the FPR targets the record's sweep did not reach (empty when none)."""
    missed = [f"TPR@{target:g} {not_reached_text(record.metrics[name].lowest_fpr)}"
              for name, target in FPR_TARGETS.items()
              if name in record.metrics and record.metrics[name].not_reached is not None]
    return f" [{'; '.join(missed)}]" if missed else ""


def _png_bytes(figure):
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, **_SAVE_OPTIONS)
    return buffer.getvalue()


def plot_roc(records, labels, *, title):
    """Draw the two-panel ROC figure of one data set.

    Parameters
    ----------
    records : list of RunRecord
        Run records of one comparable group.
    labels : list of str
        Legend label of each record.
    title : str

    Returns
    -------
    bytes
        The PNG image.
    """
    records = [as_run_record(record) for record in records]
    labels = [label + _not_reached_suffix(record) for record, label in zip(records, labels)]
    figure = Figure(figsize=(11, 4.6))
    zoom, full = figure.subplots(1, 2)
    names = [record.detector.name for record in records]
    curves = [(record, label, curve_rates(record)) for record, label in zip(records, labels)]
    curves = [(record, label, rates) for record, label, rates in curves if rates is not None]
    smallest = [rates["fpr"][rates["fpr"] > 0].min() for _, _, rates in curves if (rates["fpr"] > 0).any()]
    full_left = min([ZOOM_FPR_RANGE[0], *smallest]) / 2
    edges = {zoom: ZOOM_FPR_RANGE[0], full: full_left}
    lowest = []
    for record, label, rates in curves:
        order = np.lexsort((rates["tpr"], rates["fpr"]))
        fpr, tpr = rates["fpr"][order], rates["tpr"][order]
        defined = np.isfinite(tpr) & np.isfinite(fpr)
        fpr, tpr = fpr[defined], tpr[defined]
        color = _color(record.detector.name, names)
        for axis, edge in edges.items():
            # FPR = 0 has no place on a log axis: those points sit just beyond the left edge,
            # so that the curve enters the panel at the TPR it reaches with no false positive
            shown = np.where(fpr > 0, fpr, edge / 10)
            axis.plot(shown, tpr, color=color, label=label, linewidth=1.4, **_style(record))
        in_zoom = (fpr >= ZOOM_FPR_RANGE[0]) & (fpr <= ZOOM_FPR_RANGE[1])
        if in_zoom.any():
            lowest.append(tpr[in_zoom].min())
        point = operating_point_roc(record)
        if point is None:
            continue
        for axis, edge in edges.items():
            at_zero = point[0] <= 0  # drawn on the left edge as a triangle
            axis.plot(edge if at_zero else point[0], point[1], marker="<" if at_zero else "o", markersize=7,
                      markerfacecolor="white", markeredgecolor=color, markeredgewidth=1.8, linestyle="none",
                      clip_on=not at_zero)
    zoom.set_xscale("log")
    zoom.set_xlim(*ZOOM_FPR_RANGE)
    bottom = max(0.0, np.floor((min(lowest) - 0.02) * 20) / 20) if lowest else 0.0
    zoom.set_ylim(bottom, 1.005)
    zoom.set_title(f"low-FPR regime ({ZOOM_FPR_RANGE[0]:g} to {ZOOM_FPR_RANGE[1]:g})")
    full.set_xscale("log")
    full.set_xlim(full_left, 1.0)
    full.set_ylim(0.0, 1.005)
    full.set_title("full curve")
    for axis in (zoom, full):
        axis.set_xlabel("false positive rate (log)")
        axis.set_ylabel("true positive rate")
        axis.grid(True, which="both", alpha=0.3)
    if curves:
        full.legend(loc="lower right", fontsize=8)
    figure.suptitle(f"ROC: {title} (circles: operating points; triangles on the left edge: at FPR = 0)")
    figure.tight_layout()
    return _png_bytes(figure)


def plot_pr(records, labels, *, title):
    """Draw the precision-recall figure of one data set; return PNG bytes (see :func:`plot_roc`)."""
    records = [as_run_record(record) for record in records]
    figure = Figure(figsize=(6.2, 4.8))
    axis = figure.subplots()
    names = [record.detector.name for record in records]
    for record, label in zip(records, labels):
        rates = curve_rates(record)
        if rates is None:
            continue
        defined = np.isfinite(rates["precision"]) & np.isfinite(rates["tpr"])
        recall, precision = rates["tpr"][defined], rates["precision"][defined]
        order = np.lexsort((-precision, recall))
        color = _color(record.detector.name, names)
        axis.plot(recall[order], precision[order], color=color, label=label, linewidth=1.4, **_style(record))
        point = operating_point_pr(record)
        if point is not None:
            axis.plot(*point, marker="o", markersize=7, markerfacecolor="white", markeredgecolor=color,
                      markeredgewidth=1.8, linestyle="none")
    axis.set_xlim(0.0, 1.005)
    axis.set_ylim(0.0, 1.005)
    axis.set_xlabel("recall (TPR)")
    axis.set_ylabel("precision (purity)")
    axis.grid(True, alpha=0.3)
    if axis.get_lines():
        axis.legend(loc="lower left", fontsize=8)
    axis.set_title(f"Precision-recall: {title}\n(circles: operating points)", fontsize=10)
    figure.tight_layout()
    return _png_bytes(figure)


def plot_group(group, labels, *, title):
    """Draw ROC and PR plots of one group; return ``{"roc": png_bytes, "pr": png_bytes}``."""
    return {
        "roc": plot_roc(group.records, labels, title=title),
        "pr": plot_pr(group.records, labels, title=title),
    }
