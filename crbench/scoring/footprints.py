"""Pixel rules outside the fast counters: the 3x3 cross footprint and score-0 ignored pixels.

The counters of :mod:`crbench.scoring.counts` implement square dilations and
the ``"exclude"`` / ``"negative"`` ignore policies directly. The papers'
own evaluation code differs in two ways (see :mod:`crbench.scoring.presets`):

- deepCR's ``evaluate`` module dilates with ``skimage.morphology.disk(1)``,
  the 3x3 **cross** (the pixel and its 4 edge neighbours), not a square;
- Cosmic-CoNN's and deepCR's code multiply the prediction by ``1 - ignore``
  before anything else, so ignored pixels are scored as negatives with
  **score 0** (``ignore_policy="zero"``), and any later output dilation
  spreads their neighbours' scores into them.

:func:`apply_upstream_rules` rewrites one image's arrays so that the plain
protocol it returns (no dilation, ignored pixels kept as negatives) scores
exactly the pixels, labels and scores of the requested protocol. It is
called by :func:`~crbench.scoring.prepare_image` and
:func:`~crbench.scoring.prepare_pixels` only for protocols with
``is_square_rule`` False; the default protocols never reach it.
"""

import numpy as np

from ..errors import InputError
from .pixels import dilate_mask, dilate_scores
from .protocol import OUTPUT_DILATION, PixelProtocol

__all__ = ["cross_dilate", "dilate_with", "apply_upstream_rules"]


def cross_dilate(array):
    """Grey (or binary) dilation with the 3x3 cross, pixels outside the image ignored.

    Equals ``skimage.morphology.dilation(array, skimage.morphology.disk(1))``
    for bool and for non-negative float maps (tested).

    Parameters
    ----------
    array : ndarray, shape (ny, nx)
        Bool mask or score map.

    Returns
    -------
    ndarray of the same dtype
    """
    array = np.asarray(array)
    out = array.copy()
    np.maximum(out[1:], array[:-1], out=out[1:])
    np.maximum(out[:-1], array[1:], out=out[:-1])
    np.maximum(out[:, 1:], array[:, :-1], out=out[:, 1:])
    np.maximum(out[:, :-1], array[:, 1:], out=out[:, :-1])
    return out


def dilate_with(array, *, size, footprint):
    """Dilate a mask or score map with a square of side ``size`` or the 3x3 cross.

    Parameters
    ----------
    array : ndarray, shape (ny, nx)
    size : int
        Odd side (1 = a copy).
    footprint : {"square", "cross"}

    Returns
    -------
    ndarray of the same dtype
    """
    if size == 1:
        return np.array(array, copy=True)
    if footprint == "cross":
        if size != 3:
            raise InputError(f"the cross footprint has side 3, got {size}")
        return cross_dilate(array)
    if np.asarray(array).dtype == bool:
        return dilate_mask(array, size=size)
    return dilate_scores(array, size=size)


def apply_upstream_rules(truth, ignore, prediction, *, protocol):
    """Rewrite one image's arrays so a plain protocol scores them as ``protocol`` would.

    Parameters
    ----------
    truth : ndarray of bool, shape (ny, nx)
        Truth as stored (undilated).
    ignore : ndarray of bool, shape (ny, nx), or None
    prediction : ndarray
        Validated score map (ny, nx) or bool mask stack (n_values, ny, nx),
        before output dilation.
    protocol : PixelProtocol

    Returns
    -------
    truth, ignore, prediction, plain : tuple
        ``truth`` dilated with the protocol's footprint, ``prediction`` with
        ignored pixels set to 0 (``"zero"``) and then output-dilated, and
        the :class:`PixelProtocol` that scores them: no dilation, ignored
        pixels excluded (``"exclude"``) or scored as negatives (otherwise).
    """
    footprint = protocol.footprint
    truth = dilate_with(truth, size=protocol.truth_dilation, footprint=footprint)
    prediction = np.array(prediction, copy=True)
    if protocol.ignore_policy == "zero" and ignore is not None:
        prediction[..., ignore] = 0
    if protocol.dilate_output:
        if prediction.ndim == 3:
            prediction = np.stack([dilate_with(mask, size=OUTPUT_DILATION, footprint=footprint)
                                   for mask in prediction]) if len(prediction) else prediction
        else:
            prediction = dilate_with(prediction, size=OUTPUT_DILATION, footprint=footprint)
    plain = PixelProtocol(truth_dilation=1, dilate_output=False,
                          ignore_policy="exclude" if protocol.excludes_ignored else "negative")
    return truth, ignore, prediction, plain
