"""Astronomical scene in electrons before noise: PSF, stars, galaxies and sky.

Sources are drawn with GalSim. The PSF is a Moffat profile taken as the
*effective* PSF (atmosphere, optics and pixel response together), so it is
drawn with ``method="no_pixel"`` and a star's FWHM measured on the image is
the drawn FWHM. All random draws come from a numpy Generator; GalSim's own
random numbers are never used.
"""

from dataclasses import dataclass

import galsim
import numpy as np

from . import libm

__all__ = ["PSFModel", "Scene", "draw_psf", "sky_model", "draw_scene", "moffat_peak_per_flux"]

_GSPARAMS = galsim.GSParams(folding_threshold=1e-2, maxk_threshold=2e-3, maximum_fft_size=8192)
_ARCMIN2_PER_ARCSEC2 = 1.0 / 3600.0


@dataclass(frozen=True)
class PSFModel:
    """Moffat PSF of one exposure (``fwhm_px`` in pixels)."""

    fwhm_px: float
    beta: float

    def galsim_object(self):
        """Return the unit-flux GalSim Moffat (pixel scale 1)."""
        return galsim.Moffat(beta=self.beta, fwhm=self.fwhm_px, gsparams=_GSPARAMS)


@dataclass
class Scene:
    """Noiseless scene of one exposure.

    Attributes
    ----------
    sources : ndarray of float64
        Stars and galaxies, electrons per pixel.
    sky : ndarray of float64
        Sky model, electrons per pixel (with a mild gradient).
    psf : PSFModel
    stars : dict of str to ndarray
        ``x``, ``y``, ``flux`` (electrons), ``mag`` of every star drawn.
    galaxies : dict of str to ndarray
        ``x``, ``y``, ``flux``, ``mag``, ``half_light_px``, ``sersic_n``.
    """

    sources: np.ndarray
    sky: np.ndarray
    psf: PSFModel
    stars: dict
    galaxies: dict


def draw_psf(profile, band, *, rng):
    """Draw the PSF of one exposure.

    FWHM follows a log-normal around the site's median seeing, except for a
    fraction ``profile.sharp_psf_fraction`` of exposures drawn uniformly
    from ``profile.sharp_fwhm_px`` (the good-seeing tail where stars are
    nearly as sharp as cosmic rays). With ``profile.instrument_fwhm_arcsec``
    set, the log-normal is the atmosphere's alone (its median chosen so that
    the delivered median is the site's) and the delivered FWHM is the
    atmosphere and the instrument term added in quadrature, so no exposure
    is sharper than the instrument. Beta is uniform in
    ``profile.moffat_beta_range``.
    """
    if rng.random() < profile.sharp_psf_fraction:
        fwhm = rng.uniform(*profile.sharp_fwhm_px)
    elif profile.instrument_fwhm_arcsec > 0:
        # the log-normal is the atmosphere's; the delivered median stays the site's median
        instrument_px = profile.instrument_fwhm_arcsec / profile.pixel_scale_arcsec
        atmosphere_median = np.sqrt(max(profile.seeing_px(band) ** 2 - instrument_px**2, 0.0))
        atmosphere = atmosphere_median * libm.exp(rng.normal(0.0, profile.seeing_sigma_ln))
        fwhm = np.sqrt(atmosphere**2 + instrument_px**2)
    else:
        fwhm = profile.seeing_px(band) * libm.exp(rng.normal(0.0, profile.seeing_sigma_ln))
        fwhm = max(fwhm, profile.sharp_fwhm_px[0])
    beta = rng.uniform(*profile.moffat_beta_range)
    return PSFModel(fwhm_px=float(fwhm), beta=float(beta))


def moffat_peak_per_flux(psf):
    """Central surface brightness of a unit-flux Moffat, per pixel."""
    alpha = psf.fwhm_px / (2.0 * np.sqrt(libm.power(2.0, 1.0 / psf.beta) - 1.0))
    return (psf.beta - 1.0) / (np.pi * alpha**2)


