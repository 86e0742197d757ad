"""Loss functions, checked against torch's reference implementations."""

import pytest
import torch
import torch.nn.functional as F

from crbench.training.losses import (
    bce_loss,
    compute_loss,
    dice_bce_loss,
    dice_from_sums,
    dice_sums,
    median_bce_loss,
    soft_dice,
)


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
    assert float(soft_dice(target, target, valid)) == pytest.approx(1.0)


def test_soft_dice_matches_hard_dice_on_binary_predictions():
    pred, target, valid, _ = random_batch(4)
    flagged = (pred > 0.5) & valid.bool()
    truth = target.bool() & valid.bool()
    expected = 2 * (flagged & truth).sum() / (flagged.sum() + truth.sum())
    assert float(soft_dice(flagged.float(), target, valid)) == pytest.approx(float(expected))


def test_dice_is_not_rewarded_on_batches_without_cr_pixels():
    # Regression: the smoothed (2I + 1) / (P + T + 1) form gave an all-zero
    # prediction Dice 1 here and pushed all scores to 0, collapsing training.
    pred = torch.full((2, 1, 8, 8), 0.3, requires_grad=True)
    target = torch.zeros(2, 1, 8, 8)
    valid = torch.ones(2, 1, 8, 8)
    assert float(soft_dice(torch.zeros_like(target), target, valid)) == 0.0
    dice_bce_loss(pred, target, valid).backward()
    dice_bce_gradient = pred.grad.clone()
    pred.grad = None
    (bce_loss(pred, target, valid) / 2).backward()
    torch.testing.assert_close(dice_bce_gradient, pred.grad)


def test_dice_sums_accumulate_to_whole_set_dice():
    pred, target, valid, _ = random_batch(5)
    parts = [dice_sums(pred[i : i + 1], target[i : i + 1], valid[i : i + 1]) for i in range(2)]
    accumulated = dice_from_sums(sum(p[0] for p in parts), sum(p[1] for p in parts))
    assert float(accumulated) == pytest.approx(float(soft_dice(pred, target, valid)))


def test_dispatch():
    pred, target, valid, weight = random_batch()
    assert float(compute_loss("bce", pred, target, valid)) == float(bce_loss(pred, target, valid))
    with pytest.raises(ValueError, match="weight map"):
        compute_loss("median_bce", pred, target, valid)
    with pytest.raises(ValueError, match="unknown loss"):
        compute_loss("focal", pred, target, valid)
