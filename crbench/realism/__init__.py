"""Validation of the simulator against real material.

:mod:`.decam_sky` compares real DECam sky (noise, PSF, source counts) with
simulated DECam frames, using the generic measurements of :mod:`.sky_noise`,
:mod:`.psf_fwhm` and :mod:`.source_counts`.
"""

from .decam_sky import *  # noqa: F403 (re-exports decam_sky.__all__)
