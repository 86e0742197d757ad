"""What a run's bootstrap does: the settings the runner passes through."""

import dataclasses

from ..errors import InputError
from .bootstrap import DEFAULT_RESAMPLES, bootstrap_metrics
from .interval import DEFAULT_LEVEL
from .resample import DEFAULT_SEED
from .states import DEFAULT_MAX_STATE_BYTES, SweepStates, ThresholdStates

__all__ = ["BootstrapSettings"]


@dataclasses.dataclass(frozen=True)
class BootstrapSettings:
    """Bootstrap settings of a run.

    Attributes
    ----------
    n_resamples : int
        0 switches the bootstrap off.
    seed : int
    level : float
        Confidence level of the intervals.
    max_state_bytes : int
        Memory budget of the per-image states.
    """

    n_resamples: int = DEFAULT_RESAMPLES
    seed: int = DEFAULT_SEED
    level: float = DEFAULT_LEVEL
    max_state_bytes: int = DEFAULT_MAX_STATE_BYTES

    def __post_init__(self):
        if self.n_resamples < 0:
            raise InputError(f"the number of bootstrap resamples must be >= 0 (0 = off), got {self.n_resamples}")

    @property
    def enabled(self):
        """False when ``n_resamples == 0``."""
        return self.n_resamples > 0

    def states_for(self, kind):
        """Empty per-image states for output kind ``"score"`` or ``"mask"`` (None when off)."""
        if not self.enabled:
            return None
        states = ThresholdStates if kind == "score" else SweepStates
        return states(max_bytes=self.max_state_bytes)

    def section(self, states, *, operating_point, strata=None, strata_field=None):
        """The record's ``uncertainty`` section for the collected ``states`` (None when off or empty)."""
        if not self.enabled or states is None or not len(states):
            return None
        return bootstrap_metrics(states, operating_point=operating_point, n_resamples=self.n_resamples,
                                 seed=self.seed, strata=strata, strata_field=strata_field, level=self.level)
