"""Adaptive sweep planning on detectors whose FPR and TPR are known in closed form."""

import collections
import math

import numpy as np
import pytest

from crbench.errors import InputError
from crbench.scoring import SweepCounts
from crbench.scoring.refine import SweepRefinement, plan_refinement

N_POS, N_NEG = 100_000, 100_000_000
GRID = (3.79, 4.47, 5.28, 6.24, 7.37, 8.71, 10.3, 12.1, 14.3, 16.9, 20.0)


def power_law_fpr(value):
    """FPR 0.05 v^-4: crosses 1e-3 at v = 50^(1/4) = 2.659 and 1e-4 at 500^(1/4) = 4.729."""
    return 0.05 * value**-4


def slow_tpr(value):
    return math.exp(-value / 30)


class ClosedFormDetector:
    """Counts of a mask detector at any swept value; records every value it is asked for."""

    def __init__(self, fpr, tpr=slow_tpr):
        self.fpr, self.tpr = fpr, tpr
        self.calls = collections.Counter()

    def counts(self, value):
        self.calls[value] += 1
        return round(self.tpr(value) * N_POS), math.floor(self.fpr(value) * N_NEG)

    def sweep(self, grid, policy):
        """Detect ``grid``, then what :func:`plan_refinement` proposes until it proposes nothing."""
        measured = {value: self.counts(value) for value in grid}
        for _ in range(100):
            values = sorted(measured)
            tp = np.array([measured[value][0] for value in values])
            fp = np.array([measured[value][1] for value in values])
            step = plan_refinement(SweepCounts(values, tp, fp, N_POS - tp, N_NEG - fp).curve(),
                                   initial_values=grid, policy=policy)
            if not step.proposals:
                return measured, step
            for proposal in step.proposals:
                assert proposal.value not in measured and proposal.reason
                measured[proposal.value] = self.counts(proposal.value)
        raise AssertionError("plan_refinement did not terminate")


def _crossing(fpr, target, low=0.01, high=1000.0):
    for _ in range(200):  # bisection on the closed form (decreasing FPR)
        middle = math.sqrt(low * high)
        low, high = (middle, high) if fpr(middle) > target else (low, middle)
    return high


def test_bisection_brackets_both_targets_within_tolerance_and_detects_each_value_once():
    policy = SweepRefinement(tpr_gap=0.0)  # only the 2 % value tolerance can stop it
    detector = ClosedFormDetector(power_law_fpr)
    grid = (2.0, 3.0, 4.0, 6.0, 9.0)
    measured, step = detector.sweep(grid, policy)
    assert set(detector.calls.values()) == {1}  # every value detected exactly once
    for state in step.targets:
        assert state.state == "converged", state
        low, high = state.bracket
        assert high / low <= 1.02
        assert power_law_fpr(low) > state.target >= power_law_fpr(high)  # a true bracket of the crossing
        assert low < _crossing(power_law_fpr, state.target) <= high
    assert len(measured) - len(grid) <= policy.max_new_values


def test_tpr_gap_stops_earlier_with_the_reported_tpr_within_the_gap():
    def flat_tpr(value):
        return math.exp(-value / 300)

    grid = (2.0, 3.0, 4.0, 6.0, 9.0)
    gap_only = ClosedFormDetector(power_law_fpr, tpr=flat_tpr)
    measured, step = gap_only.sweep(grid, SweepRefinement())
    for state in step.targets:
        low, high = state.bracket
        assert state.state == "converged" and "differs by" in state.reason
        assert abs(flat_tpr(low) - flat_tpr(high)) < 0.002 + 2 / N_POS
        assert high / low > 1.02  # stopped before the value tolerance
    value_only, _ = ClosedFormDetector(power_law_fpr, tpr=flat_tpr).sweep(grid, SweepRefinement(tpr_gap=0.0))
    assert len(measured) < len(value_only)


def test_widens_beyond_the_grid_when_even_the_strictest_value_misses_the_target():
    detector = ClosedFormDetector(lambda value: 0.05 * (value / 40) ** -4)  # crosses 1e-4 at 189
    measured, step = detector.sweep(GRID, SweepRefinement(max_new_values=20))
    assert max(measured) > 2 * GRID[-1]
    assert [value for value in sorted(measured) if value > 20][:2] == [40.0, 80.0]  # doubling
    assert all(state.state == "converged" for state in step.targets)
    assert set(detector.calls.values()) == {1}


def test_widens_below_the_grid_when_every_value_reaches_the_target():
    detector = ClosedFormDetector(lambda value: 0.05 * (value * 4) ** -4)  # crosses 1e-3 at 0.66
    measured, step = detector.sweep(GRID, SweepRefinement(max_new_values=20))
    assert min(measured) < GRID[0] / 2
    assert all(state.state == "converged" for state in step.targets)


def test_flat_detector_stops_after_one_widening():
    detector = ClosedFormDetector(lambda value: 0.01, tpr=lambda value: 0.9)
    measured, step = detector.sweep(GRID, SweepRefinement())
    assert sorted(set(measured) - set(GRID)) == [40.0]  # both targets ask for the same value once
    assert {state.state for state in step.targets} == {"stopped"}
    assert "flat or non-monotone" in step.targets[0].reason


def test_non_monotone_detector_terminates_within_the_budget():
    def wobbly(value):
        return 2e-4 * (1 + 0.95 * math.sin(9 * value))

    detector = ClosedFormDetector(wobbly, tpr=lambda value: 0.5 + 0.4 * math.sin(3 * value))
    policy = SweepRefinement(max_new_values=8)
    measured, step = detector.sweep(GRID, policy)
    assert len(measured) - len(GRID) <= 8
    assert set(detector.calls.values()) == {1}
    assert all(state.state in ("converged", "stopped") for state in step.targets)


def test_policy_parameter_forms():
    assert SweepRefinement.from_param(True) == SweepRefinement()
    assert SweepRefinement.from_param(None) is None and SweepRefinement.from_param(False) is None
    assert SweepRefinement.from_param(SweepRefinement().to_param()) == SweepRefinement()
    assert SweepRefinement.from_param({"targets": [1e-3, 1e-4]}).targets == (1e-4, 1e-3)
    with pytest.raises(InputError, match="unknown key"):
        SweepRefinement.from_param({"tolerance": 0.1})
    with pytest.raises(InputError):
        SweepRefinement(value_ratio=1.0)
