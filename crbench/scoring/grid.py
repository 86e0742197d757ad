"""Pass 1 of exact scoring: positive scores and the global threshold grid.

Every threshold at which the true-positive count changes is the score of a
positive pixel. :class:`PositiveScores` collects those scores (sorted unique
values with multiplicities) image by image; its memory grows with the number
of cosmic-ray pixels, not with the number of pixels. The union over all
images, plus the operating threshold(s), is the :class:`ThresholdGrid` on
which pass 2 counts the negatives.

The grid also owns the fast, exact "which cell is this score in" lookup used
by pass 2 (:meth:`ThresholdGrid.binner`).
"""

import numpy as np

from ..errors import InputError
from .pixels import (
    KEY_ONE,
    _check_options,
    check_shapes,
    dilated_values_at,
    scored_positive_mask,
    validate_scores,
)

__all__ = ["PositiveScores", "ThresholdGrid"]


def _unique_with_counts(values, counts=None):
    """Sorted unique values and summed multiplicities (``counts`` default 1)."""
    values = np.asarray(values, dtype=np.float64) + 0.0  # + 0.0 turns -0.0 into +0.0
    if values.size == 0:
        return np.empty(0, np.float64), np.empty(0, np.int64)
    order = np.argsort(values, kind="stable")
    values = values[order]
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    if counts is None:
        summed = np.diff(np.r_[starts, values.size]).astype(np.int64)
    else:
        summed = np.add.reduceat(np.asarray(counts, dtype=np.int64)[order], starts)
    return values[starts], summed


class PositiveScores:
    """Scores of positive pixels: the mergeable pass-1 state.

    Attributes
    ----------
    values : ndarray of float64
        Sorted unique scores of scored positive pixels (after output dilation).
    counts : ndarray of int64
        How many positive pixels have each score.
    """

    def __init__(self, values=(), counts=()):
        values = np.asarray(values, dtype=np.float64)
        counts = np.asarray(counts, dtype=np.int64)
        if values.shape != counts.shape or values.ndim != 1:
            raise InputError("PositiveScores needs 1-D values and counts of equal length")
        if values.size and (np.any(np.diff(values) <= 0) or np.any(counts <= 0)):
            values, counts = _unique_with_counts(values, counts)
        self.values = values
        self.counts = counts

    @classmethod
    def empty(cls):
        """Return the state of no image (the neutral element of :meth:`merge`)."""
        return cls()

    @classmethod
    def from_image(
        cls,
        truth,
        ignore,
        scores,
        *,
        truth_dilation=3,
        dilate_output=False,
        ignore_policy="exclude",
        sample_id="?",
    ):
        """Collect the scores of one image's scored positive pixels.

        Parameters
        ----------
        truth : ndarray of bool, shape (ny, nx)
            Truth as stored (dilated here by ``truth_dilation``).
        ignore : ndarray of bool, shape (ny, nx), or None
            True = ignored.
        scores : ndarray of float, shape (ny, nx)
            Score map in [0, 1], before output dilation.
        truth_dilation, dilate_output, ignore_policy, sample_id
            See :func:`crbench.scoring.prepare_pixels`.

        Returns
        -------
        PositiveScores
        """
        _check_options(truth_dilation=truth_dilation, ignore_policy=ignore_policy)
        truth, ignore, scores = check_shapes(truth, ignore, scores, sample_id=sample_id)
        scores = validate_scores(scores, sample_id=sample_id)
        index = np.flatnonzero(scored_positive_mask(truth, ignore, truth_dilation=truth_dilation))
        if dilate_output:
            values = dilated_values_at(scores, index, size=3)
        else:
            values = scores.reshape(-1)[index]
        return cls(*_unique_with_counts(values))

    def merge(self, other):
        """Return the union of two states (multiplicities add)."""
        return PositiveScores.sum([self, other])

    __add__ = merge

    @staticmethod
    def sum(states):
        """Merge many states at once (one sort instead of one per pair)."""
        states = list(states)
        if not states:
            return PositiveScores()
        values = np.concatenate([state.values for state in states])
        counts = np.concatenate([state.counts for state in states])
        return PositiveScores(*_unique_with_counts(values, counts))

    @property
    def n_pos(self):
        """Total number of positive pixels."""
        return int(self.counts.sum())

    def grid(self, extra_thresholds=(0.5,)):
        """Return the threshold grid: these scores plus ``extra_thresholds``.

        Parameters
        ----------
        extra_thresholds : sequence of float
            Operating thresholds in [0, 1] at which exact counts are needed
            (F1, IoU, FDR, precision and recall at the operating point).

        Returns
        -------
        ThresholdGrid
        """
        return ThresholdGrid(np.union1d(self.values, _check_thresholds(extra_thresholds)),
                             operating_thresholds=extra_thresholds)

    def to_dict(self):
        """Return a JSON-ready dict (exact: floats round-trip through ``repr``)."""
        return {"values": self.values.tolist(), "counts": [int(c) for c in self.counts]}

    @classmethod
    def from_dict(cls, data):
        """Inverse of :meth:`to_dict`."""
        return cls(data["values"], data["counts"])

    def __eq__(self, other):
        return (
            isinstance(other, PositiveScores)
            and np.array_equal(self.values, other.values)
            and np.array_equal(self.counts, other.counts)
        )

    def __repr__(self):
        return f"PositiveScores(n_values={self.values.size}, n_pos={self.n_pos})"


