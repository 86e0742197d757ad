"""Test-double detectors that prove the harness end to end.

- ``oracle`` returns the (undilated) truth as a score map and, like the
  tools that mark undilated cosmic rays, declares ``dilate_output``: the
  scorer grows its map by the same 3x3 square it grows the truth by, so under
  crbench's protocol on every card with ``truth_dilation`` 3 (all simulated
  and injected sets) it scores TPR = 1 at FPR = 0 (every TPR-at-FPR target,
  precision, recall, F1, IoU, AUROC and AP equal 1). On a card that does not
  dilate its truth (real DECam, ``truth_dilation`` 1) the grown map also
  flags a one-pixel ring, and other protocols' footprints differ.
- ``constant`` returns the same score everywhere: every threshold flags all
  pixels or none.
- ``random`` returns seeded uniform noise: AUROC ~ 0.5.

They read the truth from ``meta.extra["truth"]`` when the runner passes it
(``oracle`` only), so they never see data a real detector would not.
"""

import zlib

import numpy as np

from ..errors import InputError
from .base import Detector

__all__ = ["OracleDetector", "ConstantDetector", "RandomDetector"]


class OracleDetector(Detector):
    """Returns the truth mask (optionally blurred by a noise level) as scores."""

    name = "oracle"
    # 2: dilate_output (version 1 was scored undilated against the dilated truth: TPR 0.23 on tiny)
    version = "2"
    description = "Test double: the truth mask as a score map (dilated like the truth), plus optional seeded noise."
    license = "BSD-3-Clause"
    output_kind = "score"
    # the truth handed over is undilated; the scorer dilates this map as it dilates the truth
    dilate_output = True
    needs_truth = True
    default_params = {"noise": 0.0, "seed": 0}

    def detect(self, image, *, meta):
        truth = meta.extra.get("truth")
        if truth is None:
            raise InputError("the oracle detector needs the truth mask; run it through crbench's runner")
        scores = np.asarray(truth, dtype=np.float32)
        if self.params["noise"] > 0:
            rng = np.random.default_rng(self.params["seed"])
            scores = scores * np.float32(1 - self.params["noise"]) + rng.uniform(
                0, self.params["noise"], scores.shape
            ).astype(np.float32)
        return scores


class ConstantDetector(Detector):
    """Returns the same score for every pixel."""

    name = "constant"
    version = "1"
    description = "Test double: a constant score map."
    license = "BSD-3-Clause"
    output_kind = "score"
    default_params = {"value": 0.5}

    def detect(self, image, *, meta):
        value = float(self.params["value"])
        if not 0.0 <= value <= 1.0:
            raise InputError(f"constant detector: value must be in [0, 1], got {value}")
        return np.full(np.shape(image), value, dtype=np.float32)


class RandomDetector(Detector):
    """Returns seeded uniform noise, different per image but reproducible."""

    name = "random"
    version = "1"
    description = "Test double: seeded uniform random scores."
    license = "BSD-3-Clause"
    output_kind = "score"
    default_params = {"seed": 0}

    def detect(self, image, *, meta):
        # Seed from the image bytes too, so two images get different noise
        # while a re-run of the same image reproduces it exactly.
        image_key = zlib.crc32(np.ascontiguousarray(image).tobytes())
        rng = np.random.default_rng([int(self.params["seed"]), image_key])
        return rng.uniform(0.0, 1.0, np.shape(image)).astype(np.float32)
