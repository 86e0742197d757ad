"""``lacosmic``: the pure-Python L.A.Cosmic of the ``lacosmic`` package.

Same protocol as ``astroscrappy`` with ``cr_threshold`` (L.A.Cosmic's
sigclip) as the swept parameter: 20 log-spaced values in [1, 20] by default,
``contrast`` (L.A.Cosmic's objlim, f_lim) from the data set card, and
``neighbor_threshold = sigfrac * cr_threshold`` with ``sigfrac = 0.1``, so
that the neighbour limit follows the swept value as astroscrappy's does.
Give ``neighbor_threshold`` explicitly to fix it instead (a data set card
giving both ``cr_threshold`` and ``neighbor_threshold`` is read as their
ratio, see :meth:`LACosmic.apply_protocol`). The mask is
3x3-dilated before scoring (``dilate_output``).

Cost: one upstream run per sweep value, and low values are the dear ones:
upstream cleans every flagged pixel in a Python loop and iterates (up to
``maxiter = 4``) until nothing new is flagged. Measured on the simulated data
(``benchmarks/bench_sweep_points.py``): about 30 CPU s per megapixel at
``cr_threshold`` 1.0, 18 at 1.53, 7 at 2.34 and 2-3 from 5 up. ``sweep`` and
``maxiter`` are ordinary parameters for a cheaper curve (e.g.
``sweep=[4, 6, 10, 16]``); the leaderboard's grid is in
:data:`crbench.jobs.plan.LEADERBOARD_PARAMS`.

Units: upstream takes data in any unit with ``effective_gain`` converting
them to electrons and ``readnoise`` in electrons; this adapter asks for ADU
and passes ``effective_gain = meta.gain``.
"""

import contextlib
import logging

import numpy as np

from ._inputs import log_spaced_grid, private_copy, with_operating_point
from .base import Detector
from .sweep_params import AdaptiveSweepParams

__all__ = ["LACosmic", "CR_THRESHOLD_GRID"]

#: default ROC sweep: 20 log-spaced cr_threshold values in [1, 20]
CR_THRESHOLD_GRID = log_spaced_grid(1.0, 20.0, 20)


class LACosmic(AdaptiveSweepParams, Detector):
    """``lacosmic.remove_cosmics`` as a mask detector swept over ``cr_threshold``.

    Parameters (upstream names): ``contrast``, ``cr_threshold``,
    ``neighbor_threshold`` (None = ``sigfrac * cr_threshold``), ``maxiter``,
    ``border_mode``; adapter options: ``sigfrac`` (0.1) and
    ``mask_saturated`` (True: pixels at or above ``meta.saturation`` go into
    upstream's ``mask``, as its documentation recommends).

    Non-finite pixels are passed in upstream's ``mask`` and never flagged.
    For sky-subtracted samples with a known ``sky_level`` that level is
    passed as upstream's ``background`` so its noise model sees the sky.
    """

    name = "lacosmic"
    version = "1.4-1"
    description = "lacosmic.remove_cosmics (L.A.Cosmic in Python), ROC by sweeping cr_threshold"
    citation = "van Dokkum 2001, PASP 113, 1420 (arXiv:astro-ph/0108003); Bradley, lacosmic (https://github.com/larrybradley/lacosmic)"
    license = "BSD-3-Clause"
    output_kind = "mask"
    dilate_output = True
    input_units = "adu"
    sweep_parameter = "cr_threshold"
    sweep_grid = CR_THRESHOLD_GRID
    requires = ("lacosmic",)
    install_hint = "pip install lacosmic"
    default_params = {
        "contrast": 1.0,
        "cr_threshold": 3.0,
        "neighbor_threshold": None,
        "sigfrac": 0.1,
        "maxiter": 4,
        "border_mode": "mirror",
        "mask_saturated": True,
    }

    def apply_protocol(self, protocol):
        """Adopt a card's protocol; a card's neighbour limit becomes a ratio.

        Cards state the paper's protocol as ``cr_threshold`` plus
        ``neighbor_threshold = sigfrac * cr_threshold`` at the operating
        point. Kept as a fixed number it would not follow the swept
        ``cr_threshold``, so when both are given (and the user set neither
        ``neighbor_threshold`` nor ``sigfrac``) their ratio becomes
        ``sigfrac`` and ``neighbor_threshold`` stays derived.
        """
        protocol = dict(protocol)
        if (
            "neighbor_threshold" in protocol
            and "cr_threshold" in protocol
            and protocol["neighbor_threshold"] is not None
            and not {"neighbor_threshold", "sigfrac"} & set(self.user_params)
        ):
            protocol["sigfrac"] = float(protocol.pop("neighbor_threshold")) / float(protocol["cr_threshold"])
        super().apply_protocol(protocol)

    def sweep_values(self):
        """Return the ``sweep`` grid plus the operating ``cr_threshold``, sorted."""
        return with_operating_point(self.params["sweep"], self.params["cr_threshold"])

    def upstream_kwargs(self, *, meta):
        """Return the scalar keyword arguments passed to ``remove_cosmics`` (data in ADU)."""
        params = self.params
        cr_threshold = float(params["cr_threshold"])
        neighbor = params["neighbor_threshold"]
        neighbor = float(params["sigfrac"]) * cr_threshold if neighbor is None else float(neighbor)
        kwargs = {
            "contrast": float(params["contrast"]),
            "cr_threshold": cr_threshold,
            "neighbor_threshold": neighbor,
            "effective_gain": float(meta.gain),
            "readnoise": float(meta.read_noise),
            "maxiter": int(params["maxiter"]),
            "border_mode": params["border_mode"],
        }
        if meta.sky_subtracted and meta.sky_level:
            kwargs["background"] = float(meta.sky_level)
        return kwargs

    def detect(self, image, *, meta):
        import lacosmic

        data, bad = private_copy(image, detector_name=self.name)
        mask = bad.copy()
        if self.params["mask_saturated"] and np.isfinite(meta.saturation):
            mask |= data >= np.float32(meta.saturation)
        with _quiet_astropy_log():
            _, crmask = lacosmic.remove_cosmics(
                data, mask=mask if mask.any() else None, **self.upstream_kwargs(meta=meta)
            )
        return np.asarray(crmask, dtype=bool) & ~bad


@contextlib.contextmanager
def _quiet_astropy_log():
    """Silence upstream's per-iteration INFO lines (astropy logger) during one call."""
    logger = logging.getLogger("astropy")
    level = logger.level
    logger.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        logger.setLevel(level)
