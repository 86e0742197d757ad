"""ROC and precision-recall curves with one panel per detector family, and object recall by kind.

Thirteen similar colours in one panel cannot be told apart; here each panel
holds one detector family (at most a handful of curves), coloured from
matplotlib's tab10 with a line style per detector, so that any curve is
identifiable in greyscale too. The curve data and the operating points come
from :mod:`crbench.leaderboard.plots` (the same counts as the one-page
leaderboard's plots).
"""

import io
import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..leaderboard.objects_table import OBJECT_COLUMNS
from ..leaderboard.plots import ZOOM_FPR_RANGE, curve_rates, operating_point_roc
from .sections import detector_family

__all__ = ["MAX_CURVES_PER_PANEL", "family_panels", "plot_curves_by_family", "OBJECT_RECALL_COLUMNS",
           "plot_object_recall"]

#: A family with more detectors is split over several panels.
MAX_CURVES_PER_PANEL = 8
_LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 1)), (0, (8, 2, 2, 2)))
_SAVE = {"format": "png", "dpi": 80, "metadata": {"Software": None}}
#: Object-recall columns of the object-level table drawn per detector (morphology and distance to sources).
OBJECT_RECALL_COLUMNS = ("object recall", "recall, tracks (muons)", "recall, worms", "recall, spots",
                         "recall within 2 FWHM of a source")


def _png(figure):
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, **_SAVE)
    return buffer.getvalue()


def family_panels(records, labels):
    """``[(panel title, [(record, label), ...]), ...]``: one panel per family, at most 8 curves each."""
    by_family = {}
    for record, label in zip(records, labels):
        if curve_rates(record) is not None:
            by_family.setdefault(detector_family(record.detector), []).append((record, label))
    panels = []
    for family in sorted(by_family):
        members = by_family[family]
        chunks = math.ceil(len(members) / MAX_CURVES_PER_PANEL)
        for index in range(chunks):
            part = members[index * MAX_CURVES_PER_PANEL:(index + 1) * MAX_CURVES_PER_PANEL]
            panels.append((family if chunks == 1 else f"{family} ({index + 1}/{chunks})", part))
    return panels


def plot_curves_by_family(records, labels, *, title, kind):
    """ROC (``kind="roc"``, low-FPR regime) or precision-recall (``kind="pr"``) panels; PNG bytes or None.

    Parameters
    ----------
    records : list of RunRecord
        One comparable group.
    labels : list of str
        Legend label per record.
    title : str
    kind : {"roc", "pr"}
    """
    panels = family_panels(records, labels)
    if not panels:
        return None
    columns = min(3, len(panels))
    rows = math.ceil(len(panels) / columns)
    figure = Figure(figsize=(4.0 * columns, 3.2 * rows))
    axes = np.atleast_1d(figure.subplots(rows, columns, squeeze=False)).ravel()
    for axis, (family, members) in zip(axes, panels):
        for number, (record, label) in enumerate(members):
            rates = curve_rates(record)
            style = {"color": f"C{number % 10}", "linestyle": _LINESTYLES[number % len(_LINESTYLES)], "linewidth": 1.4}
            if kind == "roc":
                order = np.lexsort((rates["tpr"], rates["fpr"]))
                fpr, tpr = rates["fpr"][order], rates["tpr"][order]
                keep = np.isfinite(fpr) & np.isfinite(tpr)
                # FPR = 0 has no place on a log axis: drawn just left of the panel's edge
                axis.plot(np.where(fpr[keep] > 0, fpr[keep], ZOOM_FPR_RANGE[0] / 10), tpr[keep], label=label, **style)
                point = operating_point_roc(record)
                if point is not None and point[0] > 0:
                    axis.plot(*point, marker="o", markerfacecolor="white", markeredgecolor=style["color"],
                              linestyle="none")
            else:
                keep = np.isfinite(rates["precision"]) & np.isfinite(rates["tpr"])
                recall, precision = rates["tpr"][keep], rates["precision"][keep]
                order = np.lexsort((-precision, recall))
                axis.plot(recall[order], precision[order], label=label, **style)
        if kind == "roc":
            axis.set_xscale("log")
            axis.set_xlim(*ZOOM_FPR_RANGE)
            axis.set_xlabel("false positive rate (log)", fontsize=8)
            axis.set_ylabel("true positive rate", fontsize=8)
        else:
            axis.set_xlim(0.0, 1.005)
            axis.set_xlabel("recall (TPR)", fontsize=8)
            axis.set_ylabel("precision", fontsize=8)
        axis.set_ylim(0.0, 1.005)
        axis.set_title(family, fontsize=9)
        axis.grid(True, which="both", alpha=0.3)
        axis.tick_params(labelsize=7)
        axis.legend(fontsize=6.5, loc="lower right" if kind == "roc" else "lower left")
    for axis in axes[len(panels):]:
        axis.set_visible(False)
    name = "ROC, low-FPR regime (circles: operating points)" if kind == "roc" else "Precision-recall"
    figure.suptitle(f"{name}: {title}", fontsize=10)
    figure.tight_layout()
    return _png(figure)


def plot_object_recall(frame, *, title):
    """Object recall by CR kind and near sources per detector (horizontal bars); PNG bytes or None.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows of :func:`crbench.leaderboard.objects_table.object_scores_frame` of one data set.
    title : str
    """
    columns = [column for column in OBJECT_RECALL_COLUMNS if column in OBJECT_COLUMNS
               and frame[column].notna().any()]
    if frame.empty or len(columns) < 2:
        return None
    frame = frame.sort_values("detector")
    figure = Figure(figsize=(7.0, 1.0 + 0.09 * len(frame) * len(columns)))
    axis = figure.subplots()
    height = 0.8 / len(columns)
    positions = np.arange(len(frame))
    for number, column in enumerate(columns):
        values = frame[column].astype(float).to_numpy()
        axis.barh(positions + number * height, np.nan_to_num(values), height=height, color=f"C{number}",
                  label=column)
    axis.set_yticks(positions + 0.4 - height / 2)
    axis.set_yticklabels(frame["detector"], fontsize=7)
    axis.invert_yaxis()
    axis.set_xlim(0, 1)
    axis.set_xlabel("fraction of CR objects found", fontsize=8)
    axis.legend(fontsize=6.5, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    axis.set_title(f"Object recall by kind and near sources: {title}", fontsize=9)
    axis.grid(True, axis="x", alpha=0.3)
    figure.tight_layout()
    return _png(figure)
