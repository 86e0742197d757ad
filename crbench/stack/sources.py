"""Deep source mask of an aligned stack (pixels left out of noise and background measurements)."""

import warnings

import numpy as np
from scipy import ndimage

from ..realism.decam_sky import model_source_mask
from ..realism.sky_noise import robust_sigma

__all__ = ["stack_source_mask"]


def stack_source_mask(cube, *, usable, nsigma, smooth_sigma=1.5, dilate=3):
    """Mask the sources of an aligned stack from the median of its normalised frames.

    Each frame has its median removed and is divided by its robust sigma
    (so that frames with a residual background or different noise weigh
    alike); the median over frames is smoothed and pixels above ``nsigma``
    times the smoothed median's robust sigma, measured about its own median,
    are masked and grown by ``dilate``. Unlike
    :func:`crbench.realism.decam_sky.stack_source_mask` it does not assume
    the frames' background is zero.

    Parameters
    ----------
    cube : ndarray, shape (n_frames, ny, nx)
    usable : ndarray of bool, same shape
        False for non-finite and saturated pixels (left out of the median).
    nsigma : float

    Returns
    -------
    ndarray of bool
        True on sources (and on saturated pixels of any frame).
    """
    normalised = np.full(cube.shape, np.nan)
    for index, (image, good) in enumerate(zip(cube, usable)):
        if good.any():
            values = image[good]
            normalised[index][good] = (values - np.median(values)) / robust_sigma(values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns become holes just below
        median = np.nanmedian(normalised, axis=0)
    holes = ~np.isfinite(median)
    median = np.where(holes, 0.0, median)
    smoothed = ndimage.gaussian_filter(median, smooth_sigma)
    centre = np.median(smoothed[~holes]) if (~holes).any() else 0.0
    level = nsigma * robust_sigma(smoothed[~holes]) if (~holes).any() else np.inf
    mask = model_source_mask(median - centre, level=level, smooth_sigma=smooth_sigma, dilate=dilate)
    saturated_any = (~usable & np.isfinite(cube)).any(axis=0)
    return mask | ndimage.binary_dilation(saturated_any, iterations=dilate)
