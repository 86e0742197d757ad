"""Validation of the simulator against real material.

:mod:`.itl_footprints` compares simulated cosmic-ray footprints with real
ones from LSST ITL dark frames; :mod:`.decam_sky` compares real DECam sky
(noise, PSF, source counts) with simulated DECam frames, using the generic
measurements of :mod:`.sky_noise`, :mod:`.psf_fwhm` and :mod:`.source_counts`.
"""

from .decam_sky import *  # noqa: F403 (re-exports decam_sky.__all__)
from .decam_sky import __all__ as _decam_sky_all
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
    *_decam_sky_all,
]
