"""Source detection, aperture photometry and source counts, identical for real and simulated images.

One procedure for every image, so that real and simulated counts differ only
by what is in the pixels:

1. a residual background (64 x 64 pixel mesh) is subtracted;
2. SExtractor's algorithm (:mod:`sep`) finds groups of at least
   ``min_area`` connected pixels ``threshold`` per-pixel sigmas above the
   background after its default 3 x 3 smoothing; masked pixels (cosmic rays,
   defects) count as empty sky;
3. the flux is summed in a circular aperture of ``aperture_fwhm`` PSF FWHMs
   radius; its error combines the background noise of the aperture (from the
   *uncorrelated-equivalent* per-pixel sigma, so resampled frames are not
   credited with their artificially low per-pixel scatter) and the source's
   Poisson noise in electrons;
4. objects sharper than the PSF (peak over aperture flux above
   ``max_sharpness`` times that of a Gaussian of the PSF's FWHM) are
   dropped: cosmic rays that a mask missed.
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["SourceCatalog", "detect_sources", "select_psf_stars", "gaussian_peak_per_flux"]

ARCSEC2_PER_ARCMIN2 = 3600.0


def gaussian_peak_per_flux(fwhm):
    """Central pixel value of a unit-flux Gaussian of ``fwhm`` pixels: 4 ln 2 / (pi fwhm^2)."""
    return 4.0 * np.log(2.0) / (np.pi * fwhm**2)


@dataclass(frozen=True)
class SourceCatalog:
    """Sources found in one image.

    Attributes
    ----------
    x, y : ndarray
        Centroids, pixels (``x`` along columns).
    flux : ndarray
        Aperture flux, electrons.
    flux_err : ndarray
        Its 1-sigma error, electrons.
    peak : ndarray
        Highest pixel above the background, electrons.
    n_pixels : ndarray
        Detected pixels of the object.
    area_arcmin2 : float
        Area searched (unmasked, away from the edge), square arcminutes.
    exposure_time : float
        Seconds.
    n_rejected_sharp : int
        Objects dropped by the sharpness cut (cosmic-ray-like).
    """

    x: np.ndarray
    y: np.ndarray
    flux: np.ndarray
    flux_err: np.ndarray
    peak: np.ndarray
    n_pixels: np.ndarray
    area_arcmin2: float
    exposure_time: float
    n_rejected_sharp: int

    @property
    def snr(self):
        """Aperture signal-to-noise ratio."""
        return self.flux / self.flux_err

    @property
    def instrumental_mag(self):
        """``-2.5 log10(flux / exposure_time)``: magnitude of the electron rate (0 at 1 e-/s)."""
        return -2.5 * np.log10(np.maximum(self.flux, 1e-30) / self.exposure_time)

    def density(self, *, min_snr):
        """Sources per square arcminute with ``snr >= min_snr``."""
        return float((self.snr >= min_snr).sum() / self.area_arcmin2)


def detect_sources(image, *, gain, pixel_sigma, white_sigma, fwhm, pixel_scale, exposure_time, mask=None,
                   threshold=3.0, min_area=5, aperture_fwhm=1.5, max_sharpness=2.0, sharpness_fwhm=None, edge=8):
    """Detect sources and measure their aperture flux in electrons.

    Parameters
    ----------
    image : ndarray
        Sky-subtracted image in ADU.
    gain : float
        Electrons per ADU.
    pixel_sigma : float
        Per-pixel background noise, ADU (sets the detection threshold).
    white_sigma : float
        Uncorrelated-equivalent per-pixel noise, ADU (sets the aperture
        error; equal to ``pixel_sigma`` for white noise; see
        :class:`crbench.realism.sky_noise.NoiseCorrelation`).
    fwhm : float
        PSF FWHM, pixels (aperture radius and sharpness cut).
    pixel_scale : float
        Arcseconds per pixel.
    exposure_time : float
        Seconds.
    mask : ndarray of bool, optional
        True marks pixels to leave out (cosmic rays, defects).
    threshold : float, optional
        Detection threshold, per-pixel sigmas.
    min_area : int, optional
        Minimum connected pixels above the threshold.
    aperture_fwhm : float, optional
        Aperture radius in FWHMs.
    max_sharpness : float, optional
        Objects with peak / aperture flux above this many times
        :func:`gaussian_peak_per_flux` of ``sharpness_fwhm`` are dropped.
    sharpness_fwhm : float, optional
        PSF FWHM of the sharpness cut, pixels; ``fwhm`` by default. Pass the
        narrowest plausible PSF when the frame's FWHM is only a guess, so
        that stars of a sharp frame are not taken for cosmic rays.
    edge : int, optional
        Sources with centroids closer than this to the image edge are dropped
        (and the edge leaves the searched area).

    Returns
    -------
    SourceCatalog
    """
    import sep

    data = np.ascontiguousarray(image, dtype=np.float64)
    bad = ~np.isfinite(data)
    if mask is not None:
        bad |= np.asarray(mask, dtype=bool)
    data = np.where(bad, 0.0, data)
    background = sep.Background(data, mask=bad, bw=64, bh=64, fw=3, fh=3)
    data = data - background.back()
    data[bad] = 0.0
    objects = sep.extract(data, threshold, err=pixel_sigma, mask=bad, minarea=min_area)
    x, y = objects["x"], objects["y"]
    ny, nx = data.shape
    inside = (x >= edge) & (y >= edge) & (x < nx - edge) & (y < ny - edge)
    objects, x, y = objects[inside], x[inside], y[inside]
    radius = aperture_fwhm * fwhm
    flux, _, _ = sep.sum_circle(data, x, y, radius, mask=bad)
    area_px = np.pi * radius**2
    flux_e = flux * gain
    flux_err_e = np.sqrt(area_px * (white_sigma * gain) ** 2 + np.maximum(flux_e, 0.0))
    peak_e = objects["peak"] * gain
    reference_fwhm = fwhm if sharpness_fwhm is None else sharpness_fwhm
    sharp = peak_e > max_sharpness * gaussian_peak_per_flux(reference_fwhm) * np.maximum(flux_e, 1e-30)
    keep = ~sharp
    searched = ~bad[edge: ny - edge, edge: nx - edge]
    area_arcmin2 = float(searched.sum() * pixel_scale**2 / ARCSEC2_PER_ARCMIN2)
    return SourceCatalog(
        x=x[keep],
        y=y[keep],
        flux=flux_e[keep],
        flux_err=flux_err_e[keep],
        peak=peak_e[keep],
        n_pixels=objects["npix"][keep].astype(int),
        area_arcmin2=area_arcmin2,
        exposure_time=float(exposure_time),
        n_rejected_sharp=int(sharp.sum()),
    )


def select_psf_stars(catalog, *, saturation_e, min_snr=50.0, isolation=12.0, max_peak_fraction=0.5):
    """Pick sources fit to measure the PSF on: bright, unsaturated and isolated.

    Parameters
    ----------
    catalog : SourceCatalog
    saturation_e : float
        Saturation level above the background, electrons.
    min_snr : float, optional
        Minimum aperture S/N.
    isolation : float, optional
        No other detected source within this many pixels.
    max_peak_fraction : float, optional
        Peak must stay below this fraction of ``saturation_e`` (linear regime).

    Returns
    -------
    list of (x, y)
    """
    chosen = []
    for i in np.flatnonzero((catalog.snr >= min_snr) & (catalog.peak < max_peak_fraction * saturation_e)):
        distance = np.hypot(catalog.x - catalog.x[i], catalog.y - catalog.y[i])
        distance[i] = np.inf
        if distance.min(initial=np.inf) > isolation:
            chosen.append((float(catalog.x[i]), float(catalog.y[i])))
    return chosen