def _moffat_radius(psf, flux, level):
    """Radius (pixels) where a Moffat of ``flux`` falls to ``level`` e-/pixel."""
    alpha = psf.fwhm_px / (2.0 * np.sqrt(libm.power(2.0, 1.0 / psf.beta) - 1.0))
    peak = flux * moffat_peak_per_flux(psf)
    ratio = np.maximum(peak / level, 1.0)
    return alpha * np.sqrt(libm.power(ratio, 1.0 / psf.beta) - 1.0)


def sky_model(shape, *, level, rng, gradient=0.03):
    """Return a sky plane of mean ``level`` with a random linear gradient.

    The gradient's total amplitude across the image is up to ``gradient``
    (fraction of the level) in a random direction.
    """
    ny, nx = shape
    angle = rng.uniform(0, 2 * np.pi)
    amplitude = rng.uniform(0, gradient)
    u_x = (np.arange(nx) - (nx - 1) / 2) * libm.cos(angle) / max(nx, ny)
    u_y = (np.arange(ny) - (ny - 1) / 2) * libm.sin(angle) / max(nx, ny)
    return level * (1.0 + amplitude * (u_y[:, None] + u_x[None, :]))


def _power_law_mags(count_per_arcmin2_per_mag_at_ref, ref_mag, slope, bright, faint, area_arcmin2, rng):
    """Draw magnitudes with dN/dm = A 10^(slope (m - ref)) between ``bright`` and ``faint``."""
    if faint <= bright:
        return np.zeros(0)
    norm = count_per_arcmin2_per_mag_at_ref / (slope * libm.log(10.0))
    expected = norm * (libm.power(10.0, slope * (faint - ref_mag)) - libm.power(10.0, slope * (bright - ref_mag)))
    expected *= area_arcmin2
    n = rng.poisson(expected)
    # inverse CDF of the exponential law in m
    lo, hi = libm.power(10.0, slope * (bright - ref_mag)), libm.power(10.0, slope * (faint - ref_mag))
    return ref_mag + libm.log10(lo + rng.random(n) * (hi - lo)) / slope


def _add_object(image, obj, x, y, half_size):
    """Draw a GalSim object centred at (x, y) into ``image`` (a galsim.Image)."""
    bounds = image.bounds
    ix, iy = int(round(x)), int(round(y))
    stamp = galsim.BoundsI(ix - half_size, ix + half_size, iy - half_size, iy + half_size) & bounds
    if not stamp.isDefined():
        return
    obj.drawImage(image=image[stamp], center=galsim.PositionD(x, y), method="no_pixel", add_to_image=True)


