"""A reproducible star catalogue derived from a noiseless source model.

Simulated samples store the noiseless stars and galaxies
(``extras["source_model"]``) but not the catalogue they were drawn from, so
object-level scores (:mod:`crbench.scoring.objects`) derive one:

Rule
----
A pixel is a *source peak* when

1. its source-model value is at least ``peak_nsigma`` (default 5) times the
   sky noise sigma of the exposure (the source would be detected at 5 sigma
   in its brightest pixel), and
2. it is the maximum of the ``(2 ceil(FWHM) + 1)``-pixel square window
   around it (the window clipped at the image border), so
   two sources closer than about one FWHM count as one.

Pixels of a flat top (equal values) that pass both tests form one peak at
their mean position. Galaxies are point-like after convolution with the PSF
when small and are not separated from stars: the catalogue holds every
source peak, stars and galaxies alike.
"""

import math

import numpy as np
from scipy import ndimage

from .pixels import dilate_scores

__all__ = ["DEFAULT_PEAK_NSIGMA", "sky_noise_sigma", "source_peaks"]

#: A source peak stands at least this many sky-noise sigmas above zero.
DEFAULT_PEAK_NSIGMA = 5.0

_EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


def sky_noise_sigma(meta):
    """Return the sky noise sigma of one exposure in image units, or None.

    Parameters
    ----------
    meta : crbench.datasets.SampleMeta
        Uses ``sky_level`` (image units; the level that was subtracted for
        sky-subtracted data), ``read_noise`` (electrons), ``gain``
        (electrons per ADU) and ``units``.

    Returns
    -------
    float or None
        ``sqrt(sky_e + read_noise^2)`` converted to image units; None when
        ``sky_level`` is unknown.
    """
    if meta.sky_level is None:
        return None
    to_electrons = float(meta.gain) if meta.units == "adu" else 1.0
    sky_e = max(float(meta.sky_level) * to_electrons, 0.0)
    return math.sqrt(sky_e + float(meta.read_noise) ** 2) / to_electrons


def source_peaks(source_model, *, fwhm_px, noise_sigma, peak_nsigma=DEFAULT_PEAK_NSIGMA):
    """Find the source peaks of a noiseless source model (see the module rule).

    Parameters
    ----------
    source_model : ndarray, shape (ny, nx)
        Noiseless stars and galaxies, image units, no sky.
    fwhm_px : float
        PSF FWHM in pixels; sets the local-maximum window.
    noise_sigma : float
        Sky noise sigma in image units (:func:`sky_noise_sigma`).
    peak_nsigma : float
        Minimum peak in units of ``noise_sigma``.

    Returns
    -------
    dict of str to ndarray
        ``y``, ``x`` (pixel coordinates of the peaks, float), ``peak``
        (source-model value at the peak, image units) and ``peak_nsigma``
        (``peak / noise_sigma``), in raster order of the peaks.

    Examples
    --------
    >>> model = np.zeros((20, 20)); model[5, 7] = 100.0
    >>> source_peaks(model, fwhm_px=2.0, noise_sigma=1.0)["x"]
    array([7.])
    """
    source_model = np.asarray(source_model)
    if not np.issubdtype(source_model.dtype, np.floating):
        source_model = source_model.astype(np.float64)
    if not (fwhm_px > 0 and noise_sigma > 0):
        raise ValueError(f"fwhm_px and noise_sigma must be positive, got {fwhm_px!r} and {noise_sigma!r}")
    level = peak_nsigma * noise_sigma
    candidates = source_model >= level
    if not candidates.any():
        empty = np.zeros(0)
        return {"y": empty, "x": empty.copy(), "peak": empty.copy(), "peak_nsigma": empty.copy()}
    window = 2 * int(math.ceil(fwhm_px)) + 1
    # only the rows and columns around candidates matter: crop (plus the window's reach) before filtering
    rows, cols = np.nonzero(candidates)
    reach = window // 2
    y0, y1 = max(rows.min() - reach, 0), min(rows.max() + reach + 1, source_model.shape[0])
    x0, x1 = max(cols.min() - reach, 0), min(cols.max() + reach + 1, source_model.shape[1])
    crop = source_model[y0:y1, x0:x1]
    # dilate_scores is scipy.ndimage.maximum_filter(mode="nearest"), several times faster
    is_peak = candidates[y0:y1, x0:x1] & (crop == dilate_scores(crop, size=window))
    labels, n_peaks = ndimage.label(is_peak, structure=_EIGHT_CONNECTED)
    # per-peak sums over the few peak pixels only (ndimage's per-label functions sort the whole crop)
    rows, cols = np.nonzero(is_peak)
    which = labels[rows, cols] - 1
    n_pixels = np.bincount(which, minlength=n_peaks)
    y = np.bincount(which, weights=rows, minlength=n_peaks) / n_pixels
    x = np.bincount(which, weights=cols, minlength=n_peaks) / n_pixels
    # 8-connected local maxima are equal (each is in the other's window), so any pixel gives the peak
    peak = np.zeros(n_peaks)
    peak[which] = crop[rows, cols].astype(np.float64)
    return {"y": y + y0, "x": x + x0, "peak": peak, "peak_nsigma": peak / noise_sigma}
