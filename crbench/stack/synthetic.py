"""Seeded synthetic stacks with known cosmic rays, to measure the truth builder itself."""

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

__all__ = ["SyntheticStack", "make_synthetic_stack", "lanczos_shift", "lanczos_variance_ratio"]

_LANCZOS_A = 3


@dataclass
class SyntheticStack:
    """An aligned stack with exact cosmic-ray charge.

    Attributes
    ----------
    images : list of ndarray of float64
        Sky-subtracted ADU.
    cr_charge : list of ndarray of float64
        Deposited CR charge per frame, electrons, on the final grid (after
        any resampling of the frame).
    gains, read_noises, saturations : list of float
        Per frame (saturation above the subtracted sky, ADU).
    sky_sigma_e : list of float
        Per-pixel noise of the empty sky before resampling, electrons.
    fwhms : list of float
        PSF FWHM per frame, pixels.
    resampled : list of bool
    flux_scales : list of float
        Transparency of each frame (multiplies every star's flux).
    shifts : list of tuple of float
        Sub-pixel ``(dy, dx)`` of each frame's LANCZOS3 resampling ((0, 0) if native).
    """

    images: list
    cr_charge: list
    gains: list
    read_noises: list
    saturations: list
    sky_sigma_e: list
    fwhms: list
    resampled: list
    flux_scales: list
    shifts: list


def _lanczos_kernel(shift):
    offsets = np.arange(-_LANCZOS_A, _LANCZOS_A + 1, dtype=np.float64)
    x = offsets - shift
    kernel = np.sinc(x) * np.sinc(x / _LANCZOS_A)
    kernel[np.abs(x) >= _LANCZOS_A] = 0.0
    return kernel / kernel.sum()


def lanczos_shift(image, dy, dx):
    """Shift ``image`` by a sub-pixel ``(dy, dx)`` with a LANCZOS3 kernel (correlates its noise, rings at edges)."""
    shifted = ndimage.convolve1d(image, _lanczos_kernel(dy), axis=0, mode="nearest")
    return ndimage.convolve1d(shifted, _lanczos_kernel(dx), axis=1, mode="nearest")


def lanczos_variance_ratio(dy, dx):
    """Per-pixel variance of white noise after :func:`lanczos_shift` by ``(dy, dx)``, over that before."""
    return float((_lanczos_kernel(dy) ** 2).sum() * (_lanczos_kernel(dx) ** 2).sum())


def _render_stars(shape, positions, fluxes, fwhm):
    sigma = fwhm / 2.3548
    yy, xx = np.indices(shape, dtype=np.float64)
    image = np.zeros(shape)
    half = int(np.ceil(5 * sigma))
    for (y, x), flux in zip(positions, fluxes):
        y0, y1 = max(0, int(y) - half), min(shape[0], int(y) + half + 1)
        x0, x1 = max(0, int(x) - half), min(shape[1], int(x) + half + 1)
        profile = np.exp(-((yy[y0:y1, x0:x1] - y) ** 2 + (xx[y0:y1, x0:x1] - x) ** 2) / (2 * sigma**2))
        image[y0:y1, x0:x1] += flux * profile / (2 * np.pi * sigma**2)
    return image


def _cosmic_rays(shape, rng, n_crs, sky_sigma_e):
    """Spots and straight tracks with peak charges log-uniform between 3 and 300 sky sigmas."""
    charge = np.zeros(shape)
    for _ in range(n_crs):
        peak = sky_sigma_e * 10 ** rng.uniform(np.log10(3.0), np.log10(300.0))
        y, x = rng.uniform(4, shape[0] - 4), rng.uniform(4, shape[1] - 4)
        deposit = np.zeros(shape)
        if rng.uniform() < 0.4:  # a spot of 1 to 4 pixels
            deposit[int(y), int(x)] = peak
            for _ in range(rng.integers(0, 4)):
                deposit[int(y) + rng.integers(-1, 2), int(x) + rng.integers(-1, 2)] += peak * rng.uniform(0.2, 0.7)
        else:  # a track of 3 to 20 pixels, 1 pixel wide, charge varying along it
            length, angle = rng.uniform(3, 20), rng.uniform(0, np.pi)
            steps = np.linspace(0, length, int(length * 3))
            ys = np.clip(y + steps * np.sin(angle), 0, shape[0] - 1).astype(int)
            xs = np.clip(x + steps * np.cos(angle), 0, shape[1] - 1).astype(int)
            values = peak * rng.uniform(0.4, 1.0, size=len(steps))
            np.maximum.at(deposit, (ys, xs), values)
        charge += deposit
    return charge