def _check_thresholds(thresholds):
    thresholds = np.atleast_1d(np.asarray(thresholds, dtype=np.float64))
    if thresholds.ndim != 1 or not np.all(np.isfinite(thresholds)):
        raise InputError(f"thresholds must be finite numbers, got {thresholds.tolist()}")
    if np.any((thresholds < 0) | (thresholds > 1)):
        raise InputError(f"score thresholds must be in [0, 1], got {thresholds.tolist()}")
    return thresholds + 0.0


class ThresholdGrid:
    """The global threshold grid shared by every image's pass-2 counts.

    Pass 2 sorts each negative score into one of ``2 * m + 1`` *cells* of the
    grid ``G[0] < ... < G[m-1]``::

        cell 0          : s < G[0]                (``n_neg_between[0]``)
        cell 2k + 1     : s == G[k]               (``n_neg_equal[k]``)
        cell 2k + 2     : G[k] < s < G[k+1]       (``n_neg_between[k+1]``)
        cell 2m         : s > G[m-1]              (``n_neg_between[m]``)

    Comparisons are between real numbers: a float32 score is compared with
    the float64 grid value exactly (no rounding of the grid to float32).

    Attributes
    ----------
    values : ndarray of float64
        Sorted unique thresholds (ascending), all in [0, 1].
    operating_thresholds : tuple of float
        Thresholds added on purpose; per-image TP/FP/FN/TN are reported at
        each of them.
    """

    def __init__(self, values, *, operating_thresholds=()):
        values = _check_thresholds(values) if np.size(values) else np.empty(0, np.float64)
        if values.size > 1 and np.any(np.diff(values) <= 0):
            values = np.unique(values)
        self.values = values
        self.operating_thresholds = tuple(float(t) for t in _check_thresholds(operating_thresholds)) \
            if np.size(operating_thresholds) else ()
        missing = [t for t in self.operating_thresholds if t not in set(values.tolist())]
        if missing:
            raise InputError(f"operating thresholds {missing} are not on the grid")
        self._binners = {}

    @property
    def n_cells(self):
        """Number of cells (``2 * len(values) + 1``)."""
        return 2 * self.values.size + 1

    def binner(self, dtype):
        """Return the cached cell lookup for score maps of ``dtype``."""
        key = np.dtype(dtype)
        if key not in self._binners:
            self._binners[key] = _Float32Binner(self.values) if key == np.float32 else _SearchBinner(self.values)
        return self._binners[key]

    def index_of(self, threshold):
        """Return the grid index of ``threshold``; raise InputError if absent."""
        index = int(np.searchsorted(self.values, threshold))
        if index >= self.values.size or self.values[index] != threshold:
            raise InputError(
                f"threshold {threshold!r} is not on the threshold grid; add it to extra_thresholds "
                "when building the grid so that counts at it are exact"
            )
        return index

    def __eq__(self, other):
        return (
            isinstance(other, ThresholdGrid)
            and np.array_equal(self.values, other.values)
            and self.operating_thresholds == other.operating_thresholds
        )

    def __hash__(self):
        return hash((self.values.tobytes(), self.operating_thresholds))

    def to_dict(self):
        """Return a JSON-ready dict."""
        return {"values": self.values.tolist(), "operating_thresholds": list(self.operating_thresholds)}

    @classmethod
    def from_dict(cls, data):
        """Inverse of :meth:`to_dict`."""
        return cls(np.asarray(data["values"], dtype=np.float64), operating_thresholds=data["operating_thresholds"])

    def __repr__(self):
        return f"ThresholdGrid(n_values={self.values.size}, operating_thresholds={self.operating_thresholds})"


