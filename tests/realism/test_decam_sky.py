import numpy as np
import pytest
from astropy.io import fits

from crbench.realism.decam_sky import (
    _frame_from_header,
    load_decam_stack,
    measure_frame,
    measure_real_frames,
    measure_simulated_frame,
    stack_cosmic_ray_mask,
    stack_source_mask,
)
from crbench.realism.psf_fwhm import moffat_image
from crbench.realism.sky_noise import expected_sky_sigma
from crbench.simulate import get_profile, simulate_frame
from tests.conftest import SHARED_DATA


def _header(**cards):
    header = fits.Header()
    header.update({"GAIN": 4.0, "RDNOISE": 10.0, "EXPTIME": 330.0, "SATURATE": 46000.0, **cards})
    return header


def test_sky_comes_from_avsky_then_esatur_then_the_noise():
    sigma = expected_sky_sigma(3000.0, gain=4.0, read_noise=10.0)
    image = np.random.default_rng(1).normal(0.0, sigma, (256, 256))
    frame = _frame_from_header("x", image, _header(AVSKY=3100.0, ESATUR=43000.0))
    assert (frame.sky_level, frame.sky_source, frame.saturation) == (3100.0, "header AVSKY", 43000.0)
    frame = _frame_from_header("x", image, _header(ESATUR=43000.0))
    assert (frame.sky_level, frame.sky_source) == (3000.0, "header SATURATE - ESATUR")
    frame = _frame_from_header("x", image, _header())
    assert frame.sky_source == "noise and gain"
    assert frame.sky_level == pytest.approx(3000.0, rel=0.05)
    assert frame.saturation == pytest.approx(46000.0 - frame.sky_level)


def _star_stack(n_frames=5, *, seed=2):
    rng = np.random.default_rng(seed)
    frames = []
    for index in range(n_frames):
        fwhm = 3.5 if index != 1 else 3.0  # frame 1 has sharper seeing: its star core is higher
        frame = moffat_image((64, 64), x=30.0, y=30.0, flux=2e5, fwhm=fwhm, beta=3.0)
        frames.append(frame + rng.normal(0.0, 10.0, frame.shape))
    frames[2][10, 40:43] += 400.0  # cosmic ray in frame 2
    return np.array(frames)


def test_leave_one_out_finds_the_cosmic_ray_but_not_the_sharper_star():
    stack = _star_stack()
    cosmic_rays = stack_cosmic_ray_mask(stack, 2, dilate=0)
    assert cosmic_rays[10, 40:43].all() and cosmic_rays.sum() == 3
    assert not stack_cosmic_ray_mask(stack, 1).any()


def test_stack_source_mask_covers_the_star_and_leaves_the_sky():
    mask = stack_source_mask(_star_stack())
    assert mask[30, 30] and mask[30, 36]
    assert not mask[10, 38:45].any()  # the one-frame cosmic ray is not in the median
    yy, xx = np.indices(mask.shape)
    assert mask[np.hypot(xx - 30, yy - 30) > 25].mean() < 0.1  # noise peaks of the median, rarely


def test_simulated_frames_measure_their_own_noise_and_seeing():
    profile = get_profile("decam")
    measured = []
    for seed in range(24):  # few 256 x 256 frames hold two isolated S/N >= 50 stars
        frame = simulate_frame(profile, shape=(256, 256), band="i", rng=np.random.default_rng(seed),
                               exposure_time=330.0)
        info = frame.info
        result = measure_simulated_frame(
            frame.image, source_model=frame.source_model, cr_model=frame.cr_model, defects=frame.defects,
            ignore=frame.ignore, gain=profile.gain_e_per_adu, read_noise=profile.read_noise_e,
            sky_level=info["sky_level"], exposure_time=330.0, saturation=info["saturation"], label=str(seed),
            kind="sim", truth=info,
        )
        assert result.pixel_sigma / result.expected_sigma == pytest.approx(1.0, abs=0.03)
        assert abs(result.lag1_x) < 0.03 and abs(result.lag1_y) < 0.03
        if np.isfinite(result.fwhm):
            measured.append(result.fwhm / info["psf_fwhm_px"])
    assert len(measured) >= 3
    assert np.median(measured) == pytest.approx(1.0, abs=0.05)


# --- the real frames (shared/data or a download verified by sha256) ---


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """The ten real frames and their measurements, loaded once per module.

    Module-scoped fixtures run before the per-test environment of
    ``conftest.py``, so the pre-seeded copy is pointed at here, inside a
    monkeypatch context that leaves the environment as it found it.
    """
    import os

    reference_dir = os.environ.get("CRBENCH_REFERENCE_DIR") or (str(SHARED_DATA) if SHARED_DATA.is_dir() else None)
    if reference_dir is None:
        pytest.skip(f"real reference material not found at {SHARED_DATA} (shared/ beside the repository)")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CRBENCH_REFERENCE_DIR", reference_dir)
        patch.setenv("CRBENCH_CACHE", str(tmp_path_factory.mktemp("crbench-cache")))
        frames = load_decam_stack()
    return frames, {m.label: m for m in measure_real_frames(frames)}


