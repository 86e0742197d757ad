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
- ``dice_bce``: ``(1 - soft Dice + BCE) / 2``.
"""

import torch

__all__ = ["LOSSES", "bce_loss", "median_bce_loss", "dice_bce_loss", "soft_dice", "compute_loss"]

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


def soft_dice(pred, target, valid):
    """Soft Dice coefficient over valid pixels of the whole batch."""
    pred, target = pred * valid, target * valid
    intersection = (pred * target).sum()
    return (2 * intersection + 1.0) / (pred.sum() + target.sum() + 1.0)


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
