import numpy as np
import pytest

from crbench.scoring import PixelProtocol, dilate_scores, prepare_image, prepare_pixels
from crbench.scoring import prepare as prepare_module
from crbench.scoring.pixels import scored_positive_mask


def _image(seed=0, shape=(30, 41)):
    rng = np.random.default_rng(seed)
    truth = rng.random(shape) < 0.03
    ignore = rng.random(shape) < 0.1
    scores = rng.random(shape).astype(np.float32)
    return truth, ignore, scores


@pytest.mark.parametrize("truth_dilation", [1, 3, 5])
@pytest.mark.parametrize("ignore_policy", ["exclude", "negative"])
@pytest.mark.parametrize("dilate_output", [False, True])
def test_prepared_image_matches_the_materialised_reference(truth_dilation, ignore_policy, dilate_output):
    truth, ignore, scores = _image()
    protocol = PixelProtocol(truth_dilation=truth_dilation, dilate_output=dilate_output, ignore_policy=ignore_policy)
    image = prepare_image(truth, ignore, scores, protocol=protocol, sample_id="a")
    reference = prepare_pixels(truth, ignore, scores, protocol=protocol)
    positive = scored_positive_mask(truth, ignore, truth_dilation=truth_dilation)
    assert np.array_equal(image.positive_index, np.flatnonzero(positive))
    assert (image.n_pos, image.n_neg, image.n_ignored) == (
        int(reference.labels.sum()), int((~reference.labels).sum()), reference.n_ignored
    )
    expected_excluded = np.flatnonzero(ignore) if ignore_policy == "exclude" else np.empty(0, np.intp)
    assert np.array_equal(image.excluded_index, expected_excluded)
    assert np.array_equal(np.sort(image.output_values_at(image.positive_index)),
                          np.sort(reference.positive_scores))


@pytest.mark.parametrize("dense_fraction", [0.0, 1.0])
def test_dense_and_gathered_output_dilation_agree(monkeypatch, dense_fraction):
    monkeypatch.setattr(prepare_module, "DENSE_LOOKUP_FRACTION", dense_fraction)
    truth, ignore, scores = _image(1)
    image = prepare_image(truth, ignore, scores, protocol=PixelProtocol(dilate_output=True))
    assert (image.dense_output is not None) == (dense_fraction == 0.0)
    index = np.arange(0, scores.size, 7)
    assert np.array_equal(image.output_values_at(index), dilate_scores(scores).ravel()[index])
    assert np.array_equal(image.output_map(), dilate_scores(scores))


def test_masks_are_dilated_only_with_dilate_output():
    truth = np.zeros((5, 5), bool)
    masks = np.zeros((2, 5, 5), bool)
    masks[1, 2, 2] = True
    plain = prepare_image(truth, None, masks, protocol=PixelProtocol(), kind="mask")
    dilated = prepare_image(truth, None, masks, protocol=PixelProtocol(dilate_output=True), kind="mask")
    assert [int(m.sum()) for m in plain.output_masks()] == [0, 1]
    assert [int(m.sum()) for m in dilated.output_masks()] == [0, 9]


def test_unknown_kind_is_rejected():
    truth = np.zeros((2, 2), bool)
    with pytest.raises(ValueError, match="kind"):
        prepare_image(truth, None, truth, protocol=PixelProtocol(), kind="probability")
