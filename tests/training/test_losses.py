"""Loss functions, checked against torch's reference implementations."""

import pytest
import torch
import torch.nn.functional as F

from crbench.training.losses import bce_loss, compute_loss, dice_bce_loss, median_bce_loss, soft_dice


def random_batch(seed=0):
    generator = torch.Generator().manual_seed(seed)
    pred = torch.rand(2, 1, 8, 8, generator=generator).clamp(0.01, 0.99)
    target = (torch.rand(2, 1, 8, 8, generator=generator) > 0.8).float()
    valid = (torch.rand(2, 1, 8, 8, generator=generator) > 0.2).float()
    weight = torch.rand(2, 1, 8, 8, generator=generator)
    return pred, target, valid, weight


def test_bce_matches_torch_on_valid_pixels():
    pred, target, valid, _ = random_batch()
    keep = valid.bool()
    expected = F.binary_cross_entropy(pred[keep], target[keep])
    assert float(bce_loss(pred, target, valid)) == pytest.approx(float(expected), rel=1e-5)


def test_median_bce_reduces_to_bce_at_alpha_one():
    pred, target, valid, weight = random_batch(1)
    assert float(median_bce_loss(pred, target, valid, weight, 1.0)) == pytest.approx(float(bce_loss(pred, target, valid)))


def test_median_bce_weights_only_the_non_cr_term():
    pred, target, valid, weight = random_batch(2)
    keep = valid.bool()
    alpha = 0.3
    w = weight.clamp(min=alpha)
    expected = F.binary_cross_entropy(pred[keep], target[keep], weight=torch.where(target > 0, 1.0, w)[keep])
    assert float(median_bce_loss(pred, target, valid, weight, alpha)) == pytest.approx(float(expected), rel=1e-5)
    # weights <= 1 can only lower the loss
    assert float(median_bce_loss(pred, target, valid, weight, 0.0)) < float(bce_loss(pred, target, valid))


def test_dice_bce():
    pred, target, valid, _ = random_batch(3)
    expected = (1 - soft_dice(pred, target, valid) + bce_loss(pred, target, valid)) / 2
    assert float(dice_bce_loss(pred, target, valid)) == pytest.approx(float(expected))
    perfect = soft_dice(target, target, valid)
    assert float(perfect) == pytest.approx(1.0, abs=0.05)


def test_dispatch():
    pred, target, valid, weight = random_batch()
    assert float(compute_loss("bce", pred, target, valid)) == float(bce_loss(pred, target, valid))
    with pytest.raises(ValueError, match="weight map"):
        compute_loss("median_bce", pred, target, valid)
    with pytest.raises(ValueError, match="unknown loss"):
        compute_loss("focal", pred, target, valid)