def make_synthetic_stack(seed, *, n_frames=8, shape=(160, 160), n_stars=60, n_crs=12, resampled=(),
                         sky_e=2000.0, read_noise=7.0, gain=4.0, full_well=150_000.0, fwhm_range=(2.8, 4.5),
                         scale_range=(0.85, 1.1), saturated_star=True, transient=None):
    """Return a seeded synthetic stack of sky-subtracted ADU frames with known cosmic rays.

    Stars (Gaussian PSF, FWHM drawn per frame from ``fwhm_range``, flux
    scale per frame from ``scale_range``, i.e. transparency), Poisson sky
    and source noise, read noise, a background offset per frame, a
    saturating star, and ``n_crs`` cosmic rays per frame (spots and tracks,
    peak 3 to 300 sky sigmas). Frames whose index is in ``resampled`` are
    shifted by a random sub-pixel amount with LANCZOS3 after the noise and
    CRs were added (stars are drawn at the opposite offset so that the
    stack stays aligned), which correlates their noise and rings at CR edges.

    Parameters
    ----------
    seed : int
    n_frames : int, optional
    shape : tuple of int, optional
    n_stars, n_crs : int, optional
    resampled : collection of int, optional
    sky_e, read_noise, gain, full_well : float, optional
        Electrons per pixel, electrons, e-/ADU, electrons.
    fwhm_range, scale_range : tuple of float, optional
    saturated_star : bool, optional
    transient : tuple, optional
        ``(y, x, flux_e, frames)``: a point source of ``flux_e`` electrons
        present only in the listed frames (a source that varied between
        nights); its light is not CR charge.

    Returns
    -------
    SyntheticStack
    """
    rng = np.random.default_rng(seed)
    margin = 6
    positions = rng.uniform(margin, np.array(shape) - margin, size=(n_stars, 2))
    fluxes = 10 ** rng.uniform(np.log10(500.0), np.log10(3e5), size=n_stars)
    if saturated_star:
        fluxes[0] = 3e7
    sky_sigma = float(np.sqrt(sky_e + read_noise**2))
    stack = SyntheticStack([], [], [], [], [], [], [], [], [], [])
    for index in range(n_frames):
        fwhm = rng.uniform(*fwhm_range)
        scale = rng.uniform(*scale_range)
        is_resampled = index in resampled
        shift = rng.uniform(-0.5, 0.5, size=2) if is_resampled else np.zeros(2)
        sources = _render_stars(shape, positions - shift, fluxes * scale, fwhm)
        if transient is not None and index in transient[3]:
            sources += _render_stars(shape, np.array([transient[:2]]) - shift, [transient[2] * scale], fwhm)
        electrons = rng.poisson(sky_e + sources).astype(np.float64) + rng.normal(0.0, read_noise, size=shape)
        charge = _cosmic_rays(shape, rng, n_crs, sky_sigma)
        electrons = np.minimum(electrons + charge, full_well)
        if is_resampled:
            electrons = lanczos_shift(electrons, *shift)
            charge = lanczos_shift(charge, *shift)
        offset = rng.normal(0.0, 3.0)  # a residual of the sky subtraction, ADU
        stack.images.append(electrons / gain - sky_e / gain + offset)
        stack.cr_charge.append(charge)
        stack.gains.append(gain)
        stack.read_noises.append(read_noise)
        stack.saturations.append(full_well / gain - sky_e / gain + offset)
        stack.sky_sigma_e.append(sky_sigma)
        stack.fwhms.append(fwhm)
        stack.resampled.append(is_resampled)
        stack.flux_scales.append(scale)
        stack.shifts.append((float(shift[0]), float(shift[1])))
    return stack
