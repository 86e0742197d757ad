"""A score detector that counts its ``detect`` calls (in this process)."""

import numpy as np

from crbench.detectors import Detector


class CountingDetector(Detector):
    """Scores: a blurred copy of the truth plus seeded noise, so every protocol has something to read."""

    name = "counting"
    version = "1"
    needs_truth = True
    dilate_output = True
    calls = 0

    def detect(self, image, *, meta):
        type(self).calls += 1
        truth = np.asarray(meta.extra["truth"], dtype=np.float32)
        rng = np.random.default_rng(int(truth.sum()))
        scores = 0.6 * truth + 0.4 * rng.random(truth.shape, dtype=np.float32) ** 4
        return np.clip(scores, 0, 1).astype(np.float32)
