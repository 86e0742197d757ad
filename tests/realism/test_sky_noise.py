import numpy as np
import pytest
from scipy import ndimage

from crbench.realism.sky_noise import (
    expected_sky_sigma,
    measure_noise_correlation,
    robust_sigma,
    sky_level_from_sigma,
)

SHAPE = (256, 256)


def _white(sigma, seed):
    return np.random.default_rng(seed).normal(0.0, sigma, SHAPE)


def test_robust_sigma_of_white_noise_and_masked_outliers():
    image = _white(3.0, 1)
    assert robust_sigma(image) == pytest.approx(3.0, rel=0.015)
    image[::7, ::5] = 1e4  # sources the mask removes
    assert robust_sigma(image, mask=image > 1e3) == pytest.approx(3.0, rel=0.015)


def test_expected_sky_sigma_and_its_inverse():
    assert expected_sky_sigma(4000.0, gain=4.0, read_noise=10.0) == pytest.approx(np.sqrt(16100.0) / 4.0)
    sigma = expected_sky_sigma(3500.0, gain=3.98, read_noise=11.8)
    assert sky_level_from_sigma(sigma, gain=3.98, read_noise=11.8) == pytest.approx(3500.0)


def test_white_noise_is_uncorrelated():
    noise = measure_noise_correlation(_white(5.0, 2), block_sizes=(2, 4))
    assert noise.pixel_sigma == pytest.approx(5.0, rel=0.02)
    assert abs(noise.lag1_x) < 0.02 and abs(noise.lag1_y) < 0.02
    for k in (2, 4):
        assert noise.block_variance_ratio(k) == pytest.approx(1.0, abs=0.06)


def test_known_kernel_gives_known_correlation_and_block_noise():
    # c[y, x] = (n[y, x] + n[y, x - 1]) / 2: pixel variance sigma^2 / 2, lag-1 x correlation 1/2,
    # k x k block sums have variance k (k - 1/2) sigma^2, so block_sigma = sigma sqrt(1 - 1/(2k))
    sigma = 4.0
    base = _white(sigma, 3)
    image = 0.5 * (base + np.roll(base, 1, axis=1))
    noise = measure_noise_correlation(image, block_sizes=(2, 4))
    assert noise.pixel_sigma == pytest.approx(sigma * np.sqrt(0.5), rel=0.02)
    assert noise.lag1_x == pytest.approx(0.5, abs=0.02)
    assert abs(noise.lag1_y) < 0.02
    assert noise.block_sigma[2] == pytest.approx(sigma * np.sqrt(0.75), rel=0.03)
    assert noise.block_sigma[4] == pytest.approx(sigma * np.sqrt(0.875), rel=0.04)


def test_block_sigma_predicts_aperture_noise_of_resampled_like_noise():
    # a flux-conserving smoothing (kernel sums to 1) lowers the pixel scatter but not the noise of sums
    sigma = 10.0
    image = ndimage.convolve(_white(sigma, 4), np.outer([0.25, 0.5, 0.25], [0.25, 0.5, 0.25]), mode="wrap")
    noise = measure_noise_correlation(image, block_sizes=(4, 8))
    assert noise.pixel_sigma < 0.5 * sigma
    assert noise.block_sigma[8] == pytest.approx(sigma, rel=0.12)
    # sums over 5 x 5 boxes at random places: their scatter follows block_sigma, not pixel_sigma
    rng = np.random.default_rng(5)
    ys, xs = rng.integers(3, 250, 2000), rng.integers(3, 250, 2000)
    sums = np.array([image[y - 2: y + 3, x - 2: x + 3].sum() for y, x in zip(ys, xs)])
    assert sums.std() == pytest.approx(5 * noise.block_sigma[4], rel=0.15)
    assert sums.std() > 1.5 * 5 * noise.pixel_sigma


def test_masked_blocks_are_left_out_and_full_mask_raises():
    image = _white(2.0, 6)
    mask = np.zeros(SHAPE, dtype=bool)
    mask[:128] = True
    image[:128] = 1e6
    noise = measure_noise_correlation(image, mask=mask, block_sizes=(4,))
    assert noise.n_blocks[4] == 64 * 32
    assert noise.block_sigma[4] == pytest.approx(2.0, rel=0.06)
    with pytest.raises(ValueError, match="every pixel is masked"):
        measure_noise_correlation(image, mask=np.ones(SHAPE, dtype=bool))
