"""Physically grounded CCD simulator with exact cosmic-ray labels.

Pure science functions in small modules: :mod:`.profiles` (instrument
numbers with sources), :mod:`.scene` (GalSim PSF, stars, galaxies, sky),
:mod:`.cosmics` (ray-traced CR events), :mod:`.defects` (hard negatives),
:mod:`.noise` (read-out), :mod:`.labels` (truth, ignore, CR objects) and
:mod:`.frame` (one exposure end to end).
"""

from .cosmics import EVENT_KINDS, CosmicRayField, simulate_cosmic_rays
from .defects import DEFECT_CLASSES
from .frame import SimulatedFrame, simulate_frame
from .labels import K_SIGMA
from .profiles import PROFILES, CosmicRayModel, InstrumentProfile, get_profile

__all__ = [
    "CosmicRayField",
    "CosmicRayModel",
    "DEFECT_CLASSES",
    "EVENT_KINDS",
    "InstrumentProfile",
    "K_SIGMA",
    "PROFILES",
    "SimulatedFrame",
    "get_profile",
    "simulate_cosmic_rays",
    "simulate_frame",
]
