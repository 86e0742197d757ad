"""Training stamps from crbench data sets."""

import numpy as np
import pytest

from crbench.datasets.tiny import TinyDataset
from crbench.training.data import RandomStampSet, grid_stamps, median_weight_base, prepare_split


@pytest.fixture(scope="module")
def tiny_train():
    return prepare_split(TinyDataset(), "train")


def test_prepare_split_units_and_dilation(tiny_train):
    dataset = TinyDataset()
    sample = dataset.load_sample("train", "train-00")
    prepared = tiny_train[0]
    # tiny is in electrons with gain 1 and sky 200: ADU = electrons, sky removed
    np.testing.assert_allclose(prepared.image, sample.image - 200.0, atol=1e-3)
    assert prepared.sky == pytest.approx(200.0)
    assert prepared.target.sum() >= sample.truth.sum()  # 3x3-dilated truth
    assert np.array_equal(prepared.valid, ~sample.ignore)


def test_random_stamps_are_reproducible_and_augmented(tiny_train):
    stamps = RandomStampSet(tiny_train, stamp=32, n_stamps=8, seed=4)
    first = stamps[3]
    again = stamps[3]
    for a, b in zip(first, again):
        assert np.array_equal(a.numpy(), b.numpy())
    assert first[0].shape == (1, 32, 32)
    stamps.set_epoch(1)
    assert not np.array_equal(stamps[3][0].numpy(), first[0].numpy())
    no_aug = RandomStampSet(tiny_train, stamp=32, n_stamps=64, seed=4, sky_range=(0, 0), augment=False)
    aug = RandomStampSet(tiny_train, stamp=32, n_stamps=64, seed=4)
    # sky augmentation shifts the background by -0.9 .. 3 x 200
    medians = [float(np.median(aug[i][0].numpy())) for i in range(64)]
    assert min(medians) < -50 and max(medians) > 150
    assert all(abs(float(np.median(no_aug[i][0].numpy()))) < 20 for i in range(8))


def test_small_images_are_padded_with_invalid_pixels(tiny_train):
    stamps = RandomStampSet(tiny_train, stamp=160, n_stamps=2, seed=0)
    image, target, valid, weight = stamps[0]
    assert image.shape == (1, 160, 160)
    assert 0 < float(valid.mean()) < 1


def test_grid_stamps_cover_the_split(tiny_train):
    images, targets, valids, weights = grid_stamps(tiny_train[:1], stamp=64)
    ny, nx = tiny_train[0].image.shape
    assert images.shape[1:] == (1, 64, 64)
    assert len(images) == (1 + (ny > 64)) * (1 + (nx > 64))


def test_median_weight_base():
    flat = np.random.default_rng(0).normal(0, 1, (32, 32))
    assert float(median_weight_base(flat).max()) <= 1.0
    star = flat.copy()
    star[14:18, 14:18] += 100.0
    weights = median_weight_base(star)
    assert float(weights.max()) == pytest.approx(1.0)
    assert weights[16, 16] > 0.9 and weights[2, 2] < 0.1
