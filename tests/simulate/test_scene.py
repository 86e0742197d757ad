import numpy as np
import pytest
from scipy import ndimage, optimize

from crbench.simulate import get_profile, simulate_frame
from crbench.simulate.scene import draw_psf, draw_scene


def _moffat(coords, x0, y0, flux, fwhm, beta):
    yy, xx = coords
    alpha = fwhm / (2.0 * np.sqrt(2.0 ** (1.0 / beta) - 1.0))
    r2 = (xx - x0) ** 2 + (yy - y0) ** 2
    return (flux * (beta - 1.0) / (np.pi * alpha**2) * (1.0 + r2 / alpha**2) ** (-beta)).ravel()


def _isolated_stars(scene, *, min_separation):
    stars, galaxies = scene.stars, scene.galaxies
    xs = np.concatenate([stars["x"], galaxies["x"]])
    ys = np.concatenate([stars["y"], galaxies["y"]])
    chosen = []
    for i in np.argsort(stars["flux"])[::-1]:
        distance = np.hypot(xs - stars["x"][i], ys - stars["y"][i])
        distance[i] = np.inf
        if distance.min() > min_separation:
            chosen.append(i)
    return chosen


@pytest.mark.parametrize("name,seed", [("decam", 1), ("decam", 2), ("lco_0m4", 3), ("lco_1m", 4), ("lco_2m", 5)])
def test_star_fwhm_on_noiseless_model_matches_drawn_seeing(name, seed):
    profile = get_profile(name)
    rng = np.random.default_rng(seed)
    shape = (512, 512)
    scene = draw_scene(shape, profile=profile, band=profile.bands[0], exposure_time=profile.exposure_range_s[0],
                       rng=rng)
    fwhm = scene.psf.fwhm_px
    half = int(np.ceil(3 * fwhm)) + 2
    measured = []
    for i in _isolated_stars(scene, min_separation=10 * fwhm)[:3]:
        x, y = scene.stars["x"][i], scene.stars["y"][i]
        ix, iy = int(round(x)), int(round(y))
        if not (half <= ix < shape[1] - half and half <= iy < shape[0] - half):
            continue
        cut = scene.sources[iy - half:iy + half + 1, ix - half:ix + half + 1]
        coords = np.mgrid[iy - half:iy + half + 1, ix - half:ix + half + 1]
        start = (x, y, cut.sum(), fwhm * 1.2, 3.0)
        popt, _ = optimize.curve_fit(_moffat, coords, cut.ravel(), p0=start, maxfev=5000)
        measured.append(popt[3])
    assert measured, "no isolated star to measure"
    for value in measured:
        assert value == pytest.approx(fwhm, rel=0.05)


def test_psf_distribution_has_sharp_tail_and_site_median():
    profile = get_profile("lco_1m")
    rng = np.random.default_rng(9)
    psfs = [draw_psf(profile, "rp", rng=rng) for _ in range(3000)]
    fwhm = np.array([psf.fwhm_px for psf in psfs])
    beta = np.array([psf.beta for psf in psfs])
    assert np.mean(fwhm < 2.5) == pytest.approx(profile.sharp_psf_fraction, abs=0.03)
    broad = fwhm[fwhm >= 2.5]
    assert np.median(broad) == pytest.approx(profile.seeing_px("rp"), rel=0.05)
    assert beta.min() >= 2.5 and beta.max() <= 4.765


@pytest.mark.parametrize("name", ["decam", "lco_1m"])
def test_sky_noise_in_empty_regions(name):
    profile = get_profile(name)
    band = profile.bands[1 % len(profile.bands)]
    frame = simulate_frame(profile, shape=(384, 384), band=band, rng=np.random.default_rng(11))
    to_electrons = frame.info["image_to_electrons"]
    read = profile.read_noise_e
    sky_e = frame.info["sky_level"] * to_electrons
    dark_e = profile.dark_e_per_s * frame.info["exposure_time"]
    busy = (frame.source_model * to_electrons > 0.05 * np.sqrt(sky_e)) | frame.truth
    busy |= (frame.defects > 0) | frame.ignore
    busy = ndimage.binary_dilation(busy, iterations=3)
    yy, xx = np.nonzero(~busy)
    values = frame.image[yy, xx].astype(float)
    # remove the mild sky gradient (and the sky itself for LCO) with a plane fit
    design = np.column_stack([np.ones_like(xx), xx, yy]).astype(float)
    coefficients, *_ = np.linalg.lstsq(design, values, rcond=None)
    residual = values - design @ coefficients
    expected = np.sqrt(sky_e + dark_e + read**2) / to_electrons
    assert residual.std() == pytest.approx(expected, rel=0.05)
    assert yy.size > 0.5 * 384 * 384


def test_frame_is_deterministic_and_consistent():
    profile = get_profile("decam")
    first = simulate_frame(profile, shape=(128, 128), band="g", rng=np.random.default_rng(12))
    second = simulate_frame(profile, shape=(128, 128), band="g", rng=np.random.default_rng(12))
    for name in ("image", "truth", "ignore", "source_model", "cr_model", "defects"):
        assert np.array_equal(getattr(first, name), getattr(second, name)), name
    assert first.image.dtype == np.float32 and first.truth.dtype == bool
    assert np.isfinite(first.image).all()
    assert first.ignore[:2].all() and first.ignore[:, -2:].all()
    assert not first.ignore[2:-2, 2:-2].all()
    assert first.info["image_to_electrons"] == profile.gain_e_per_adu


def test_sky_subtraction_and_units():
    decam = simulate_frame(get_profile("decam"), shape=(256, 256), band="r", rng=np.random.default_rng(13))
    # ADU, sky-subtracted: median near zero, sky level = sky electrons / gain
    assert abs(np.median(decam.image)) < 0.1 * decam.info["sky_level"]
    lco = simulate_frame(get_profile("lco_2m"), shape=(256, 256), band="rp", rng=np.random.default_rng(13))
    assert np.median(lco.image) == pytest.approx(lco.info["sky_level"], rel=0.05)
