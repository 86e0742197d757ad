"""Validation of the simulator against real material (footprints, frames)."""

from .itl_footprints import (
    ITL_PROFILE,
    FootprintStatistics,
    compare_footprints,
    extract_footprints,
    read_itl_catalog,
    simulate_itl_footprints,
)

__all__ = [
    "FootprintStatistics",
    "ITL_PROFILE",
    "compare_footprints",
    "extract_footprints",
    "read_itl_catalog",
    "simulate_itl_footprints",
]
