"""Accuracy vs cost: TPR at 0.01 % FPR against seconds per megapixel, one point per detector, per data set.

Cost comes from bench records (``crbench bench``) of one machine only — the
machine fingerprint with the most benched detectors — so that the x axis
compares like with like; detectors without a bench record there are left out
and named under the plot. Error bars are the records' 95 % bootstrap
intervals; a detector whose sweep did not reach 0.01 % FPR has no TPR there
and is named, not drawn at 0.
"""

import io
from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from ..leaderboard.tables import RANK_METRIC
from .runtime import bench_fingerprint, group_by_machine
from .sections import detector_family

__all__ = ["CostPoint", "cost_machine", "cost_points", "plot_cost"]

_SAVE = {"format": "png", "dpi": 90, "metadata": {"Software": None}}
_MARKERS = "osD^v<>pPX*h"


@dataclass
class CostPoint:
    """One detector on the plot: its seconds per megapixel, the metric (fraction), its interval and family."""

    name: str
    family: str
    seconds: float
    value: float
    interval: tuple | None


def cost_machine(bench_records):
    """The fingerprint with the most benched detectors (None without bench records)."""
    counts = {machine: {bench.detector.name for bench in benches}
              for machine, benches in group_by_machine(bench_records, bench_fingerprint).items()}
    if not counts:
        return None
    return max(sorted(counts, key=lambda machine: machine.sort_key), key=lambda machine: len(counts[machine]))


def cost_points(group, bench_records, *, metric=RANK_METRIC):
    """Points of one group on the cost machine.

    Returns
    -------
    points : list of CostPoint
    left_out : list of str
        ``"name: why"`` for records not drawn.
    machine : Fingerprint or None
    """
    machine = cost_machine(bench_records)
    seconds = {}
    on_machine = group_by_machine(bench_records, bench_fingerprint).get(machine, [])
    for bench in sorted(on_machine, key=lambda bench: str(bench.date or "")):
        seconds[bench.detector.name] = bench.seconds_per_megapixel  # newest wins
    points, left_out = [], []
    for record in group.records:
        name = record.detector.name
        found = record.metrics.get(metric)
        if name not in seconds:
            left_out.append(f"{name}: no crbench bench record on this machine")
            continue
        if found is not None and found.not_reached is not None:
            left_out.append(f"{name}: 0.01 % FPR not reached by its sweep")
            continue
        value = record.metric_value(metric)
        if value is None:
            left_out.append(f"{name}: metric undefined")
            continue
        interval = record.uncertainty.interval(metric) if record.uncertainty is not None else None
        points.append(CostPoint(name, detector_family(record.detector), seconds[name], value, interval))
    return points, left_out, machine


def plot_cost(points, *, title, machine_label):
    """Draw the accuracy-vs-cost scatter; return PNG bytes.

    Parameters
    ----------
    points : list of CostPoint
    title : str
    machine_label : str
    """
    figure = Figure(figsize=(6.4, 4.2))
    axis = figure.subplots()
    families = sorted({point.family for point in points})
    colors = {family: f"C{index % 10}" for index, family in enumerate(families)}
    for number, point in enumerate(sorted(points, key=lambda point: point.name)):
        low, high = point.interval if point.interval else (None, None)
        error = np.array([[point.value - low if low is not None else 0.0],
                          [high - point.value if high is not None else 0.0]]) * 100
        axis.errorbar(point.seconds, 100 * point.value, yerr=error, color=colors[point.family],
                      marker=_MARKERS[number % len(_MARKERS)], markersize=6, capsize=3, linestyle="none",
                      label=f"{point.name} ({point.family})")
    axis.set_xscale("log")
    axis.xaxis.set_minor_formatter(NullFormatter())  # minor labels of a narrow log range overlap
    axis.set_xlabel(f"seconds per megapixel (log), crbench bench on\n{machine_label}", fontsize=8)
    axis.set_ylabel("TPR at 0.01 % FPR (%)")
    axis.grid(True, which="both", alpha=0.3)
    axis.set_title(f"Accuracy vs cost: {title}", fontsize=9)
    if points:
        axis.legend(fontsize=6.5, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    figure.tight_layout()
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, **_SAVE)
    return buffer.getvalue()
