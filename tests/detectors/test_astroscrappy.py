"""The astroscrappy adapter reproduces upstream detect_cosmics and the paper protocol."""

import dataclasses

import astroscrappy
import numpy as np
import pytest

from crbench.datasets.tiny import TinyDataset
from crbench.detectors import get_detector_class
from crbench.detectors.astroscrappy_adapter import SIGCLIP_GRID, AstroScrappy
from crbench.inputs import prepare_input

from ._helpers import scene


def test_registered_under_its_name():
    assert get_detector_class("astroscrappy") is AstroScrappy


def test_default_sweep_is_twenty_log_spaced_sigclips_in_1_to_20():
    detector = AstroScrappy()
    grid = detector.params["sweep"]
    assert len(grid) == 20
    assert grid[0] == pytest.approx(1.0) and grid[-1] == pytest.approx(20.0)
    ratios = np.diff(np.log(grid))
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-3)
    # the operating point is swept too, so its metrics are measured
    assert detector.sweep_values() == sorted([*grid, 3.0])
    assert detector.params["sigfrac"] == 0.1
    assert detector.operating_point == 3.0
    assert AstroScrappy.dilate_output is True
    assert AstroScrappy.sweep_grid == SIGCLIP_GRID


def test_matches_a_direct_upstream_call():
    sample = scene(seed=1, gain=2.5, units="adu")
    detector = AstroScrappy(sigclip=4.0, objlim=2.0)
    mask = detector.detect(sample.image, meta=sample.meta)
    expected, _ = astroscrappy.detect_cosmics(
        sample.image.copy(),
        sigclip=4.0,
        sigfrac=0.1,
        objlim=2.0,
        gain=2.5,
        readnoise=sample.meta.read_noise,
        satlevel=sample.meta.saturation * 2.5,
    )
    assert mask.dtype == bool
    assert mask.sum() > 0
    np.testing.assert_array_equal(mask, expected)


def test_units_conversion_from_electrons_matches_upstream_on_adu():
    # the runner hands the adapter ADU made from an electron image with the sample's gain
    electrons = scene(seed=2, gain=3.0, units="electron")
    detector = AstroScrappy()
    image, meta = prepare_input(electrons, detector=detector)
    assert meta.units == "adu"
    np.testing.assert_allclose(image, electrons.image / 3.0, rtol=1e-6)
    mask = detector.detect(image, meta=meta)
    expected, _ = astroscrappy.detect_cosmics(
        electrons.image / np.float32(3.0),
        sigclip=3.0,
        sigfrac=0.1,
        objlim=1.0,
        gain=3.0,
        readnoise=electrons.meta.read_noise,
        satlevel=electrons.meta.saturation,
    )
    np.testing.assert_array_equal(mask, expected)
    # the same scene read in electrons with gain 1 gives the same detections
    same_in_electrons, _ = astroscrappy.detect_cosmics(
        electrons.image, sigclip=3.0, sigfrac=0.1, objlim=1.0, gain=1.0,
        readnoise=electrons.meta.read_noise, satlevel=electrons.meta.saturation,
    )
    assert np.mean(mask != same_in_electrons) < 1e-3


def test_card_protocol_sets_objlim_and_operating_sigclip_but_user_wins():
    card = TinyDataset.card
    detector = AstroScrappy()
    detector.apply_protocol(card.protocol_for("astroscrappy"))
    assert detector.params["objlim"] == 2.0 and detector.params["sigclip"] == 4.5
    user = AstroScrappy(objlim=0.5)
    user.apply_protocol(card.protocol_for("astroscrappy"))
    assert user.params["objlim"] == 0.5


def test_sweep_runs_upstream_once_per_value_and_is_monotone(monkeypatch):
    sample = scene(seed=3)
    detector = AstroScrappy(sweep=[2.0, 5.0, 12.0])
    calls = []
    original = astroscrappy.detect_cosmics

    def counting(*args, **kwargs):
        calls.append(kwargs["sigclip"])
        return original(*args, **kwargs)

    monkeypatch.setattr(astroscrappy, "detect_cosmics", counting)
    image, meta = prepare_input(sample, detector=detector)
    masks = detector.detect_sweep(image, meta=meta)
    assert calls == [2.0, 3.0, 5.0, 12.0]  # plus the operating sigclip
    counts = masks.sum(axis=(1, 2))
    assert np.all(np.diff(counts) <= 0)
    assert detector.params["sigclip"] == 3.0


def test_nan_pixels_are_ignored_not_flagged_and_input_untouched():
    sample = scene(seed=4, units="adu", gain=2.0)
    image = sample.image.copy()
    image[10:12, 20:23] = np.nan
    before = image.copy()
    mask = AstroScrappy().detect(image, meta=sample.meta)
    assert not mask[10:12, 20:23].any()
    np.testing.assert_array_equal(image, before)


def test_sky_subtracted_frames_get_the_sky_back():
    sample = scene(seed=5, units="adu", gain=2.0)
    detector = AstroScrappy()
    reference = detector.detect(sample.image, meta=sample.meta)
    sky = np.float32(sample.meta.sky_level)
    meta = dataclasses.replace(sample.meta, sky_subtracted=True)
    subtracted = detector.detect(sample.image - sky, meta=meta)
    assert np.mean(subtracted != reference) < 1e-3


def test_every_leaderboard_sweep_point_is_upstreams_mask_for_that_sigclip():
    from crbench.jobs.plan import LEADERBOARD_PARAMS

    sample = scene(seed=7, gain=2.0, units="adu")
    detector = AstroScrappy(**LEADERBOARD_PARAMS["astroscrappy"])
    masks = detector.detect_sweep(sample.image, meta=sample.meta)
    assert len(masks) == len(detector.sweep_values()) == 12  # 11 grid values and the operating point 3.0
    for value, mask in zip(detector.sweep_values(), masks):
        expected, _ = astroscrappy.detect_cosmics(
            sample.image.copy(), **{**detector.upstream_kwargs(meta=sample.meta), "sigclip": value}
        )
        np.testing.assert_array_equal(mask, expected, err_msg=f"sigclip {value}")
