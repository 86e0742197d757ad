"""A detector that takes far longer than any timing test allows."""

import time

import numpy as np

from crbench.detectors import Detector


class SlowDetector(Detector):
    name = "slow"
    version = "1"

    def detect(self, image, *, meta):
        time.sleep(60)
        return np.zeros(image.shape, dtype=np.float32)
