"""predict_tiled with a (rows, cols) stamp: every pixel predicted once from a stamp centre."""

import numpy as np
import pytest

from crbench.tiling import predict_tiled


@pytest.mark.parametrize(("shape", "stamp"), [((100, 250), (64, 96)), ((64, 300), (64, 128)), ((37, 41), (48, 80))])
def test_rectangular_stamps_reproduce_a_pointwise_function(shape, stamp):
    rng = np.random.default_rng(0)
    image = rng.normal(size=shape).astype(np.float32)
    seen = []

    def predict(block):
        seen.append(block.shape)
        return np.tanh(block)

    result = predict_tiled(image, predict, stamp=stamp, margin=8, multiple=16)
    np.testing.assert_allclose(result, np.tanh(image), rtol=1e-6)
    padded = [-(-side // 16) * 16 for side in shape]
    assert all(block == (min(stamp[0], padded[0]), min(stamp[1], padded[1])) for block in seen)


def test_square_stamp_still_accepted():
    image = np.arange(50 * 70, dtype=np.float32).reshape(50, 70)
    np.testing.assert_array_equal(predict_tiled(image, lambda block: block * 2, stamp=32, margin=4), image * 2)
