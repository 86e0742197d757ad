import dataclasses

import numpy as np
import pytest

from crbench.datasets.lco import IGNORE_BITS
from crbench.simulate import get_profile, simulate_frame
from crbench.simulate.masks import (
    DECAM_CP_BITS,
    LCO_IGNORE_BITS,
    border_mask,
    decam_cp_bits,
    lco_ignore_bits,
    lco_source_mask,
    single_pixel_objects,
)
from crbench.simulate.noise import read_out
from crbench.simulate.scene import draw_psf


def test_simulated_lco_bits_mean_what_the_real_data_sets_bits_mean():
    assert LCO_IGNORE_BITS == IGNORE_BITS


def test_single_pixel_objects_use_eight_connectivity():
    truth = np.zeros((7, 7), dtype=bool)
    truth[1, 1] = True  # alone
    truth[4, 4] = truth[5, 5] = True  # diagonal pair: one object of two pixels
    assert np.argwhere(single_pixel_objects(truth)).tolist() == [[1, 1]]
    assert not single_pixel_objects(np.zeros((3, 3), dtype=bool)).any()


def test_decam_bits_keep_every_reason_and_grow_saturation_by_one_pixel():
    shape = (12, 12)
    bad = np.zeros(shape, dtype=bool)
    bad[:, 3] = True
    saturated = np.zeros(shape, dtype=bool)
    saturated[6, 8] = True
    bleed = np.zeros(shape, dtype=bool)
    bleed[7:9, 8] = True
    bits = decam_cp_bits(shape=shape, border=1, bad_pixel=bad, saturated=saturated, bleed_trail=bleed)
    assert bits[0, 5] == DECAM_CP_BITS["border"]
    assert bits[0, 3] == DECAM_CP_BITS["border"] | DECAM_CP_BITS["bad_pixel"]
    assert bits[6, 8] == DECAM_CP_BITS["saturated"] and bits[8, 8] == DECAM_CP_BITS["bleed_trail"]
    assert bits[5, 7] == DECAM_CP_BITS["saturated"] and bits[9, 9] == DECAM_CP_BITS["saturated"]  # the ring
    assert bits[4, 8] == 0 and bits[10, 8] == 0


def test_saturation_after_read_noise_flags_every_pixel_at_full_well():
    expected = np.full((200, 200), 99_990.0)
    rng = np.random.default_rng(1)
    old, old_flag = read_out(expected, np.zeros_like(expected), read_noise=10.0, full_well=100_000.0, rng=rng)
    # version 1: pixels clipped before the read noise end up on both sides of full well
    assert 0.2 < (old >= 100_000.0).mean() < 0.8 and old_flag.mean() > (old >= 100_000.0).mean()
    value, flag = read_out(expected, np.zeros_like(expected), read_noise=10.0, full_well=100_000.0,
                           rng=np.random.default_rng(1), saturate_after_noise=True)
    assert value.max() == 100_000.0
    np.testing.assert_array_equal(flag, value >= 100_000.0)


def _moffat(shape, x0, y0, flux, fwhm, beta=3.0):
    yy, xx = np.indices(shape)
    alpha = fwhm / (2 * np.sqrt(2 ** (1 / beta) - 1))
    return flux * (beta - 1) / (np.pi * alpha**2) * (1 + ((xx - x0) ** 2 + (yy - y0) ** 2) / alpha**2) ** -beta


def test_lco_source_mask_covers_stars_and_leaves_a_separate_cosmic_ray():
    rng = np.random.default_rng(3)
    shape = (256, 256)
    scene = 500.0 + _moffat(shape, 80.3, 90.7, 4e5, 5.0) + _moffat(shape, 180.0, 170.0, 1e5, 5.0)
    median = scene + rng.normal(0, np.sqrt(0.45 * scene))
    frame = scene + rng.normal(0, np.sqrt(scene))
    frame[200:203, 40] += 5000.0  # a CR far from both stars
    frame[95, 80] += 5000.0  # a CR on the bright star's wing
    mask = lco_source_mask(frame, median)
    assert mask[90, 80] and mask[170, 180]
    assert mask[95, 80]  # connected to the star's peak above the local bound: part of the source
    assert not mask[200:203, 40].any()
    assert 0.005 < mask.mean() < 0.2


def test_lco_bits_and_boundary():
    shape = (300, 300)
    source = np.zeros(shape, dtype=bool)
    source[150, 150] = True
    isolated = np.zeros(shape, dtype=bool)
    isolated[150, 151] = True
    bits = lco_ignore_bits(shape=shape, source=source, isolated=isolated)
    assert bits[99, 150] == 1 and bits[100, 100] == 0
    assert bits[150, 150] == 4 and bits[150, 151] == 8
    np.testing.assert_array_equal(bits & 1 != 0, border_mask(shape, 100))


def test_decam_seeing_floor_holds_and_keeps_the_site_median():
    profile = dataclasses.replace(get_profile("decam"), sharp_psf_fraction=0.0, instrument_fwhm_arcsec=0.55)
    rng = np.random.default_rng(0)
    fwhm = np.array([draw_psf(profile, "i", rng=rng).fwhm_px for _ in range(4000)])
    floor = 0.55 / 0.263
    assert fwhm.min() >= floor
    assert np.median(fwhm) == pytest.approx(profile.seeing_px("i"), rel=0.03)


@pytest.fixture(scope="module")
def decam_frames():
    profile = dataclasses.replace(get_profile("decam"), sharp_psf_fraction=0.0, instrument_fwhm_arcsec=0.55,
                                  bad_columns_per_1000=20.0, hot_pixel_fraction=5e-3)
    return [simulate_frame(profile, shape=(256, 256), band="z", rng=np.random.default_rng(seed), protocol="decam_cp",
                           bright_star=True) for seed in range(3)]


def test_decam_protocol_ignores_every_defect_saturated_and_bleed_pixel(decam_frames):
    for frame in decam_frames:
        classes = frame.defects
        assert frame.ignore[np.isin(classes, (1, 2, 3))].all()  # hot pixels, bad columns, bleed trails
        to_e = frame.info["image_to_electrons"]
        at_full_well = frame.image * to_e + frame.info["sky_level"] * to_e >= 130000.0 - 1e-3 * to_e
        assert frame.ignore[at_full_well].all()
        assert not (frame.truth & frame.ignore).any()
        np.testing.assert_array_equal(frame.ignore, frame.ignore_bits != 0)
    assert sum(int(np.isin(frame.defects, (1, 2)).sum()) for frame in decam_frames) > 100


def test_lco_protocol_matches_the_real_data_sets_rules():
    profile = dataclasses.replace(get_profile("lco_2m"), sharp_psf_fraction=0.0)
    frame = simulate_frame(profile, shape=(512, 512), band="rp", rng=np.random.default_rng(5), protocol="lco_cr",
                           border=100, exposure_time=300.0)
    bits = frame.ignore_bits
    np.testing.assert_array_equal(bits & 1 != 0, border_mask(bits.shape, 100))
    assert not (bits & 2).any()
    assert (bits & 4).any()
    assert not (frame.truth & frame.ignore).any()
    # no 1-pixel CR object survives: the labelling moved them to bit 8
    assert (frame.objects["n_pixels"] >= 2).all()
    assert frame.info["ignore_bits"] == LCO_IGNORE_BITS


def test_unknown_protocol_is_refused():
    with pytest.raises(ValueError, match="protocol"):
        simulate_frame(get_profile("decam"), shape=(32, 32), band="g", rng=np.random.default_rng(0), protocol="x")