class _SearchBinner:
    """Cell lookup by binary search; any float dtype (used for float64 maps)."""

    def __init__(self, grid_values):
        cuts = np.empty(2 * grid_values.size, np.float64)
        cuts[0::2] = grid_values
        # nextafter(G, inf) is the smallest float64 above G: "s >= it" <=> "s > G"
        cuts[1::2] = np.nextafter(grid_values, np.inf)
        self.cuts = cuts

    def cells(self, values):
        return np.searchsorted(self.cuts, values, side="right")


class _Float32Binner:
    """Exact cell lookup for float32 scores through their integer bit patterns.

    For non-negative float32 the uint32 view ("key") is monotone, so cells are
    defined by sorted integer cut keys: ``s >= G[k]`` iff ``key(s) >=
    key(ceil32(G[k]))`` where ``ceil32`` rounds up to float32, and ``s > G[k]``
    iff ``key(s) >=`` the key of the smallest float32 above ``G[k]``.

    A lookup table on the top bits of the key (``key >> SHIFT``) gives the cell
    of every bucket that contains no cut strictly inside it; the few pixels in
    the other buckets are resolved with ``np.searchsorted``. Pixels therefore
    cost one shift, one gather and one ``bincount`` each.
    """

    SHIFT = 9  # 2**9 float32 values per bucket; table of ~2M entries for [0, 1]

    def __init__(self, grid_values):
        ceil = grid_values.astype(np.float32)
        low = ceil.astype(np.float64) < grid_values
        ceil[low] = np.nextafter(ceil[low], np.float32(np.inf))
        exact = ceil.astype(np.float64) == grid_values
        key = ceil.view(np.uint32)
        cuts = np.empty(2 * grid_values.size, np.uint32)
        cuts[0::2] = key
        cuts[1::2] = key + exact.astype(np.uint32)  # smallest float32 above G
        self.cuts = cuts
        self.n_cells = cuts.size + 1
        self.sentinel = self.n_cells  # marks buckets that need a binary search
        n_buckets = (KEY_ONE >> self.SHIFT) + 1
        start = np.arange(n_buckets, dtype=np.uint32) << np.uint32(self.SHIFT)
        last = np.minimum(start + np.uint32((1 << self.SHIFT) - 1), np.uint32(KEY_ONE))
        lut = np.searchsorted(cuts, start, side="right").astype(np.intp)
        ambiguous = np.searchsorted(cuts, last, side="right") != lut
        lut[ambiguous] = self.sentinel
        self.lut = lut

    def cells(self, keys):
        """Cells of 1-D uint32 keys (all ``<= KEY_ONE``)."""
        cells = self.lut[keys >> np.uint32(self.SHIFT)]
        hard = np.flatnonzero(cells == self.sentinel)
        if hard.size:
            cells[hard] = np.searchsorted(self.cuts, keys[hard], side="right")
        return cells
