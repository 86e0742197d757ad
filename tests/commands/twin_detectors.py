"""Two plug-in detectors that declare the same name, version and parameters, but differ in code."""

import numpy as np

from crbench.detectors import Detector


class PerfectTwin(Detector):
    """Returns the truth mask."""

    name = "twin"
    version = "1"
    needs_truth = True
    dilate_output = True  # scored against 3x3-dilated truth

    def detect(self, image, *, meta):
        return np.asarray(meta.extra["truth"], dtype=np.float32)


class BlindTwin(Detector):
    """Finds nothing."""

    name = "twin"
    version = "1"

    def detect(self, image, *, meta):
        return np.zeros(image.shape, dtype=np.float32)
