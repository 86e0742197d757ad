"""Per-frame background noise of a stack: measured per-pixel sigma and the resampling correction."""

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..realism.sky_noise import measure_noise_correlation

__all__ = ["FrameNoise", "measure_frame_noise"]


@dataclass(frozen=True)
class FrameNoise:
    """Background noise of one frame, in the frame's units.

    Attributes
    ----------
    pixel_sigma : float
        Robust per-pixel sigma of the background (sources, CRs and bad
        pixels masked). Used as the frame's sky-plus-read noise: it is
        measured, so it already holds the subtracted sky's Poisson noise and
        the smoothing of a resampled frame.
    white_sigma : float
        Per-pixel sigma recovered from block sums (``noise_block`` square),
        i.e. the noise the detector had before any resampling.
    variance_ratio : float
        ``min(1, (pixel_sigma / white_sigma) ** 2)``: how much resampling
        lowered the per-pixel variance. The Poisson noise of a source is
        scaled by it, as the sky's is.
    """

    pixel_sigma: float
    white_sigma: float
    variance_ratio: float


def measure_frame_noise(image, *, mask, block):
    """Measure one frame's background noise outside ``mask``.

    Parameters
    ----------
    image : ndarray of float64
        One frame.
    mask : ndarray of bool
        True on sources, saturated and non-finite pixels.
    block : int
        Side of the blocks whose sums give the white noise.

    Returns
    -------
    FrameNoise

    Raises
    ------
    InputError
        Too few background pixels to measure on.
    """
    try:
        return _measure(image, mask=mask, block=block)
    except ValueError as err:  # too few background pixels or blocks left
        raise InputError(f"cannot measure a frame's background noise: {err}; the frame is too small or "
                         "too crowded (or mostly NaN/saturated) for the stack comparison") from err


def _measure(image, *, mask, block):
    # a first pass finds the frame's own outliers (its CRs), which the stack source mask does not hold
    first = measure_noise_correlation(image, mask=mask, block_sizes=(block,))
    finite = np.where(np.isfinite(image), image, 0.0)
    background = np.median(finite[~mask & np.isfinite(image)])
    outliers = np.abs(finite - background) > 5.0 * first.pixel_sigma
    noise = measure_noise_correlation(image, mask=mask | outliers, block_sizes=(block,))
    white = noise.block_sigma[block]
    ratio = min(1.0, (noise.pixel_sigma / white) ** 2) if white > 0 else 1.0
    return FrameNoise(pixel_sigma=noise.pixel_sigma, white_sigma=white, variance_ratio=ratio)
