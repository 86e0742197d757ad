"""Detectors that misbehave on purpose, imported by path in CLI tests."""

import os
from pathlib import Path

import numpy as np

from crbench.detectors import Detector
from crbench.detectors.sweep_params import AdaptiveSweepParams


class CrashOnTallImages(Detector):
    """Raises on images taller than wide (one of the three tiny test frames)."""

    name = "crash_on_tall"
    version = "1"

    def detect(self, image, *, meta):
        if image.shape[0] > image.shape[1]:
            raise RuntimeError("simulated crash")
        return np.zeros(image.shape, dtype=np.float32)


class ReturnsNaN(Detector):
    """Returns NaN scores."""

    name = "returns_nan"
    version = "1"

    def detect(self, image, *, meta):
        return np.full(image.shape, np.nan, dtype=np.float32)


class ThresholdMask(AdaptiveSweepParams, Detector):
    """A mask detector with a sweep: flags pixels brighter than a multiple of the median."""

    name = "threshold_mask"
    version = "1"
    output_kind = "mask"
    dilate_output = True
    sweep_parameter = "factor"
    sweep_grid = (1.5, 2.0, 3.0, 5.0, 10.0)
    default_params = {"factor": 3.0}

    def detect(self, image, *, meta):
        return image > self.params["factor"] * np.median(image)


class PlainMask(Detector):
    """A mask detector without a sweep parameter: one ROC point."""

    name = "plain_mask"
    version = "1"
    output_kind = "mask"

    def detect(self, image, *, meta):
        return image > 3 * np.median(image)


class ExitsOnceOnTall(Detector):
    """Kills its process (``os._exit``) the first time it sees the tall tiny frame, then works.

    ``marker`` is a file path: created just before the exit, so that the
    retry (in a restarted worker) and later runs detect normally.
    """

    name = "exits_once_on_tall"
    version = "1"
    default_params = {"marker": ""}

    def detect(self, image, *, meta):
        marker = Path(self.params["marker"])
        if image.shape[0] > image.shape[1] and not marker.exists():
            marker.touch()
            os._exit(1)
        return np.clip(image / (np.abs(image).max() + 1.0), 0.0, 1.0).astype(np.float32)
