"""``--adaptive-sweep / --fixed-sweep`` of ``crbench run``: the option and the printed summary."""

from ..detectors import get_detector_class
from ..detectors.sweep_params import optional_params
from ..errors import InputError

__all__ = ["with_sweep_mode", "refinement_summary"]


def with_sweep_mode(detector_name, params, *, adaptive):
    """Return ``params`` with ``sweep_refinement`` switched on (True) or off.

    An explicit ``sweep_refinement`` in ``--detector-args`` wins over
    ``--adaptive-sweep``. Raises :class:`InputError` for a detector without
    a swept parameter.
    """
    if "sweep_refinement" not in optional_params(get_detector_class(detector_name)):
        raise InputError(f"--adaptive-sweep/--fixed-sweep apply to mask detectors with a swept parameter; "
                         f"{detector_name!r} has none")
    params = dict(params)
    if adaptive:
        params.setdefault("sweep_refinement", True)
    else:
        params.pop("sweep_refinement", None)
    return params


def refinement_summary(refinement):
    """Lines describing an adaptive sweep (a :class:`crbench.records.SweepRefinementRecord`)."""
    lines = [
        f"adaptive sweep: {len(refinement.added_values)} value(s) added to the {len(refinement.initial_values)} "
        f"of the grid in {max(0, len(refinement.rounds) - 1)} round(s), "
        f"{refinement.extra_detect_seconds or 0.0:.1f} s of extra detection",
        f"  added: {', '.join(f'{value:g}' for value in refinement.added_values) or 'none'}",
    ]
    for state in refinement.targets:
        bracket = state.get("bracket")
        within = f" [{bracket[0]:g}, {bracket[1]:g}]" if bracket else ""
        lines.append(f"  FPR {state['target']:g}: {state['state']}{within}: {state['reason']}")
    return "\n".join(lines)