def draw_scene(shape, *, profile, band, exposure_time, rng, bright_star=None):
    """Draw stars, galaxies and sky of one exposure.

    Parameters
    ----------
    shape : tuple of int
        Image shape (ny, nx).
    profile : InstrumentProfile
    band : str
    exposure_time : float
        Seconds.
    rng : numpy.random.Generator
    bright_star : bool, optional
        Force (True) or forbid (False) one extra saturated star; by default
        drawn with ``profile.bright_star_probability``.

    Returns
    -------
    Scene
        Images are in electrons; pixel ``(i, j)`` of the arrays is
        GalSim's ``(x=j+1, y=i+1)``.
    """
    ny, nx = shape
    psf = draw_psf(profile, band, rng=rng)
    sky_level = profile.sky_e_per_pix_s[band] * exposure_time * libm.exp(rng.normal(0.0, 0.15))
    sky = sky_model(shape, level=sky_level, rng=rng)
    noise_sigma = np.sqrt(sky_level + profile.read_noise_e**2)
    zero_point = profile.zero_point[band] + 2.5 * libm.log10(exposure_time)
    area_arcmin2 = ny * nx * profile.pixel_scale_arcsec**2 * _ARCMIN2_PER_ARCSEC2
    # fields differ in density (galactic latitude, clusters): log-normal factor per exposure
    density = libm.exp(rng.normal(0.0, 0.5))

    peak_per_flux = moffat_peak_per_flux(psf)
    faint_flux = 0.5 * noise_sigma / peak_per_flux  # peak at half the sky noise
    bright_flux = 50.0 * profile.full_well_e / peak_per_flux  # strongly saturated
    faint_mag = zero_point - 2.5 * libm.log10(faint_flux)
    bright_mag = zero_point - 2.5 * libm.log10(bright_flux)

    image = galsim.ImageD(nx, ny, scale=1.0)
    psf_object = psf.galsim_object()

    # stars: dN/dm ~ 10^(0.2 m) per arcmin^2, high-latitude counts (Bahcall & Soneira 1980 order)
    star_mags = _power_law_mags(
        profile.star_density_at_20 * density, 20.0, 0.2, bright_mag, faint_mag, area_arcmin2, rng
    )
    force_bright = rng.random() < profile.bright_star_probability if bright_star is None else bright_star
    if force_bright:
        saturating_mag = zero_point - 2.5 * libm.log10(profile.full_well_e / peak_per_flux)
        star_mags = np.append(star_mags, rng.uniform(bright_mag, saturating_mag - 0.5))
    star_flux = libm.power(10.0, -0.4 * (star_mags - zero_point))
    star_x = rng.uniform(-0.5, nx - 0.5, star_flux.size)
    star_y = rng.uniform(-0.5, ny - 0.5, star_flux.size)
    # stamp radius: where the galaxy light falls to 1 % of the sky noise, capped
    radii = _moffat_radius(psf, star_flux, 0.01 * noise_sigma)
    half_sizes = np.clip(np.ceil(radii), 3 * psf.fwhm_px, 256).astype(int)
    for flux, x, y, half in zip(star_flux, star_x, star_y, half_sizes):
        _add_object(image, psf_object.withFlux(float(flux)), x + 1.0, y + 1.0, int(half))

    # galaxies: dN/dm ~ 10^(0.35 m), ~5.5 per arcmin^2 per mag at m = 24 (deep r-band counts)
    gal_faint = zero_point - 2.5 * libm.log10(2.0 * faint_flux)
    gal_mags = _power_law_mags(profile.galaxy_density_at_24, 24.0, 0.35, bright_mag + 4.0, gal_faint, area_arcmin2, rng)
    gal_flux = libm.power(10.0, -0.4 * (gal_mags - zero_point))
    gal_x = rng.uniform(-0.5, nx - 0.5, gal_flux.size)
    gal_y = rng.uniform(-0.5, ny - 0.5, gal_flux.size)
    # half-light radius ~0.6" at m = 23, growing for brighter galaxies, log-normal scatter
    hlr_arcsec = 0.6 * libm.power(10.0, -0.12 * (gal_mags - 23.0)) * libm.exp(rng.normal(0.0, 0.35, gal_flux.size))
    hlr_px = np.clip(hlr_arcsec / profile.pixel_scale_arcsec, 0.3, 60.0)
    is_disk = rng.random(gal_flux.size) < 0.7
    sersic_n = np.where(is_disk, 1.0, 4.0)
    shear_g = rng.uniform(0.0, 0.6, gal_flux.size)
    shear_beta = rng.uniform(0.0, np.pi, gal_flux.size)
    for i in range(gal_flux.size):
        light_model = galsim.Exponential if is_disk[i] else galsim.DeVaucouleurs
        galaxy = light_model(half_light_radius=float(hlr_px[i]), flux=float(gal_flux[i]), gsparams=_GSPARAMS)
        galaxy = galaxy.shear(g=float(shear_g[i]), beta=float(shear_beta[i]) * galsim.radians)
        convolved = galsim.Convolve(galaxy, psf_object, gsparams=_GSPARAMS)
        half = int(np.clip(np.ceil(4 * hlr_px[i] + 3 * psf.fwhm_px), 8, 200))
        _add_object(image, convolved, gal_x[i] + 1.0, gal_y[i] + 1.0, half)

    # GalSim's FFTs may differ in the last bits across machines; quantise to 1/1024 e- so that the
    # Poisson draws downstream see identical inputs
    sources = np.round(np.maximum(image.array, 0.0) * 1024.0) / 1024.0
    return Scene(
        sources=sources,
        sky=sky,
        psf=psf,
        stars={"x": star_x, "y": star_y, "flux": star_flux, "mag": star_mags},
        galaxies={
            "x": gal_x,
            "y": gal_y,
            "flux": gal_flux,
            "mag": gal_mags,
            "half_light_px": hlr_px,
            "sersic_n": sersic_n,
        },
    )
