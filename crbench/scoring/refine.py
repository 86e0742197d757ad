"""Where to add sweep values so that a mask detector's sweep brackets its FPR targets.

A mask detector's ROC curve has only the points its sweep measured. TPR at
FPR 1e-4 is read at the best point with FPR <= 1e-4, so with a coarse grid
the reported value sits up to one grid step below what the detector can do,
and a grid whose strictest value still flags too much never reaches the
target at all. :func:`plan_refinement` looks at the summed counts of the
values measured so far and proposes the next values, one per FPR target and
round, with the reason for each; the runner (:mod:`crbench.adaptive_sweep`)
detects only those values and asks again until nothing is proposed.

Rules, per target FPR ``t`` (values sorted; "strict" is the end of the grid
that flags fewer pixels, the high end for ``sigclip`` and ``cr_threshold``):

- **Bisect.** The reported point (the best TPR with FPR <= ``t``) and its
  neighbour on the unreached side (FPR > ``t``) bracket the crossing; the
  geometric midpoint of their values (log-space bisection), rounded to
  :attr:`SweepRefinement.significant_digits`, is proposed.
- **Tolerance.** A target is *converged* when its bracketing values are
  within :attr:`SweepRefinement.value_ratio` of each other (high / low <=
  1.02: 2 % in log space) **or** their TPRs differ by less than
  :attr:`SweepRefinement.tpr_gap` (0.002; on a monotone detector the TPR at
  the crossing then lies within 0.002 of the reported value).
- **Widen.** When no point reaches ``t``, the strictest value is multiplied
  by :attr:`SweepRefinement.widen_factor` (2: beyond [1, 20] when needed);
  when every point reaches ``t`` (the target lies beyond the permissive end),
  the most permissive value is divided by it, unless TPR 1 is reached.
- **Termination.** At most :attr:`SweepRefinement.max_new_values` values
  are added in all. A target stops early (state ``"stopped"``) when a
  widened value did not move the FPR the wanted way compared with its
  neighbour (a flat or non-monotone detector), when the midpoint rounds onto
  a value already measured, or when the reported point has no unreached
  neighbour (non-monotone). Every proposal either shrinks a bracket or
  extends the grid, so the loop ends.
"""

import dataclasses
import math

import numpy as np

from ..errors import InputError

__all__ = ["SweepRefinement", "Proposal", "TargetState", "RefinementStep", "plan_refinement", "round_value"]