def test_real_headers_give_gain_read_noise_and_sky(requires_reference_data, real):
    frames, _ = real
    assert len(frames) == 10
    assert [f.name for f in frames if not f.resampled] == ["DEC-OBS04a"]
    for frame in frames:
        assert frame.sky_source == "header AVSKY"
        assert frame.exposure_time == 330.0
        assert frame.read_noise == pytest.approx(11.84, abs=0.01)
        assert frame.gain == pytest.approx(3.98 if frame.night == "180804" else 4.15, abs=0.01)
    assert sorted({f.night for f in frames}) == ["160818", "180804"]


def test_native_frame_noise_matches_header_gain_read_noise_and_sky(requires_reference_data, real):
    native = real[1]["DEC-OBS04a"]
    assert native.pixel_sigma / native.expected_sigma == pytest.approx(1.0, abs=0.02)  # measured 1.003
    assert native.white_sigma / native.expected_sigma == pytest.approx(1.0, abs=0.03)  # measured 1.019
    assert max(abs(native.lag1_x), abs(native.lag1_y)) < 0.02  # measured 0.007


def test_resampled_frames_have_correlated_noise_that_block_sums_undo(requires_reference_data, real):
    resampled = [m for m in real[1].values() if m.kind == "real resampled"]
    assert len(resampled) == 9
    correlated = [m for m in resampled if max(m.lag1_x, m.lag1_y) > 0.1]
    assert len(correlated) >= 5  # measured 6 of 9 (sub-pixel shifts near 0 leave little correlation)
    for m in correlated:
        assert m.pixel_sigma / m.expected_sigma < 0.96  # measured 0.86-0.95
    ratios = [m.noise_ratio for m in resampled]
    assert np.median(ratios) == pytest.approx(1.0, abs=0.04)  # measured 1.02
    assert max(abs(r - 1.0) for r in ratios) < 0.09  # measured 0.998-1.070


def test_real_psf_fwhm_is_pinned_and_below_the_pipeline_value(requires_reference_data, real):
    measured = real[1]
    assert 4.7 < measured["DEC-OBS04a"].fwhm < 5.2  # measured 4.93 px (1.30")
    for m in measured.values():
        assert m.n_psf_stars >= 3
        # the Community Pipeline's FWHM (whole-CCD median) is 5-10 % above the Moffat fits of these stars
        assert 0.88 < m.fwhm / m.truth["header_fwhm"] < 0.98
    assert 3.6 < np.median([m.fwhm for m in measured.values()]) < 4.1  # measured 3.83


def test_real_cosmic_rays_and_source_density(requires_reference_data, real):
    measured = real[1]
    assert measured["DEC-OBS04a"].truth["n_cosmic_ray_pixels"] == 0  # no CR in the native frame
    assert measured["DEC-OBS04e"].truth["n_cosmic_ray_pixels"] > 100  # a long track
    for m in measured.values():
        assert m.catalog.n_rejected_sharp <= 1
        assert 4.0 < m.density(min_snr=10.0) < 12.0  # measured 5.4-10.9 per arcmin^2
    assert int((measured["DEC-OBS04a"].catalog.snr >= 10).sum()) == 7


def test_stars_of_a_sharp_frame_without_psf_stars_are_kept():
    # faint (S/N ~ 20-40) stars of FWHM 2 px: too faint to fit the PSF on, so the FWHM stays unmeasured;
    # the sharpness cut must then assume the sharpest PSF, not the 4 px starting guess
    rng = np.random.default_rng(9)
    sigma, gain = 30.0, 4.0
    image = rng.normal(0.0, sigma, (256, 256))
    positions = [(40.0 + 45 * i + 0.3, 60.0 + 35 * i - 0.2) for i in range(5)]
    for x, y in positions:
        image += moffat_image(image.shape, x=x, y=y, flux=3000.0, fwhm=2.0, beta=3.0)
    result = measure_frame(image, label="sharp", kind="synthetic", gain=gain, read_noise=10.0,
                           sky_level=(sigma * gain) ** 2 / gain, exposure_time=90.0, saturation=4e4,
                           source_mask=np.zeros(image.shape, dtype=bool))
    assert np.isnan(result.fwhm)
    assert result.catalog.n_rejected_sharp == 0
    assert len(result.catalog.x) == len(positions)
