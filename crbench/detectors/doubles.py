"""Test-double detectors that prove the harness end to end.

- ``oracle`` returns the (undilated) truth as a score map: with truth
  dilation it must score TPR = 1 at any FPR.
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
    version = "1"
    description = "Test double: the truth mask as a score map, plus optional seeded noise."
    license = "BSD-3-Clause"
    output_kind = "score"
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
