"""Dilation, ignore policies and input validation of the pixel protocol."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

from crbench.errors import InputError, ShapeMismatchError
from crbench.scoring import (
    PixelProtocol,
    PositiveScores,
    SweepCounts,
    ThresholdCounts,
    dilate_mask,
    dilate_scores,
    prepare_pixels,
    validate_masks,
    validate_scores,
)
from crbench.scoring.pixels import dilated_values_at


def brute_max_filter(array, size):
    """Neighbourhood maximum by explicit loops over the clipped window."""
    ny, nx = array.shape
    radius = size // 2
    out = np.empty_like(array)
    for y in range(ny):
        for x in range(nx):
            window = array[max(0, y - radius) : y + radius + 1, max(0, x - radius) : x + radius + 1]
            out[y, x] = window.max()
    return out


maps = st.fixed_dictionaries(
    {
        "seed": st.integers(0, 2**32 - 1),
        "ny": st.integers(1, 14),
        "nx": st.integers(1, 14),
        "fraction": st.sampled_from([0.0, 0.01, 0.1, 0.5, 1.0]),
        "size": st.sampled_from([1, 3, 5]),
    }
)


@settings(max_examples=100, deadline=None, database=None)
@given(case=maps)
def test_dilations_equal_brute_force_and_scipy(case):
    rng = np.random.default_rng(case["seed"])
    shape, size = (case["ny"], case["nx"]), case["size"]
    mask = rng.random(shape) < case["fraction"]
    expected = brute_max_filter(mask.astype(np.uint8), size).astype(bool)
    assert np.array_equal(dilate_mask(mask, size=size), expected)
    assert np.array_equal(expected, ndimage.binary_dilation(mask, np.ones((size, size), bool)))
    scores = rng.choice(np.array([0.0, 0.2, 0.7, 1.0], np.float32), size=shape)
    expected_scores = brute_max_filter(scores, size)
    assert np.array_equal(dilate_scores(scores, size=size), expected_scores)
    assert np.array_equal(ndimage.maximum_filter(scores, size=size, mode="nearest"), expected_scores)
    index = np.flatnonzero(rng.random(shape) < 0.5)
    assert np.array_equal(dilated_values_at(scores, index, size=size), expected_scores.ravel()[index])
    # thresholding commutes with grey dilation
    for threshold in (0.2, 0.5, 1.0):
        assert np.array_equal(dilate_scores(scores, size=size) >= threshold, dilate_mask(scores >= threshold, size=size))


def test_sparse_and_dense_mask_dilation_paths_agree():
    rng = np.random.default_rng(0)
    sparse = rng.random((200, 300)) < 0.001  # takes the scatter path
    dense = rng.random((200, 300)) < 0.3  # takes the separable path
    for mask in (sparse, dense):
        assert np.array_equal(dilate_mask(mask, size=3), ndimage.binary_dilation(mask, np.ones((3, 3), bool)))


def test_ignore_policies():
    truth = np.zeros((5, 5), bool)
    truth[2, 2] = True
    ignore = np.zeros((5, 5), bool)
    ignore[2, 3] = True  # inside the dilated truth
    ignore[0, 0] = True  # background
    scores = np.zeros((5, 5), np.float32)
    excluded = prepare_pixels(truth, ignore, scores, protocol=PixelProtocol(truth_dilation=3, ignore_policy="exclude"))
    assert excluded.labels.size == 23 and excluded.labels.sum() == 8
    negative = prepare_pixels(truth, ignore, scores, protocol=PixelProtocol(truth_dilation=3, ignore_policy="negative"))
    # ignored pixels are forced to truth = False and still scored
    assert negative.labels.size == 25 and negative.labels.sum() == 8
    assert negative.n_ignored == excluded.n_ignored == 2


def test_ignored_pixels_take_part_in_output_dilation():
    truth = np.zeros((3, 3), bool)
    ignore = np.zeros((3, 3), bool)
    ignore[1, 1] = True
    scores = np.zeros((3, 3), np.float32)
    scores[1, 1] = 0.9
    prepared = prepare_pixels(truth, ignore, scores, protocol=PixelProtocol(truth_dilation=1, dilate_output=True))
    assert np.all(prepared.scores == np.float32(0.9))


@pytest.mark.parametrize("bad", [np.nan, -0.5, 1.5, np.inf])
def test_bad_scores_name_the_image_and_range(bad):
    scores = np.full((4, 4), 0.5, np.float32)
    scores[1, 2] = bad
    for dtype in (np.float32, np.float64):
        with pytest.raises(InputError, match=r"image 'frame-7'.*\[0, 1\]"):
            PositiveScores.from_image(np.zeros((4, 4), bool), None, scores.astype(dtype), sample_id="frame-7")


def test_range_in_message():
    scores = np.full((2, 2), 0.5, np.float32)
    scores[0, 0] = 3.0
    with pytest.raises(InputError, match=r"range found: \[0.5, 3.0\]"):
        validate_scores(scores, sample_id="x")


def test_negative_zero_is_accepted_as_zero():
    scores = np.array([[-0.0, 0.5]], np.float32)
    fixed = validate_scores(scores, sample_id="x")
    assert not np.signbit(fixed).any()


def test_shape_mismatch_names_the_image():
    truth = np.zeros((4, 4), bool)
    grid = PositiveScores.empty().grid()
    with pytest.raises(ShapeMismatchError, match="'img-3'"):
        PositiveScores.from_image(truth, None, np.zeros((4, 5), np.float32), sample_id="img-3")
    with pytest.raises(ShapeMismatchError, match="'img-3'.*ignore"):
        ThresholdCounts.from_image(truth, np.zeros((3, 4), bool), np.zeros((4, 4), np.float32), grid=grid,
                                   sample_id="img-3")
    with pytest.raises(ShapeMismatchError, match="'img-3'"):
        SweepCounts.from_image(truth, None, np.zeros((2, 4, 3), bool), values=[1, 2], sample_id="img-3")


def test_non_2d_inputs_are_input_errors():
    with pytest.raises(InputError, match="2-D"):
        PositiveScores.from_image(np.zeros(4, bool), None, np.zeros(4, np.float32), sample_id="flat")
    with pytest.raises(InputError, match="2-D"):
        PositiveScores.from_image(np.zeros((2, 2), bool), None, np.zeros((1, 2, 2), np.float32), sample_id="cube")


def test_mask_detectors_must_return_booleans():
    assert validate_masks(np.array([[0, 1]], np.uint8), sample_id="m").dtype == bool
    with pytest.raises(InputError, match="booleans"):
        validate_masks(np.array([[0.0, 0.5]]), sample_id="m")
    with pytest.raises(InputError, match="'m'.*booleans"):
        SweepCounts.from_image(np.zeros((1, 2), bool), None, np.array([[[0, 2]]]), values=[1.0], sample_id="m")


def test_bad_options():
    truth = np.zeros((2, 2), bool)
    for kwargs in ({"truth_dilation": 2}, {"truth_dilation": 0}, {"ignore_policy": "drop"}):
        with pytest.raises(InputError):
            prepare_pixels(truth, None, np.zeros((2, 2), np.float32), protocol=PixelProtocol(**kwargs))
    with pytest.raises(InputError, match="thresholds"):
        PositiveScores.empty().grid(extra_thresholds=(1.5,))
