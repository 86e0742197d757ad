"""Loss functions for cosmic-ray segmentation.

Every loss takes probabilities ``pred`` in (0, 1), a 0/1 ``target``, a 0/1
``valid`` mask (pixels outside it contribute nothing) and, for the
median-weighted loss, a weight map and the current floor ``alpha``; all
tensors have shape ``(batch, 1, ny, nx)``. Means are over valid pixels.

- ``bce``: binary cross-entropy (deepCR; the attention paper).
- ``median_bce``: Cosmic-CoNN's median-weighted BCE: the non-CR term of each
  pixel is weighted by ``max(alpha, w)`` with ``w`` from the CR-free image
  (:func:`crbench.training.data.median_weight_base`), so that false
  positives on stars cost more early in training; ``alpha`` ramps from 0 to
  1, after which the loss is plain BCE.
- ``dice_bce``: ``(1 - soft Dice + BCE) / 2`` (the DECam TransUNet study).

Soft Dice convention: ``2 * sum(p * t) / (sum(p) + sum(t))`` over the valid
pixels of the whole batch, with no smoothing term. A batch without CR pixels
therefore has Dice 0 for any prediction and contributes no Dice gradient,
only BCE. The common smoothed form ``(2I + 1) / (P + T + 1)`` is *not* used:
it scores an all-zero prediction as a perfect 1 on such batches and pushes
every score towards 0 there, which with small batches of sparse CR masks made
training collapse to the empty mask (seen on ``sim_decam``).
"""

import torch

__all__ = ["LOSSES", "bce_loss", "median_bce_loss", "dice_bce_loss", "soft_dice", "dice_sums", "dice_from_sums",
           "compute_loss"]

_EPS = 1e-7


def _log_terms(pred, target):
    pred = pred.clamp(_EPS, 1 - _EPS)
    return target * torch.log(pred), (1 - target) * torch.log(1 - pred)


def _valid_mean(values, valid):
    return (values * valid).sum() / valid.sum().clamp_min(1.0)


def bce_loss(pred, target, valid):
    """Binary cross-entropy averaged over valid pixels."""
    positive, negative = _log_terms(pred, target)
    return -_valid_mean(positive + negative, valid)


def median_bce_loss(pred, target, valid, weight_base, alpha):
    """Median-weighted BCE with non-CR weights ``max(alpha, weight_base)``."""
    positive, negative = _log_terms(pred, target)
    if alpha < 1.0:
        negative = negative * weight_base.clamp(min=float(alpha), max=1.0)
    return -_valid_mean(positive + negative, valid)


def dice_sums(pred, target, valid):
    """Return ``(sum(p * t), sum(p) + sum(t))`` over valid pixels.

    Sums rather than the ratio so that Dice over a whole validation set can be
    accumulated batch by batch.
    """
    pred, target = pred * valid, target * valid
    return (pred * target).sum(), pred.sum() + target.sum()


def dice_from_sums(intersection, total):
    """Dice ``2 I / (P + T)``; 0 when both sums are 0 (nothing to find, nothing flagged)."""
    return 2 * torch.as_tensor(intersection) / torch.as_tensor(total).clamp_min(_EPS)


def soft_dice(pred, target, valid):
    """Soft Dice coefficient over the valid pixels of the whole batch (no smoothing)."""
    return dice_from_sums(*dice_sums(pred, target, valid))


def dice_bce_loss(pred, target, valid):
    """``(1 - soft Dice + BCE) / 2``."""
    return (1 - soft_dice(pred, target, valid) + bce_loss(pred, target, valid)) / 2


LOSSES = ("bce", "median_bce", "dice_bce")


def compute_loss(name, pred, target, valid, weight_base=None, alpha=1.0):
    """Dispatch to the loss called ``name`` (one of :data:`LOSSES`)."""
    if name == "bce":
        return bce_loss(pred, target, valid)
    if name == "median_bce":
        if weight_base is None:
            raise ValueError("median_bce needs a weight map")
        return median_bce_loss(pred, target, valid, weight_base, alpha)
    if name == "dice_bce":
        return dice_bce_loss(pred, target, valid)
    raise ValueError(f"unknown loss {name!r}; expected one of {LOSSES}")