@dataclasses.dataclass(frozen=True)
class SweepRefinement:
    """The adaptive-sweep policy (a detector's ``sweep_refinement`` parameter).

    Attributes
    ----------
    targets : tuple of float
        FPR targets to bracket (those of the TPR-at-FPR metrics).
    value_ratio : float
        Converged when the bracketing values satisfy high / low <= this.
    tpr_gap : float
        Converged when the bracketing points' TPRs differ by less than this.
    max_new_values : int
        Most values added beyond the initial grid, over all targets.
    widen_factor : float
        Factor by which the grid is extended beyond its strict (or permissive) end.
    significant_digits : int
        New values are rounded to this many significant digits (readable
        grids; a midpoint that rounds onto a measured value stops the target).
    """

    targets: tuple = (1e-4, 1e-3)
    value_ratio: float = 1.02
    tpr_gap: float = 0.002
    max_new_values: int = 12
    widen_factor: float = 2.0
    significant_digits: int = 4

    def __post_init__(self):
        object.__setattr__(self, "targets", tuple(sorted(float(t) for t in self.targets)))
        if not self.targets or not all(0 < t < 1 for t in self.targets):
            raise InputError(f"sweep_refinement targets must be FPRs in (0, 1), got {self.targets}")
        if not self.value_ratio > 1 or not self.widen_factor > 1:
            raise InputError("sweep_refinement value_ratio and widen_factor must be > 1")
        if self.tpr_gap < 0 or int(self.max_new_values) < 0 or int(self.significant_digits) < 2:
            raise InputError("sweep_refinement needs tpr_gap >= 0, max_new_values >= 0, significant_digits >= 2")

    @classmethod
    def from_param(cls, value):
        """Read a ``sweep_refinement`` parameter: True (defaults), a dict of fields, or None/False (off).

        Raises
        ------
        InputError
            On an unknown key or a value of the wrong kind.
        """
        if value is None or value is False:
            return None
        if value is True:
            return cls()
        if isinstance(value, cls):
            return value
        if not isinstance(value, dict):
            raise InputError(f"sweep_refinement must be true, false or a mapping of policy fields, got {value!r}")
        known = {item.name for item in dataclasses.fields(cls)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise InputError(f"sweep_refinement: unknown key(s) {unknown}; known: {sorted(known)}")
        return cls(**value)

    def to_param(self):
        """The canonical JSON form stored in the detector's parameters (and hashed with them)."""
        return {
            "targets": list(self.targets),
            "value_ratio": float(self.value_ratio),
            "tpr_gap": float(self.tpr_gap),
            "max_new_values": int(self.max_new_values),
            "widen_factor": float(self.widen_factor),
            "significant_digits": int(self.significant_digits),
        }


@dataclasses.dataclass(frozen=True)
class Proposal:
    """One value to add, for which target, and why."""

    value: float
    target: float
    reason: str


@dataclasses.dataclass(frozen=True)
class TargetState:
    """Where one FPR target stands.

    ``state`` is ``"open"`` (a value was proposed), ``"converged"`` (within
    tolerance) or ``"stopped"`` (cannot be refined further; ``reason``
    says why). ``bracket`` holds the sorted values of the reported point and
    its unreached neighbour, when there are both.
    """

    target: float
    state: str
    reason: str
    bracket: tuple | None = None

    def to_dict(self):
        """JSON-ready form."""
        return {"target": self.target, "state": self.state, "reason": self.reason,
                "bracket": None if self.bracket is None else list(self.bracket)}


@dataclasses.dataclass(frozen=True)
class RefinementStep:
    """What :func:`plan_refinement` decided: values to add (none = done) and every target's state."""

    proposals: tuple
    targets: tuple


def round_value(value, digits):
    """``value`` rounded to ``digits`` significant digits."""
    return float(f"{value:.{digits - 1}e}")


def _points(curve):
    order = np.argsort(np.asarray(curve.values, dtype=float), kind="stable")
    values = np.asarray(curve.values, dtype=float)[order]
    tp, fp = curve.tp[order], curve.fp[order]
    return values, tp / curve.n_pos, fp / curve.n_neg, tp + fp


def _widen(values, fpr, flagged, index, *, inward, stricter, initial, policy, target, why):
    """Propose a value beyond end ``index`` of the grid, unless the last widening made no progress."""
    value = values[index]
    if value not in initial:
        neighbour = index + inward
        moved = flagged[index] < flagged[neighbour] if stricter else flagged[index] > flagged[neighbour]
        if not moved:
            direction = "lower" if stricter else "raise"
            return None, TargetState(target, "stopped", f"widening to {value:g} did not {direction} the number of "
                                     f"flagged pixels (FPR {fpr[index]:.3e}): flat or non-monotone detector")
    # beyond the high end: multiply; beyond the low end: divide
    factor = policy.widen_factor if inward == -1 else 1 / policy.widen_factor
    new = round_value(value * factor, policy.significant_digits)
    reason = f"widen for FPR {target:g}: {why}; try {new:g}"
    return Proposal(new, target, reason), TargetState(target, "open", reason)


def _plan_target(curve, target, *, initial, policy):
    values, tpr, fpr, flagged = _points(curve)
    reached = fpr <= target
    # the strict end flags fewer pixels (the high end for sigclip / cr_threshold); a flat grid counts as high
    strict_high = flagged[-1] <= flagged[0]
    strict, permissive = (len(values) - 1, 0) if strict_high else (0, len(values) - 1)
    inward_from_strict, inward_from_permissive = (-1, 1) if strict_high else (1, -1)
    if not reached.any():
        why = f"the strictest value {values[strict]:g} has FPR {fpr[strict]:.3e} > {target:g}"
        return _widen(values, fpr, flagged, strict, inward=inward_from_strict, stricter=True, initial=initial,
                      policy=policy, target=target, why=why)
    best_tpr = tpr[reached].max()
    candidates = np.flatnonzero(reached & (tpr == best_tpr))
    best = int(candidates[np.argmin(flagged[candidates])])
    if reached.all():
        if best_tpr >= 1.0:
            return None, TargetState(target, "converged", "every value reaches the target and TPR 1 is reached")
        why = f"even the most permissive value {values[permissive]:g} has FPR {fpr[permissive]:.3e} <= {target:g}"
        return _widen(values, fpr, flagged, permissive, inward=inward_from_permissive, stricter=False,
                      initial=initial, policy=policy, target=target, why=why)
    neighbours = [index for index in (best - 1, best + 1) if 0 <= index < len(values) and not reached[index]]
    if not neighbours:
        return None, TargetState(target, "stopped", f"the reported point {values[best]:g} has no unreached "
                                 "neighbour (non-monotone detector): no bracket to bisect")
    other = max(neighbours, key=lambda index: tpr[index])
    low, high = sorted((values[best], values[other]))
    bracket = (float(low), float(high))
    gap = abs(tpr[other] - tpr[best])
    if high / low <= policy.value_ratio:
        return None, TargetState(target, "converged", f"bracketing values {low:g} and {high:g} are within "
                                 f"{100 * (policy.value_ratio - 1):g} % (TPR {tpr[best]:.4f} vs {tpr[other]:.4f})",
                                 bracket)
    if gap < policy.tpr_gap:
        return None, TargetState(target, "converged", f"TPR at the bracketing values {low:g} and {high:g} differs "
                                 f"by {gap:.4f} < {policy.tpr_gap:g}", bracket)
    middle = round_value(math.sqrt(low * high), policy.significant_digits)
    if middle in (low, high) or middle in set(values.tolist()):
        return None, TargetState(target, "stopped", f"the midpoint of {low:g} and {high:g} rounds onto a measured "
                                 f"value at {policy.significant_digits} significant digits", bracket)
    reason = (f"bisect for FPR {target:g}: {values[best]:g} reaches it (FPR {fpr[best]:.3e}, TPR {tpr[best]:.4f}), "
              f"{values[other]:g} does not (FPR {fpr[other]:.3e}, TPR {tpr[other]:.4f})")
    return Proposal(middle, target, reason), TargetState(target, "open", reason, bracket)


def plan_refinement(curve, *, initial_values, policy):
    """Propose the next sweep values for every FPR target of ``policy``.

    Parameters
    ----------
    curve : SweepCurve
        The summed counts of every value measured so far.
    initial_values : sequence of float
        The grid the sweep started from (values beyond it were added by
        widening, which the no-progress rule needs to know).
    policy : SweepRefinement

    Returns
    -------
    RefinementStep
        ``proposals``: distinct new values (at most the remaining budget of
        ``policy.max_new_values``; empty when every target is converged or
        stopped, or the budget is spent), ``targets``: one
        :class:`TargetState` per target.
    """
    if curve.n_pos == 0 or curve.n_neg == 0 or not curve.values:
        states = tuple(TargetState(t, "stopped", "TPR or FPR undefined (no positive or no negative pixel)")
                       for t in policy.targets)
        return RefinementStep((), states)
    initial = {float(value) for value in initial_values}
    budget = int(policy.max_new_values) - len(set(curve.values) - initial)
    measured = set(curve.values)
    proposals, states = [], []
    for target in policy.targets:
        proposal, state = _plan_target(curve, target, initial=initial, policy=policy)
        if proposal is not None and proposal.value in measured:
            state = dataclasses.replace(state, state="stopped", reason=f"{proposal.value:g} is already measured; "
                                        f"{state.reason}")
        elif proposal is not None and proposal.value not in {p.value for p in proposals}:
            if len(proposals) >= budget:
                state = dataclasses.replace(state, state="stopped",
                                            reason=f"budget of {policy.max_new_values} new values spent; {state.reason}")
            else:
                proposals.append(proposal)
        states.append(state)
    return RefinementStep(tuple(proposals), tuple(states))
