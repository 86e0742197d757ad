"""``astroscrappy``: Astro-SCRAPPY's ``detect_cosmics`` (L.A.Cosmic in C).

Protocol (Bhavanam et al. 2022; Xu et al. 2023): a ROC curve is traced by
sweeping ``sigclip`` over [1, 20] (20 log-spaced values by default) with
``sigfrac = 0.1`` and ``objlim`` from the data set card (1.0 DECam, 0.5 LCO
0.4 m, 2.0 LCO 1 m / 2 m). The operating point is ``sigclip = 3.0`` on DECam
and 15.0 on LCO, set by the card. The mask is 3x3-dilated before scoring
(``dilate_output``), as in both papers.

Units: ``detect_cosmics`` takes counts (ADU) and a gain in e-/ADU and does
its statistics in electrons (it multiplies the data by the gain and compares
``satlevel`` with the result), so this adapter asks for ADU, passes
``gain = meta.gain``, ``readnoise = meta.read_noise`` (e-) and
``satlevel = meta.saturation * meta.gain`` (e-).
"""

import numpy as np

from ._inputs import log_spaced_grid, private_copy, with_operating_point
from .base import Detector
from .sweep_params import AdaptiveSweepParams

__all__ = ["AstroScrappy", "SIGCLIP_GRID"]

#: default ROC sweep: 20 log-spaced sigclip values in [1, 20]
SIGCLIP_GRID = log_spaced_grid(1.0, 20.0, 20)


class AstroScrappy(AdaptiveSweepParams, Detector):
    """Astro-SCRAPPY ``detect_cosmics`` as a mask detector swept over ``sigclip``.

    Parameters are those of :func:`astroscrappy.detect_cosmics` (same names):
    ``sigclip``, ``sigfrac``, ``objlim``, ``niter``, ``sepmed``,
    ``cleantype``, ``fsmode``, ``psfmodel``, ``psffwhm``, ``psfsize``,
    ``psfbeta``; plus ``sweep`` (the sigclip grid). Defaults follow the
    DECam protocol (sigclip 3.0, sigfrac 0.1, objlim 1.0) and upstream
    defaults otherwise; data set cards override ``objlim`` and ``sigclip``.

    Non-finite pixels are passed to upstream as its ``inmask`` (ignored by
    the detection) and are never flagged. If the sample says its sky was
    subtracted and gives ``sky_level``, the sky is added back to a copy,
    because upstream estimates the noise from the data values.
    """

    name = "astroscrappy"
    version = "1.3-1"
    description = "Astro-SCRAPPY detect_cosmics (L.A.Cosmic), ROC by sweeping sigclip"
    citation = (
        "McCully et al. 2018, Astro-SCRAPPY, doi:10.5281/zenodo.1482019; "
        "van Dokkum 2001, PASP 113, 1420 (arXiv:astro-ph/0108003)"
    )
    license = "BSD-3-Clause"
    output_kind = "mask"
    dilate_output = True
    input_units = "adu"
    sweep_parameter = "sigclip"
    sweep_grid = SIGCLIP_GRID
    requires = ("astroscrappy",)
    install_hint = "pip install astroscrappy"
    default_params = {
        "sigclip": 3.0,
        "sigfrac": 0.1,
        "objlim": 1.0,
        "niter": 4,
        "sepmed": True,
        "cleantype": "meanmask",
        "fsmode": "median",
        "psfmodel": "gauss",
        "psffwhm": 2.5,
        "psfsize": 7,
        "psfbeta": 4.765,
    }

    def sweep_values(self):
        """Return the ``sweep`` grid plus the operating ``sigclip``, sorted."""
        return with_operating_point(self.params["sweep"], self.params["sigclip"])

    def upstream_kwargs(self, *, meta):
        """Return the keyword arguments passed to ``detect_cosmics`` for ``meta`` (in ADU)."""
        params = self.params
        return {
            "sigclip": float(params["sigclip"]),
            "sigfrac": float(params["sigfrac"]),
            "objlim": float(params["objlim"]),
            "gain": float(meta.gain),
            "readnoise": float(meta.read_noise),
            "satlevel": float(meta.saturation) * float(meta.gain),
            "niter": int(params["niter"]),
            "sepmed": bool(params["sepmed"]),
            "cleantype": params["cleantype"],
            "fsmode": params["fsmode"],
            "psfmodel": params["psfmodel"],
            "psffwhm": float(params["psffwhm"]),
            "psfsize": int(params["psfsize"]),
            "psfbeta": float(params["psfbeta"]),
            "verbose": False,
        }

    def detect(self, image, *, meta):
        import astroscrappy

        data, bad = private_copy(image, detector_name=self.name)
        if meta.sky_subtracted and meta.sky_level:
            data += np.float32(meta.sky_level)
        crmask, _ = astroscrappy.detect_cosmics(
            data, inmask=bad if bad.any() else None, **self.upstream_kwargs(meta=meta)
        )
        return np.asarray(crmask, dtype=bool) & ~bad
