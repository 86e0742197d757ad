"""Background noise of an image and its correlation between pixels.

Resampled images (e.g. LANCZOS3 onto another exposure's grid) have lower
per-pixel scatter than the detector produced, because every output pixel
averages several input pixels, and neighbouring pixels share input pixels.
The flux-conserving kernel keeps the variance of large sums: the variance of
``k x k`` block sums divided by ``k**2`` returns to the detector's per-pixel
variance once ``k`` exceeds the kernel's width. :func:`measure_noise_correlation`
reports both, so the detector's noise can be compared with the expectation
from gain, read noise and sky even on resampled frames.
"""

from dataclasses import dataclass

import numpy as np
from astropy.stats import mad_std

__all__ = [
    "NoiseCorrelation",
    "robust_sigma",
    "expected_sky_sigma",
    "sky_level_from_sigma",
    "measure_noise_correlation",
]


def robust_sigma(image, *, mask=None):
    """Return the MAD-based standard deviation of the unmasked finite pixels.

    Parameters
    ----------
    image : ndarray
        Image, any units.
    mask : ndarray of bool, optional
        True marks pixels to leave out (sources, cosmic rays, defects).

    Returns
    -------
    float
        ``1.4826 * median(|x - median(x)|)``, in the image's units; unbiased
        for Gaussian noise and insensitive to the few outliers a mask misses.
    """
    values = _unmasked(image, mask)
    return float(mad_std(values))


def expected_sky_sigma(sky_level, *, gain, read_noise):
    """Return the per-pixel noise of a sky-limited exposure, in ADU.

    Parameters
    ----------
    sky_level : float
        Sky in ADU per pixel (before any sky subtraction).
    gain : float
        Electrons per ADU.
    read_noise : float
        Read noise in electrons.

    Returns
    -------
    float
        ``sqrt(sky_level * gain + read_noise**2) / gain``.
    """
    return float(np.sqrt(sky_level * gain + read_noise**2) / gain)


def sky_level_from_sigma(sigma, *, gain, read_noise):
    """Return the sky (ADU per pixel) that gives a per-pixel noise ``sigma`` (ADU).

    The inverse of :func:`expected_sky_sigma`, for sky-subtracted frames whose
    header does not record the sky that was subtracted.
    """
    return float(((sigma * gain) ** 2 - read_noise**2) / gain)


@dataclass(frozen=True)
class NoiseCorrelation:
    """Noise of an image at the pixel scale and over blocks.

    Attributes
    ----------
    pixel_sigma : float
        Robust standard deviation of single pixels (image units).
    lag1_x, lag1_y : float
        Correlation coefficient of horizontally / vertically adjacent pixels
        (0 for white noise).
    block_sigma : dict of int to float
        For block size ``k``: robust standard deviation of the sums over
        ``k x k`` blocks divided by ``k``, i.e. the per-pixel sigma that
        uncorrelated noise would need to give those block sums. Equal to
        ``pixel_sigma`` for white noise; for a flux-conserving resampling it
        recovers the detector's per-pixel noise once ``k`` exceeds the kernel.
    n_blocks : dict of int to int
        Number of fully unmasked blocks behind each ``block_sigma``.
    """

    pixel_sigma: float
    lag1_x: float
    lag1_y: float
    block_sigma: dict
    n_blocks: dict

    def block_variance_ratio(self, block_size):
        """Variance of block sums over ``block_size**2`` times the pixel variance (1 for white noise)."""
        return (self.block_sigma[block_size] / self.pixel_sigma) ** 2


def measure_noise_correlation(image, *, mask=None, block_sizes=(2, 4)):
    """Measure pixel noise, lag-1 correlation and block-sum noise of an image.

    Parameters
    ----------
    image : ndarray
        Background-subtracted (or flat-background) image, any units.
    mask : ndarray of bool, optional
        True marks pixels to leave out (sources, cosmic rays, defects). A
        block counts only if none of its pixels is masked.
    block_sizes : sequence of int, optional
        Sizes ``k`` of the ``k x k`` blocks.

    Returns
    -------
    NoiseCorrelation
    """
    data = np.asarray(image, dtype=np.float64)
    bad = ~np.isfinite(data)
    if mask is not None:
        bad |= np.asarray(mask, dtype=bool)
    if bad.all():
        raise ValueError("every pixel is masked: no background left to measure the noise on")
    centred = np.where(bad, np.nan, data - np.median(data[~bad]))
    pixel_sigma = float(mad_std(centred[~bad]))
    # Pearson correlation of neighbours, on pixels within 5 sigma so that mask leftovers do not dominate
    clipped = np.where(np.abs(centred) > 5.0 * pixel_sigma, np.nan, centred)
    lag1_x = _neighbour_correlation(clipped[:, :-1], clipped[:, 1:])
    lag1_y = _neighbour_correlation(clipped[:-1, :], clipped[1:, :])
    block_sigma, n_blocks = {}, {}
    ny, nx = data.shape
    for k in block_sizes:
        by, bx = ny // k, nx // k
        if by == 0 or bx == 0:
            raise ValueError(f"block size {k} exceeds the image shape {data.shape}")
        view = np.where(bad, 0.0, centred)[: by * k, : bx * k].reshape(by, k, bx, k)
        sums = view.sum(axis=(1, 3))
        good = ~bad[: by * k, : bx * k].reshape(by, k, bx, k).any(axis=(1, 3))
        if good.sum() < 10:
            raise ValueError(f"fewer than 10 unmasked {k}x{k} blocks: use smaller blocks or a smaller mask")
        block_sigma[k] = float(mad_std(sums[good]) / k)
        n_blocks[k] = int(good.sum())
    return NoiseCorrelation(pixel_sigma, lag1_x, lag1_y, block_sigma, n_blocks)


def _neighbour_correlation(left, right):
    both = np.isfinite(left) & np.isfinite(right)
    a, b = left[both], right[both]
    a = a - a.mean()
    b = b - b.mean()
    return float((a * b).mean() / np.sqrt((a * a).mean() * (b * b).mean()))


def _unmasked(image, mask):
    data = np.asarray(image, dtype=np.float64)
    good = np.isfinite(data)
    if mask is not None:
        good &= ~np.asarray(mask, dtype=bool)
    if not good.any():
        raise ValueError("every pixel is masked: no background left to measure the noise on")
    return data[good]
