import numpy as np
import pytest

from crbench.realism.psf_fwhm import MoffatFit, fit_moffat, measure_psf_fwhm, moffat_image, stellar_locus_fwhm


def test_moffat_image_holds_its_flux():
    image = moffat_image((401, 401), x=200.3, y=199.7, flux=1000.0, fwhm=3.0, beta=4.0)
    assert image.sum() == pytest.approx(1000.0, rel=2e-3)
    # the FWHM is where the profile falls to half its peak
    alpha = 3.0 / (2.0 * np.sqrt(2.0 ** 0.25 - 1.0))
    assert (1 + 1.5**2 / alpha**2) ** -4.0 == pytest.approx(0.5)


@pytest.mark.parametrize("fwhm,beta", [(2.0, 2.8), (3.5, 3.0), (5.0, 4.5)])
def test_fit_recovers_known_moffat(fwhm, beta):
    rng = np.random.default_rng(7)
    stamp = moffat_image((21, 21), x=10.3, y=9.6, flux=2e5, fwhm=fwhm, beta=beta, background=3.0)
    stamp += rng.normal(0.0, 20.0, stamp.shape)
    fit = fit_moffat(stamp, sigma=20.0)
    assert fit.fwhm == pytest.approx(fwhm, rel=0.02)
    assert fit.beta == pytest.approx(beta, rel=0.2)
    assert (fit.x, fit.y) == pytest.approx((10.3, 9.6), abs=0.05)
    assert fit.reduced_chi2 == pytest.approx(1.0, abs=0.25)


def test_masked_cosmic_ray_does_not_bias_the_fit():
    rng = np.random.default_rng(8)
    image = moffat_image((64, 64), x=30.2, y=31.4, flux=1e5, fwhm=4.0, beta=3.0) + rng.normal(0.0, 10.0, (64, 64))
    image[33, 31] += 5000.0  # a cosmic ray next to the core
    mask = np.zeros(image.shape, dtype=bool)
    mask[33, 31] = True
    [masked] = measure_psf_fwhm(image, [(30.2, 31.4)], sigma=10.0, mask=mask)
    [unmasked] = measure_psf_fwhm(image, [(30.2, 31.4)], sigma=10.0)
    assert masked.fwhm == pytest.approx(4.0, rel=0.02)
    assert (masked.x, masked.y) == pytest.approx((30.2, 31.4), abs=0.05)
    assert masked.reduced_chi2 < 1.5
    # unmasked, the hit pulls the centre and wrecks the fit
    assert np.hypot(unmasked.x - 30.2, unmasked.y - 31.4) > 0.15
    assert unmasked.reduced_chi2 > 10.0


def test_stars_too_close_to_the_edge_are_skipped():
    image = moffat_image((64, 64), x=5.0, y=30.0, flux=1e5, fwhm=4.0, beta=3.0)
    assert measure_psf_fwhm(image, [(5.0, 30.0)], sigma=1.0, half_size=10) == []


def _fit(fwhm):
    return MoffatFit(0.0, 0.0, 1.0, fwhm, 3.0, 0.0, 1.0)


def test_stellar_locus_ignores_galaxies_and_cosmic_ray_leftovers():
    fwhm, spread, n_stars = stellar_locus_fwhm([_fit(w) for w in (3.0, 3.1, 2.9, 6.0, 9.0, 0.5)])
    assert (fwhm, n_stars) == (3.0, 3)
    assert spread == pytest.approx(1.4826 * 0.1)
    assert np.isnan(stellar_locus_fwhm([])[0])
