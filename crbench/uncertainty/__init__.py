"""Uncertainty of crbench's metrics: an exact bootstrap over images, paired comparisons, ranking groups.

- :mod:`.states`: per-image scoring states kept during pass 2, and their
  weighted sums (a resample's exact counts).
- :mod:`.resample`: seeded, optionally stratified resample weights and
  their digest.
- :mod:`.interval`: percentile intervals that never drop undefined
  replicates into a narrower interval.
- :mod:`.bootstrap`: replicate metrics (computed by
  :func:`crbench.scoring.compute_metrics`) and the record's ``uncertainty``
  section.
- :mod:`.paired`: paired bootstrap differences of two run records.
- :mod:`.ranking`: groups of detectors the paired bootstrap cannot separate.
"""

from .bootstrap import DEFAULT_RESAMPLES, METHOD, bootstrap_metrics, replicate_metrics
from .interval import DEFAULT_LEVEL, percentile_interval
from .paired import NotComparableError, PairedDifference, comparability_problems, compare_records
from .ranking import DEFAULT_CONFIDENCE, RankedEntry, rank_groups
from .resample import DEFAULT_SEED, ResampleSet, draw_resamples, weights_digest
from .settings import BootstrapSettings
from .states import DEFAULT_MAX_STATE_BYTES, BootstrapMemoryError, SweepStates, ThresholdStates

__all__ = [
    "DEFAULT_CONFIDENCE",
    "NotComparableError",
    "PairedDifference",
    "RankedEntry",
    "comparability_problems",
    "compare_records",
    "rank_groups",
    "DEFAULT_RESAMPLES",
    "DEFAULT_LEVEL",
    "DEFAULT_SEED",
    "DEFAULT_MAX_STATE_BYTES",
    "METHOD",
    "BootstrapMemoryError",
    "BootstrapSettings",
    "ResampleSet",
    "SweepStates",
    "ThresholdStates",
    "bootstrap_metrics",
    "draw_resamples",
    "percentile_interval",
    "replicate_metrics",
    "weights_digest",
]
