"""PSF FWHM from isolated stars: circular Moffat fits on small stamps."""

from dataclasses import dataclass

import numpy as np
from scipy import optimize

__all__ = ["MoffatFit", "moffat_image", "fit_moffat", "measure_psf_fwhm", "stellar_locus_fwhm"]

_BETA_BOUNDS = (1.2, 20.0)


@dataclass(frozen=True)
class MoffatFit:
    """Best-fitting circular Moffat profile of one star.

    Attributes
    ----------
    x, y : float
        Centre, pixels (array indices: ``x`` is the column).
    flux : float
        Total flux, image units.
    fwhm : float
        Full width at half maximum, pixels.
    beta : float
        Moffat power-law index.
    background : float
        Constant background under the stamp, image units per pixel.
    reduced_chi2 : float
        Sum of squared residuals over ``sigma**2`` per degree of freedom.
    """

    x: float
    y: float
    flux: float
    fwhm: float
    beta: float
    background: float
    reduced_chi2: float


def moffat_image(shape, *, x, y, flux, fwhm, beta, background=0.0):
    """Return a circular Moffat profile sampled at pixel centres.

    Parameters
    ----------
    shape : tuple of int
        (ny, nx).
    x, y : float
        Centre in pixels (``x`` along columns).
    flux : float
        Total flux (the integral of the profile over the plane).
    fwhm : float
        Pixels.
    beta : float
        Power-law index (> 1).
    background : float, optional
        Constant added to every pixel.
    """
    yy, xx = np.indices(shape, dtype=np.float64)
    return _moffat(xx, yy, x, y, flux, fwhm, beta) + background


def _moffat(xx, yy, x, y, flux, fwhm, beta):
    alpha = fwhm / (2.0 * np.sqrt(2.0 ** (1.0 / beta) - 1.0))
    r2 = (xx - x) ** 2 + (yy - y) ** 2
    return flux * (beta - 1.0) / (np.pi * alpha**2) * (1.0 + r2 / alpha**2) ** (-beta)


def fit_moffat(stamp, *, sigma, mask=None, fwhm_guess=4.0):
    """Fit a circular Moffat plus a constant to a stamp centred on one star.

    Parameters
    ----------
    stamp : ndarray
        Small image around the star, image units.
    sigma : float
        Per-pixel background noise (weights; a constant weight only scales
        ``reduced_chi2``).
    mask : ndarray of bool, optional
        True marks pixels to leave out of the fit (cosmic rays, neighbours).
    fwhm_guess : float, optional
        Starting FWHM, pixels.

    Returns
    -------
    MoffatFit

    Raises
    ------
    ValueError
        Fewer unmasked pixels than twice the number of parameters.
    """
    data = np.asarray(stamp, dtype=np.float64)
    good = np.isfinite(data)
    if mask is not None:
        good &= ~np.asarray(mask, dtype=bool)
    if good.sum() < 12:
        raise ValueError("fewer than 12 unmasked pixels in the stamp: cannot fit a Moffat profile")
    yy, xx = np.indices(data.shape, dtype=np.float64)
    xs, ys, values = xx[good], yy[good], data[good]
    background0 = float(np.median(np.concatenate([data[0], data[-1], data[:, 0], data[:, -1]])))
    flux0 = max(float((values - background0).sum()), 1e-3)
    cy, cx = (np.asarray(data.shape) - 1) / 2.0
    start = [cx, cy, flux0, fwhm_guess, 3.0, background0]
    lower = [0.0, 0.0, 0.0, 0.5, _BETA_BOUNDS[0], -np.inf]
    upper = [data.shape[1] - 1.0, data.shape[0] - 1.0, np.inf, float(max(data.shape)), _BETA_BOUNDS[1], np.inf]

    def residuals(params):
        x, y, flux, fwhm, beta, background = params
        return (_moffat(xs, ys, x, y, flux, fwhm, beta) + background - values) / sigma

    result = optimize.least_squares(residuals, start, bounds=(lower, upper), x_scale="jac")
    x, y, flux, fwhm, beta, background = result.x
    dof = max(values.size - 6, 1)
    return MoffatFit(float(x), float(y), float(flux), float(fwhm), float(beta), float(background),
                     float(2.0 * result.cost / dof))


def measure_psf_fwhm(image, positions, *, sigma, mask=None, half_size=10, fwhm_guess=4.0):
    """Fit a Moffat to the star at each position and return the fits.

    The caller chooses the stars (isolated, unsaturated, well detected);
    :func:`crbench.realism.source_counts.select_psf_stars` does that on a
    detection catalogue.

    Parameters
    ----------
    image : ndarray
        Background-subtracted image.
    positions : sequence of (x, y)
        Star centres, pixels (``x`` along columns).
    sigma : float
        Per-pixel background noise.
    mask : ndarray of bool, optional
        True marks pixels to leave out (cosmic rays, defects).
    half_size : int, optional
        Stamps are ``2 * half_size + 1`` pixels wide; stars closer to the
        edge are skipped.
    fwhm_guess : float, optional
        Starting FWHM, pixels.

    Returns
    -------
    list of MoffatFit
        One per star that fits; the fit's ``x``, ``y`` are in image pixels.
    """
    data = np.asarray(image, dtype=np.float64)
    bad = np.zeros(data.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    ny, nx = data.shape
    fits = []
    for x, y in positions:
        ix, iy = int(round(x)), int(round(y))
        if ix < half_size or iy < half_size or ix >= nx - half_size or iy >= ny - half_size:
            continue
        window = np.s_[iy - half_size: iy + half_size + 1, ix - half_size: ix + half_size + 1]
        try:
            fit = fit_moffat(data[window], sigma=sigma, mask=bad[window], fwhm_guess=fwhm_guess)
        except ValueError:
            continue
        fits.append(MoffatFit(fit.x + ix - half_size, fit.y + iy - half_size, fit.flux, fit.fwhm, fit.beta,
                              fit.background, fit.reduced_chi2))
    return fits


def stellar_locus_fwhm(fits, *, min_fwhm=1.0, tolerance=0.25):
    """Return the PSF FWHM from a set of fits that may include galaxies: the narrow end of the distribution.

    Stars share one FWHM; galaxies that pass the selection are broader. The
    locus is every fit within ``tolerance`` (fractional) of the narrowest
    fit at least ``min_fwhm`` wide (narrower fits are cosmic-ray or
    hot-pixel leftovers, not stars).

    Parameters
    ----------
    fits : sequence of MoffatFit
    min_fwhm : float, optional
        Pixels.
    tolerance : float, optional
        Fractional width of the locus above its narrowest member.

    Returns
    -------
    fwhm : float
        Median FWHM of the locus, pixels (NaN without fits).
    spread : float
        Robust sigma (1.4826 MAD) of the locus, pixels.
    n_stars : int
        Fits in the locus.
    """
    widths = np.array([fit.fwhm for fit in fits], dtype=np.float64)
    widths = widths[widths >= min_fwhm]
    if widths.size == 0:
        return float("nan"), float("nan"), 0
    locus = widths[widths <= (1.0 + tolerance) * widths.min()]
    fwhm = float(np.median(locus))
    return fwhm, float(1.4826 * np.median(np.abs(locus - fwhm))), int(locus.size)
