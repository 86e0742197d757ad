"""A detector whose process dies mid-run (as on out-of-memory), for the worker-pool test."""

import os

from crbench.detectors.base import Detector

__all__ = ["DyingDetector"]


class DyingDetector(Detector):
    """Ends its process without an exception on the first image."""

    name = "dying"
    version = "1"
    description = "Test double: kills its own process."
    output_kind = "score"
    default_params = {}

    def detect(self, image, *, meta):
        os._exit(3)
