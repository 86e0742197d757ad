"""The star catalogue derived from a noiseless source model."""

import numpy as np
import pytest

from crbench.datasets import SampleMeta
from crbench.scoring.stars import sky_noise_sigma, source_peaks


def _moffat_model(shape, stars, *, fwhm, beta=3.0):
    """Sum of Moffat profiles with given (y, x, flux)."""
    alpha = fwhm / (2 * np.sqrt(2 ** (1 / beta) - 1))
    y, x = np.mgrid[: shape[0], : shape[1]]
    model = np.zeros(shape)
    for y0, x0, flux in stars:
        radius2 = ((y - y0) ** 2 + (x - x0) ** 2) / alpha**2
        model += flux * (beta - 1) / (np.pi * alpha**2) * (1 + radius2) ** -beta
    return model


def test_known_star_positions_are_recovered_and_faint_or_blended_ones_are_not():
    fwhm, sigma = 3.0, 5.0
    stars = [
        (20.3, 30.6, 5e4),  # bright, off-centre
        (70.0, 15.0, 2e3),  # moderate
        (60.2, 80.8, 8e3),
        (90.0, 90.0, 40.0),  # peak ~ 40 * 0.08 / 5 < 5 sigma: not a catalogue source
        (61.0, 82.3, 500.0),  # 1.7 px from a brighter star: within the window, merged into it
    ]
    model = _moffat_model((110, 120), stars, fwhm=fwhm)
    peaks = source_peaks(model, fwhm_px=fwhm, noise_sigma=sigma)
    found = sorted(zip(peaks["y"], peaks["x"]))
    expected = sorted((round(y), round(x)) for y, x, _ in stars[:3])
    assert len(found) == 3
    np.testing.assert_array_equal(np.round(found), expected)
    brightest = int(np.argmax(peaks["peak"]))
    assert peaks["peak"][brightest] == model.max()
    assert peaks["peak_nsigma"][brightest] == pytest.approx(model.max() / sigma)


def test_a_flat_top_is_one_peak_at_its_centre():
    model = np.zeros((30, 30))
    model[10:12, 20:23] = 100.0
    peaks = source_peaks(model, fwhm_px=2.0, noise_sigma=1.0)
    assert peaks["y"].tolist() == [10.5] and peaks["x"].tolist() == [21.0]


def test_an_empty_model_has_no_peaks():
    peaks = source_peaks(np.zeros((10, 10)), fwhm_px=2.0, noise_sigma=1.0)
    assert all(values.size == 0 for values in peaks.values())
    with pytest.raises(ValueError):
        source_peaks(np.zeros((10, 10)), fwhm_px=0.0, noise_sigma=1.0)


def test_sky_noise_sigma_in_image_units():
    adu = SampleMeta(instrument="x", units="adu", gain=4.0, read_noise=8.0, saturation=1e5, sky_level=100.0)
    # 100 ADU = 400 e-; sqrt(400 + 64) e- = 21.54 e- = 5.385 ADU
    assert sky_noise_sigma(adu) == pytest.approx(np.sqrt(464.0) / 4.0)
    electrons = SampleMeta(instrument="x", units="electron", gain=1.0, read_noise=3.0, saturation=1e5, sky_level=16.0)
    assert sky_noise_sigma(electrons) == 5.0
    assert sky_noise_sigma(SampleMeta(instrument="x", units="adu", gain=1.0, read_noise=1.0, saturation=1.0)) is None


def test_simulated_scene_stars_are_in_the_catalogue():
    """On a simulated scene the catalogue holds every drawn star whose peak stands 5 sigma above the sky."""
    from crbench.simulate import get_profile
    from crbench.simulate.scene import draw_scene, moffat_peak_per_flux

    profile = get_profile("decam")
    scene = draw_scene((128, 128), profile=profile, band="r", exposure_time=90.0, rng=np.random.default_rng(7),
                       bright_star=False)
    sigma = float(np.sqrt(scene.sky.mean() + profile.read_noise_e**2))
    peaks = source_peaks(scene.sources, fwhm_px=scene.psf.fwhm_px, noise_sigma=sigma)
    bright = scene.stars["flux"] * moffat_peak_per_flux(scene.psf) >= 6 * sigma  # clear of the threshold
    inside = ((scene.stars["x"] > 3) & (scene.stars["x"] < 124) & (scene.stars["y"] > 3) & (scene.stars["y"] < 124))
    assert (bright & inside).sum() >= 1
    for y, x in zip(scene.stars["y"][bright & inside], scene.stars["x"][bright & inside]):
        distance = np.hypot(peaks["y"] - y, peaks["x"] - x).min()
        assert distance <= 1.0


def test_peaks_are_the_local_maxima_of_scipys_maximum_filter():
    from scipy import ndimage

    rng = np.random.default_rng(3)
    model = ndimage.gaussian_filter(rng.random((90, 70)), 1.5).astype(np.float32)
    peaks = source_peaks(model, fwhm_px=2.2, noise_sigma=0.05, peak_nsigma=9.0)
    expected = (model >= 0.45) & (model == ndimage.maximum_filter(model, size=7, mode="nearest"))
    rows, cols = np.nonzero(expected)
    assert rows.size > 3
    np.testing.assert_array_equal(np.sort(peaks["y"] * 1000 + peaks["x"]), np.sort(rows * 1000.0 + cols))
