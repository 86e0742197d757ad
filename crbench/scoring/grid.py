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
from .pixels import KEY_ONE
from .prepare import prepare_image
from .protocol import DEFAULT_PROTOCOL

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
    n_pos : int
        Total number of positive pixels.
    """

    #: Merged states are kept as a list of parts and consolidated (one sort)
    #: once this many have accumulated or when the values are read, so that
    #: merging image after image costs O(total log total), not O(images x total).
    MAX_PARTS = 64

    def __init__(self, values=(), counts=()):
        values = np.asarray(values, dtype=np.float64)
        counts = np.asarray(counts, dtype=np.int64)
        if values.shape != counts.shape or values.ndim != 1:
            raise InputError("PositiveScores needs 1-D values and counts of equal length")
        if values.size and (np.any(np.diff(values) <= 0) or np.any(counts <= 0) or np.signbit(values[0])):
            values, counts = _unique_with_counts(values, counts)
        self._parts = [(values, counts)]

    def _consolidate(self):
        if len(self._parts) > 1:
            values = np.concatenate([part[0] for part in self._parts])
            counts = np.concatenate([part[1] for part in self._parts])
            self._parts = [_unique_with_counts(values, counts)]
        return self._parts[0]

    @property
    def values(self):
        """Sorted unique scores of scored positive pixels (float64)."""
        return self._consolidate()[0]

    @property
    def counts(self):
        """How many positive pixels have each score (int64)."""
        return self._consolidate()[1]

    @classmethod
    def empty(cls):
        """Return the state of no image (the neutral element of :meth:`merge`)."""
        return cls()

    @classmethod
    def from_image(cls, truth, ignore, scores, *, protocol=DEFAULT_PROTOCOL, sample_id="?"):
        """Collect the scores of one image's scored positive pixels.

        Parameters
        ----------
        truth : ndarray of bool, shape (ny, nx)
            Truth as stored (dilated here by ``protocol.truth_dilation``).
        ignore : ndarray of bool, shape (ny, nx), or None
            True = ignored.
        scores : ndarray of float, shape (ny, nx)
            Score map in [0, 1], before output dilation.
        protocol : PixelProtocol
            Truth dilation, output dilation and ignore policy.
        sample_id : str
            Image id used in error messages.

        Returns
        -------
        PositiveScores
        """
        image = prepare_image(truth, ignore, scores, protocol=protocol, sample_id=sample_id)
        return cls.from_prepared(image)

    @classmethod
    def from_prepared(cls, image):
        """Collect the positive scores of a :class:`~crbench.scoring.PreparedImage`."""
        return cls(*_unique_with_counts(image.output_values_at(image.positive_index)))

    def merge(self, other):
        """Return the union of two states (multiplicities add); neither is modified."""
        merged = PositiveScores()
        merged._parts = [part for part in self._parts + other._parts if part[0].size]
        if len(merged._parts) > self.MAX_PARTS:
            merged._consolidate()
        if not merged._parts:
            merged._parts = [(np.empty(0, np.float64), np.empty(0, np.int64))]
        return merged

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
        position = np.searchsorted(values, self.operating_thresholds)
        missing = [
            t for t, i in zip(self.operating_thresholds, position) if i >= values.size or values[i] != t
        ]
        if missing:
            raise InputError(f"operating thresholds {missing} are not on the grid")
        self._binners = {}

    def __getstate__(self):
        # lookup tables are a cache (megabytes): rebuild them after unpickling
        return {"values": self.values, "operating_thresholds": self.operating_thresholds, "_binners": {}}

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
    iff ``key(s) >=`` the key of the smallest float32 above ``G[k]``. The
    cell of a key is the number of cuts ``<= key``.

    A lookup table maps a key to the cell of its *bucket* when no cut lies
    strictly inside the bucket; in the other buckets the cell at the bucket
    start is corrected by comparing the key with the bucket's few inner cuts
    (``np.searchsorted`` when there are more than ``MAX_SCAN``). Bucket widths adapt to where the cuts are: each
    binade (float32 exponent) is split into a power-of-two number of equal
    buckets, about ``BUCKETS_PER_CUT`` per cut in that binade, so that
    binades crowded with grid values (positives whose scores look like the
    background) are finely resolved and empty ones cost one entry. The index
    of a key is ``(key >> shift[e]) + offset[e]`` with ``e = key >> 23``.
    Most pixels thus cost a few integer operations, one gather and one
    ``bincount``.
    """

    BUCKETS_PER_CUT = 4
    MAX_SCAN = 4
    MAX_TABLE = 1 << 22  # entries (36 MB with n_inner); fewer buckets per cut beyond that

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

        reachable = cuts[cuts <= KEY_ONE]  # larger cuts are above every score
        n_binades = (KEY_ONE >> 23) + 1
        per_binade = np.bincount(reachable >> np.uint32(23), minlength=n_binades)
        factor = self.BUCKETS_PER_CUT
        while True:
            wanted = np.maximum(per_binade * factor, 1)
            bits = np.minimum(np.ceil(np.log2(wanted)).astype(np.int64), 23)
            bits[KEY_ONE >> 23] = 0  # the top binade holds the single key of 1.0
            size = int(np.sum(np.int64(1) << bits))
            if size <= self.MAX_TABLE or factor == 1:
                break
            factor //= 2
        shift = (23 - bits).astype(np.uint32)
        first = np.r_[0, np.cumsum(np.int64(1) << bits)[:-1]]
        # index = (key >> shift[e]) + offset[e]; (e << 23) >> shift[e] is the
        # shifted start of binade e
        offset = first - (np.arange(n_binades, dtype=np.int64) << bits)
        self.shift, self.offset = shift.astype(np.intp), offset.astype(np.intp)

        index = self._index(reachable)
        at_start = (reachable & ((np.uint32(1) << shift[reachable >> np.uint32(23)]) - np.uint32(1))) == 0
        lut = np.zeros(size, np.intp)
        np.cumsum(np.bincount(index, minlength=size)[:-1], out=lut[1:])
        lut += np.bincount(index[at_start], minlength=size)
        # Buckets with cuts strictly inside: store -1 - (cell at the bucket
        # start); a key's cell there is that plus the number of the bucket's
        # inner cuts <= key, counted by a short scan (at most MAX_SCAN cuts;
        # buckets with more are resolved by binary search).
        inner = np.bincount(index[~at_start], minlength=size)
        ambiguous = inner > 0
        lut[ambiguous] = -1 - lut[ambiguous]
        self.lut = lut
        self.crowded = inner > self.MAX_SCAN  # these buckets need a binary search
        self._padded_cuts = np.r_[cuts, np.full(self.MAX_SCAN, np.iinfo(np.uint32).max, np.uint32)]

    def _index(self, keys):
        # Work in intp from the start: np.take would otherwise convert the
        # uint32 indices to intp on every call. mode="clip" skips NumPy's
        # bounds-error path (indices are in range anyway).
        keys = keys.astype(np.intp)
        binade = keys >> 23
        index = np.take(self.shift, binade, mode="clip")
        np.right_shift(keys, index, out=index)
        index += np.take(self.offset, binade, mode="clip")
        return index

    def cells(self, keys):
        """Cells of 1-D uint32 keys (all ``<= KEY_ONE``)."""
        index = self._index(keys)
        cells = np.take(self.lut, index, mode="clip")
        hard = np.flatnonzero(cells < 0)
        if hard.size:
            hard_keys = keys[hard]
            start = -1 - cells[hard]
            resolved = start.copy()
            for j in range(self.MAX_SCAN):
                # Cuts after a bucket's inner cuts (and the padding) are above
                # every key of the bucket, so scanning past them adds nothing.
                resolved += self._padded_cuts[start + j] <= hard_keys
            crowded = np.flatnonzero(self.crowded[index[hard]])
            if crowded.size:
                resolved[crowded] = np.searchsorted(self.cuts, hard_keys[crowded], side="right")
            cells[hard] = resolved
        return cells
