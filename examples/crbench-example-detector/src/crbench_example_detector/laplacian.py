"""``example_laplacian``: cosmic rays are sharper than the PSF, so the Laplacian finds them.

A score detector: the positive part of the negated Laplacian of the image,
in units of the local noise, squashed into [0, 1]. It is a teaching example
for docs/submitting.md, not a competitive method.
"""

import numpy as np
from scipy import ndimage

from crbench.detectors import Detector

__all__ = ["LaplacianDetector"]


class LaplacianDetector(Detector):
    """Score = 1 - exp(-max(0, -Laplacian) / (scale x noise))."""

    name = "example_laplacian"
    version = "1"
    description = "Sharpness (negated Laplacian over the noise) as a cosmic-ray score; a worked example."
    citation = "van Dokkum 2001, PASP 113, 1420 (the Laplacian idea of L.A.Cosmic)"
    license = "BSD-3-Clause"
    training_datasets = ()  # a fixed rule: trained on nothing
    output_kind = "score"
    input_units = "electron"
    default_threshold = 0.5
    default_params = {"scale": 5.0}

    def detect(self, image, *, meta):
        finite = np.where(np.isfinite(image), image, 0.0).astype(np.float64)
        sharpness = -ndimage.laplace(finite)
        # Poisson + read noise of each pixel, in electrons (the runner converts to input_units)
        noise = np.sqrt(np.clip(finite, 0.0, None) + float(meta.read_noise or 0.0) ** 2 + 1.0)
        significance = np.clip(sharpness / (float(self.params["scale"]) * noise), 0.0, None)
        return (1.0 - np.exp(-significance)).astype(np.float32)
