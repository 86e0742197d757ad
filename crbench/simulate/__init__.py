"""Physically grounded CCD simulator with exact cosmic-ray labels.

Pure science functions in small modules: :mod:`.profiles` (instrument
numbers with sources), :mod:`.scene` (GalSim PSF, stars, galaxies, sky),
:mod:`.cosmics` (ray-traced CR events), :mod:`.defects` (hard negatives),
:mod:`.noise` (read-out), :mod:`.labels` (truth, ignore, CR objects),
:mod:`.real_cosmics` (real LSST ITL footprints as a CR source),
:mod:`.inject` (real footprints injected into real frames) and
:mod:`.frame` (one exposure end to end).
"""

from .cosmics import EVENT_KINDS, CosmicRayField, simulate_cosmic_rays
from .defects import DEFECT_CLASSES
from .frame import SimulatedFrame, simulate_frame
from .inject import InjectedCosmicRays, inject_real_cosmic_rays
from .labels import K_SIGMA
from .profiles import PROFILES, CosmicRayModel, InstrumentProfile, get_profile
from .real_cosmics import CR_SOURCES, FootprintLibrary, draw_real_cosmic_rays, itl_footprint_library

__all__ = [
    "CR_SOURCES",
    "CosmicRayField",
    "CosmicRayModel",
    "DEFECT_CLASSES",
    "EVENT_KINDS",
    "FootprintLibrary",
    "InjectedCosmicRays",
    "InstrumentProfile",
    "K_SIGMA",
    "PROFILES",
    "SimulatedFrame",
    "draw_real_cosmic_rays",
    "get_profile",
    "inject_real_cosmic_rays",
    "itl_footprint_library",
    "simulate_cosmic_rays",
    "simulate_frame",
]
