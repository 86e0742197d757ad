"""One image made ready for counting: the pixel protocol applied in one place.

:func:`prepare_image` checks one image's arrays, validates the detector
output, dilates the truth and applies the ignore policy; every counter
(:class:`~crbench.scoring.PositiveScores`, :class:`~crbench.scoring.ThresholdCounts`,
:class:`~crbench.scoring.SweepCounts`) starts from its result and never
re-reads the protocol's options. The rules are defined (and materialised
for tests) in :mod:`crbench.scoring.pixels`.
"""

import functools

import numpy as np

from .footprints import apply_upstream_rules
from .pixels import (
    check_shapes,
    dilate_mask,
    dilate_scores,
    dilated_values_at,
    scored_positive_index,
    validate_masks,
    validate_scores,
)
from .protocol import OUTPUT_DILATION, PixelProtocol

__all__ = ["PreparedImage", "prepare_image"]

#: Filter the whole map once (instead of gathering 3x3 windows) when more
#: than this fraction of the pixels is looked up individually.
DENSE_LOOKUP_FRACTION = 1 / 8

_NO_INDEX = np.empty(0, np.intp)
_NO_INDEX.flags.writeable = False


class PreparedImage:
    """One image under a :class:`PixelProtocol`, as the counters need it.

    Only index arrays of the positive and ignored pixels are built (cosmic
    rays and ignore masks cover a small part of an image); nothing of the
    image's size is copied unless output dilation needs a filtered map.

    Attributes
    ----------
    sample_id : str
    protocol : PixelProtocol
    prediction : ndarray
        The validated detector output before output dilation: a float32 or
        float64 score map (ny, nx), or a bool mask stack (n_values, ny, nx).
    n_pixels : int
        Pixels of the image.
    positive_index : ndarray of intp
        Sorted flat indices of the scored positives: dilated truth, not
        ignored (the same under both ignore policies).
    """

    def __init__(self, *, sample_id, protocol, prediction, ignore, positive_index):
        self.sample_id = sample_id
        self.protocol = protocol
        self.prediction = prediction
        self.n_pixels = int(np.prod(prediction.shape[-2:]))
        self.positive_index = positive_index
        self._ignore = ignore

    @functools.cached_property
    def ignored_index(self):
        """Sorted flat indices of the ignore-mask pixels."""
        return np.flatnonzero(self._ignore) if self._ignore is not None else _NO_INDEX

    @property
    def excluded_index(self):
        """Flat indices of the pixels left out of every count (ignored ones under ``"exclude"``)."""
        return self.ignored_index if self.protocol.excludes_ignored else _NO_INDEX

    @functools.cached_property
    def n_ignored(self):
        """Ignore-mask pixels (excluded, or counted among the negatives)."""
        return int(np.count_nonzero(self._ignore)) if self._ignore is not None else 0

    @property
    def n_pos(self):
        """Scored positive pixels."""
        return int(self.positive_index.size)

    @property
    def n_neg(self):
        """Scored negative pixels."""
        excluded = self.n_ignored if self.protocol.excludes_ignored else 0
        return self.n_pixels - excluded - self.n_pos

    @functools.cached_property
    def dense_output(self):
        """The output-dilated score map when many pixels are looked up, else None.

        With output dilation and more than ``DENSE_LOOKUP_FRACTION`` of the
        pixels positive or ignored, filtering the whole map once is cheaper
        than gathering a window per pixel; both give the same values.
        """
        if not self.protocol.dilate_output:
            return None
        if self.positive_index.size + self.n_ignored <= self.n_pixels * DENSE_LOOKUP_FRACTION:
            return None
        return dilate_scores(self.prediction, size=OUTPUT_DILATION)

    def output_map(self):
        """The whole score map after output dilation (the map itself without it)."""
        if not self.protocol.dilate_output:
            return self.prediction
        if self.dense_output is not None:
            return self.dense_output
        return dilate_scores(self.prediction, size=OUTPUT_DILATION)

    def output_values_at(self, index):
        """Scores after output dilation at some flat pixel indices."""
        if not self.protocol.dilate_output:
            return self.prediction.reshape(-1)[index]
        if self.dense_output is not None:
            return self.dense_output.reshape(-1)[index]
        return dilated_values_at(self.prediction, index, size=OUTPUT_DILATION)

    def output_masks(self):
        """Yield each mask of the stack after output dilation."""
        for mask in self.prediction:
            yield dilate_mask(mask, size=OUTPUT_DILATION) if self.protocol.dilate_output else mask


def prepare_image(truth, ignore, prediction, *, protocol, kind="score", sample_id="?"):
    """Check one image's arrays and apply the pixel protocol's truth and ignore rules.

    Parameters
    ----------
    truth : ndarray of bool, shape (ny, nx)
        Truth as stored (undilated); 0/1 integers are accepted.
    ignore : ndarray of bool, shape (ny, nx), or None
        True = ignored; None = nothing ignored.
    prediction : ndarray
        Score map (ny, nx) in [0, 1] for ``kind="score"``; mask stack
        (n_values, ny, nx) for ``kind="mask"``.
    protocol : PixelProtocol
    kind : {"score", "mask"}
    sample_id : str
        Image id used in error messages.

    Returns
    -------
    PreparedImage

    Raises
    ------
    InputError
        Arrays of the wrong dimensions, non-boolean masks, or scores that
        are NaN or outside [0, 1].
    ShapeMismatchError
        Truth, ignore and prediction disagree on the image shape.
    """
    if not isinstance(protocol, PixelProtocol):
        raise TypeError(f"protocol must be a PixelProtocol, got {type(protocol).__name__}")
    if kind == "score":
        truth, ignore, prediction = check_shapes(truth, ignore, prediction, sample_id=sample_id)
        prediction = validate_scores(prediction, sample_id=sample_id)
    elif kind == "mask":
        truth, ignore, prediction = check_shapes(truth, ignore, prediction, sample_id=sample_id, prediction_ndim=3)
        prediction = validate_masks(prediction, sample_id=sample_id)
    else:
        raise ValueError(f"kind must be 'score' or 'mask', got {kind!r}")
    if not protocol.is_square_rule:
        # cross footprints and score-0 ignored pixels: rewrite the arrays, then count them plainly
        truth, ignore, prediction, protocol = apply_upstream_rules(truth, ignore, prediction, protocol=protocol)
    positive_index = scored_positive_index(truth, ignore, truth_dilation=protocol.truth_dilation)
    return PreparedImage(
        sample_id=sample_id, protocol=protocol, prediction=prediction, ignore=ignore, positive_index=positive_index
    )
