"""Is a run record's metric section believable? Finite values, fractions, and agreement with its own counts.

The regression check compares metric values with a baseline; a record whose values
are NaN, infinite or hand-edited would otherwise pass (NaN compares neither
better nor worse). :func:`metric_problems` finds such records:

1. every metric value of :data:`crbench.scoring.METRIC_SPECS` must be finite
   and a fraction in [0, 1] (all ten are rates or areas), and its direction
   must be the spec's;
2. when the record stores its exact summed counts and was scored under the
   current metric spec and crbench's protocol, every metric is recomputed from those counts
   (:func:`crbench.scoring.compute_metrics`) and value and threshold must
   agree within :data:`METRIC_TOLERANCE`.

Recomputing runs the same code on the same integers the run summed, so the
results are bit-identical in practice; the tolerance only absorbs a
different summation order of a future numpy. Any edit of a printed digit
(the leaderboard shows 4) is far above it.
"""

import math

from ..scoring import METRIC_SPEC_VERSION, METRIC_SPECS, compute_metrics
from .run import DEFAULT_PROTOCOL_NAME, as_run_record

__all__ = ["METRIC_TOLERANCE", "metric_problems", "recompute_metrics"]

#: Largest |stored - recomputed| accepted for a metric value or threshold.
METRIC_TOLERANCE = 1e-12


def recompute_metrics(record):
    """Metrics recomputed from the record's stored summed counts.

    Returns
    -------
    dict or None
        As :func:`crbench.scoring.compute_metrics` returns them; None when
        the record has no counts or no operating point.
    """
    record = as_run_record(record)
    if record.counts is None or record.operating_point is None:
        return None
    return compute_metrics(record.counts.curve(), operating_point=record.operating_point)


def _differ(stored, recomputed):
    if stored is None or recomputed is None:
        return stored is not recomputed
    return not abs(float(stored) - float(recomputed)) <= METRIC_TOLERANCE


def metric_problems(record):
    """Return what is wrong with a record's metrics (empty list when nothing).

    Parameters
    ----------
    record : RunRecord or dict

    Returns
    -------
    list of str
        One human-readable sentence per problem, naming the metric.
    """
    record = as_run_record(record)
    problems = []
    judged = set()  # metrics already found wrong: not compared with the counts again
    for name, metric in record.metrics.items():
        value = metric.value
        if value is not None and not math.isfinite(value):
            problems.append(f"{name} is {value!r}, not a finite number")
            judged.add(name)
        elif name in METRIC_SPECS and value is not None and not 0.0 <= value <= 1.0:
            problems.append(f"{name} = {value!r} is outside [0, 1]")
            judged.add(name)
        spec = METRIC_SPECS.get(name)
        if spec is not None and metric.higher_is_better != spec.higher_is_better:
            problems.append(f"{name} claims higher_is_better={metric.higher_is_better}, the metric spec says "
                            f"{spec.higher_is_better}")
    if record.metric_spec_version != METRIC_SPEC_VERSION:
        return problems  # defined under another spec: the current code cannot recompute it
    if record.protocol_name != DEFAULT_PROTOCOL_NAME:
        # another paper's rules (a TPR rule, two curves, per-image Dice): the stored counts alone do not define them
        return problems
    try:
        recomputed = recompute_metrics(record)
    except (ValueError, KeyError, TypeError) as error:
        return [*problems, f"the stored counts cannot be scored ({error})"]
    if recomputed is None:
        return problems
    for name, expected in recomputed.items():
        stored = record.metrics.get(name)
        if name in judged:
            continue
        if stored is None:
            problems.append(f"{name} is missing although the counts define it")
            continue
        if _differ(stored.value, expected["value"]):
            problems.append(f"{name} = {stored.value!r} contradicts the stored counts, which give "
                            f"{expected['value']!r}")
        elif _differ(stored.threshold, expected["threshold"]):
            problems.append(f"{name} threshold {stored.threshold!r} contradicts the stored counts, which give "
                            f"{expected['threshold']!r}")
        elif stored.not_reached != expected.get("not_reached"):
            problems.append(f"{name} not_reached {stored.not_reached!r} contradicts the stored counts, which give "
                            f"{expected.get('not_reached')!r}")
    return problems
