import numpy as np
import pytest

from crbench.realism.psf_fwhm import moffat_image
from crbench.realism.source_counts import detect_sources, select_psf_stars

GAIN = 4.0
SIGMA = 30.0  # ADU
FWHM = 3.5
BETA = 3.0
STARS = [(40.3, 50.7, 4e4), (120.6, 200.2, 1.5e4), (200.1, 80.9, 1e5), (90.5, 130.5, 8e3)]  # x, y, ADU


def _field(seed=0, *, cosmic_ray=True):
    rng = np.random.default_rng(seed)
    image = rng.normal(0.0, SIGMA, (256, 256))
    for x, y, flux in STARS:
        image += moffat_image(image.shape, x=x, y=y, flux=flux, fwhm=FWHM, beta=BETA)
    if cosmic_ray:
        image[170, 60:62] += 3000.0  # two-pixel hit: well above threshold, much sharper than the PSF
    return image


def _detect(image, **options):
    return detect_sources(image, gain=GAIN, pixel_sigma=SIGMA, white_sigma=SIGMA, fwhm=FWHM, pixel_scale=0.263,
                          exposure_time=330.0, **options)


def _match(catalog, x, y):
    distance = np.hypot(catalog.x - x, catalog.y - y)
    return int(np.argmin(distance)) if distance.size and distance.min() < 1.0 else None


def test_stars_are_found_with_their_aperture_flux_and_the_cosmic_ray_is_rejected():
    catalog = _detect(_field())
    alpha = FWHM / (2.0 * np.sqrt(2.0 ** (1.0 / BETA) - 1.0))
    enclosed = 1.0 - (1.0 + (1.5 * FWHM / alpha) ** 2) ** (1.0 - BETA)  # Moffat light inside 1.5 FWHM
    for x, y, flux in STARS:
        index = _match(catalog, x, y)
        assert index is not None
        assert catalog.flux[index] == pytest.approx(flux * GAIN * enclosed, rel=0.05)
    assert _match(catalog, 60.5, 170.0) is None
    assert catalog.n_rejected_sharp == 1
    assert len(catalog.x) == len(STARS)


def test_without_the_sharpness_cut_the_cosmic_ray_counts():
    catalog = _detect(_field(), max_sharpness=np.inf)
    assert _match(catalog, 60.5, 170.0) is not None


def test_masked_cosmic_ray_is_not_detected():
    mask = np.zeros((256, 256), dtype=bool)
    mask[169:172, 59:63] = True
    catalog = _detect(_field(), mask=mask, max_sharpness=np.inf)
    assert _match(catalog, 60.5, 170.0) is None
    assert catalog.area_arcmin2 == pytest.approx((240 * 240 - 12) * 0.263**2 / 3600.0)


def test_snr_error_uses_the_uncorrelated_equivalent_sigma():
    image = _field(cosmic_ray=False)
    white = _detect(image)
    inflated = detect_sources(image, gain=GAIN, pixel_sigma=SIGMA, white_sigma=2 * SIGMA, fwhm=FWHM,
                              pixel_scale=0.263, exposure_time=330.0)
    area = np.pi * (1.5 * FWHM) ** 2
    expected = np.sqrt(area * (SIGMA * GAIN) ** 2 + white.flux)
    assert white.flux_err == pytest.approx(expected)
    assert np.all(inflated.snr < white.snr)
    # density counts sources per square arcminute above the S/N cut
    assert white.density(min_snr=10.0) == pytest.approx((white.snr >= 10).sum() / white.area_arcmin2)
    assert white.instrumental_mag == pytest.approx(-2.5 * np.log10(white.flux / 330.0))


def test_psf_star_selection_skips_saturated_and_crowded_stars():
    catalog = _detect(_field(cosmic_ray=False))
    bright = catalog.peak.max()
    chosen = select_psf_stars(catalog, saturation_e=10 * bright)
    assert len(chosen) == int((catalog.snr >= 50).sum())
    fewer = select_psf_stars(catalog, saturation_e=1.5 * bright)  # brightest peak above half of saturation
    assert len(fewer) == len(chosen) - 1
    assert select_psf_stars(catalog, saturation_e=10 * bright, isolation=300.0) == []
