"""The lacosmic adapter reproduces lacosmic.remove_cosmics with the paper protocol."""

import lacosmic
import numpy as np
import pytest

from crbench.detectors import get_detector_class
from crbench.detectors.lacosmic_adapter import CR_THRESHOLD_GRID, LACosmic
from crbench.inputs import prepare_input

from ._helpers import scene


def test_registered_with_cr_threshold_sweep():
    assert get_detector_class("lacosmic") is LACosmic
    detector = LACosmic()
    assert detector.sweep_parameter == "cr_threshold"
    assert detector.sweep_values() == sorted([*CR_THRESHOLD_GRID, 3.0])
    assert len(CR_THRESHOLD_GRID) == 20
    assert CR_THRESHOLD_GRID[0] == pytest.approx(1.0) and CR_THRESHOLD_GRID[-1] == pytest.approx(20.0)
    assert LACosmic.dilate_output is True


def test_matches_upstream_with_neighbor_threshold_from_sigfrac():
    sample = scene(seed=1, gain=2.0, units="adu")
    detector = LACosmic(cr_threshold=5.0, contrast=2.0)
    mask = detector.detect(sample.image, meta=sample.meta)
    saturated = sample.image >= sample.meta.saturation
    _, expected = lacosmic.remove_cosmics(
        sample.image.copy(),
        contrast=2.0,
        cr_threshold=5.0,
        neighbor_threshold=0.5,  # sigfrac 0.1 x cr_threshold 5
        mask=saturated if saturated.any() else None,
        effective_gain=2.0,
        readnoise=sample.meta.read_noise,
    )
    assert mask.sum() > 0
    np.testing.assert_array_equal(mask, expected)


def test_explicit_neighbor_threshold_is_kept_during_the_sweep():
    detector = LACosmic(neighbor_threshold=1.5)
    sample = scene(seed=1, gain=2.0, units="adu")
    for value in (2.0, 9.0):
        detector.params["cr_threshold"] = value
        assert detector.upstream_kwargs(meta=sample.meta)["neighbor_threshold"] == 1.5
    derived = LACosmic(cr_threshold=9.0)
    assert derived.upstream_kwargs(meta=sample.meta)["neighbor_threshold"] == pytest.approx(0.9)


def test_units_conversion_from_electrons():
    electrons = scene(seed=2, gain=4.0, units="electron")
    detector = LACosmic(cr_threshold=4.0)
    image, meta = prepare_input(electrons, detector=detector)
    assert meta.units == "adu"
    mask = detector.detect(image, meta=meta)
    _, expected = lacosmic.remove_cosmics(
        electrons.image / np.float32(4.0), contrast=1.0, cr_threshold=4.0, neighbor_threshold=0.4,
        effective_gain=4.0, readnoise=electrons.meta.read_noise,
    )
    np.testing.assert_array_equal(mask, expected)
    # electrons with gain 1 give the same detections up to rounding
    _, in_electrons = lacosmic.remove_cosmics(
        electrons.image, contrast=1.0, cr_threshold=4.0, neighbor_threshold=0.4,
        effective_gain=1.0, readnoise=electrons.meta.read_noise,
    )
    assert np.mean(mask != in_electrons) < 1e-3


def test_sweep_is_monotone_and_restores_the_operating_point():
    sample = scene(seed=3)
    detector = LACosmic(sweep=[2.0, 6.0, 15.0])
    image, meta = prepare_input(sample, detector=detector)
    masks = detector.detect_sweep(image, meta=meta)
    assert masks.shape[0] == 4  # 2, 3 (operating point), 6, 15
    counts = masks.sum(axis=(1, 2))
    assert np.all(np.diff(counts) <= 0)
    assert detector.params["cr_threshold"] == 3.0


def test_saturated_pixels_are_masked_for_upstream():
    sample = scene(seed=6, gain=1.0, units="adu")
    image = sample.image.copy()
    image[40:44, 60:64] = sample.meta.saturation + 10  # a flat saturated core looks like a CR block
    masked = LACosmic(cr_threshold=3.0).detect(image, meta=sample.meta)
    unmasked = LACosmic(cr_threshold=3.0, mask_saturated=False).detect(image, meta=sample.meta)
    assert not masked[40:44, 60:64].any()
    assert unmasked[40:44, 60:64].any()


def test_card_neighbor_threshold_is_read_as_a_ratio_that_follows_the_sweep():
    sample = scene(seed=1, gain=2.0, units="adu")
    detector = LACosmic()
    # as the LCO cards state it: sigclip 15, neighbour 0.1 x 15
    detector.apply_protocol({"contrast": 2.0, "cr_threshold": 15.0, "neighbor_threshold": 1.5})
    assert detector.params["contrast"] == 2.0 and detector.params["cr_threshold"] == 15.0
    assert detector.params["neighbor_threshold"] is None
    assert detector.params["sigfrac"] == pytest.approx(0.1)
    detector.params["cr_threshold"] = 4.0
    assert detector.upstream_kwargs(meta=sample.meta)["neighbor_threshold"] == pytest.approx(0.4)
    # a user's explicit choice wins over the card
    fixed = LACosmic(neighbor_threshold=0.7)
    fixed.apply_protocol({"cr_threshold": 15.0, "neighbor_threshold": 1.5})
    assert fixed.params["neighbor_threshold"] == 0.7 and fixed.params["sigfrac"] == 0.1


def test_every_leaderboard_sweep_point_is_upstreams_mask_for_that_threshold():
    from crbench.jobs.plan import LEADERBOARD_PARAMS

    sample = scene(seed=7, gain=2.0, units="adu")
    detector = LACosmic(**LEADERBOARD_PARAMS["lacosmic"])
    masks = detector.detect_sweep(sample.image, meta=sample.meta)
    saturated = sample.image >= sample.meta.saturation
    assert len(masks) == len(detector.sweep_values()) == 10  # 9 grid values and the operating point 3.0
    for value, mask in zip(detector.sweep_values(), masks):
        _, expected = lacosmic.remove_cosmics(
            sample.image.copy(), contrast=1.0, cr_threshold=value, neighbor_threshold=0.1 * value,
            mask=saturated if saturated.any() else None, effective_gain=2.0, readnoise=sample.meta.read_noise,
        )
        np.testing.assert_array_equal(mask, expected, err_msg=f"cr_threshold {value}")
