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

    def cells(self, values, *, out=None):
        """Cells of 1-D float values (written into ``out`` when given)."""
        cells = np.searchsorted(self.cuts, values, side="right")
        if out is None:
            return cells
        out[...] = cells
        return out


class _Float32Binner:
    """Exact cell lookup for float32 scores through their integer bit patterns.

    For non-negative float32 the uint32 view ("key") is monotone, so cells are
    defined by sorted integer cut keys: ``s >= G[k]`` iff ``key(s) >=
    key(ceil32(G[k]))`` where ``ceil32`` rounds up to float32, and ``s > G[k]``
    iff ``key(s) >=`` the key of the smallest float32 above ``G[k]``. The
    cell of a key is the number of cuts ``<= key``.

    A lookup table maps a key to its *bucket*. Bucket widths adapt to where
    the cuts are: each binade (float32 exponent) is split into a power-of-two
    number of equal buckets, about ``BUCKETS_PER_CUT`` per cut in that
    binade, so that binades crowded with grid values (positives whose scores
    look like the background) are finely resolved and empty ones cost one
    entry. The index of a key is ``(key >> shift[e]) + offset[e]`` with ``e =
    key >> 23`` (shift and offset packed in one table).

    One 64-bit table entry per bucket holds the cell at the bucket start and
    a *pair key* ``c`` (high 32 bits): the cell of a key is ``start +
    sign(key - c) + 1``. A grid value ``G`` that is a float32 number puts the
    two adjacent cuts ``key(G)`` and ``key(G) + 1`` into its bucket, so a
    bucket with one such grid value inside gets ``c = key(G)`` (``key < c``:
    start; ``== c``: start + 1; ``> c``: start + 2); a bucket without inner
    cuts gets a ``c`` above every key and ``start + 1`` stored. The rare
    buckets with other inner cuts (several grid values, a grid value that is
    not a float32 number) are marked, and their keys are resolved by
    comparing with the bucket's few inner cuts (``np.searchsorted`` when there
    are more than ``MAX_SCAN``). Most pixels thus cost a few integer
    operations, one gather and one ``bincount``, with no data-dependent branch.
    """

    BUCKETS_PER_CUT = 4
    MAX_SCAN = 4
    MAX_TABLE = 1 << 22  # entries (32 MB); fewer buckets per cut beyond that
    NEVER = 0x7FFFFFFF  # pair key above every key (KEY_ONE < 2**30)

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

        self._packed = (self.offset << 5) | self.shift  # shift < 32; offset may be negative

        index = self._index(reachable)
        at_start = (reachable & ((np.uint32(1) << shift[reachable >> np.uint32(23)]) - np.uint32(1))) == 0
        start_cell = np.zeros(size, np.intp)
        np.cumsum(np.bincount(index, minlength=size)[:-1], out=start_cell[1:])
        start_cell += np.bincount(index[at_start], minlength=size)
        inner_index, inner_key = index[~at_start], reachable[~at_start].astype(np.intp)
        n_inner = np.bincount(inner_index, minlength=size)
        # Buckets whose inner cuts are exactly one pair {c, c + 1}
        first = np.flatnonzero(np.r_[True, inner_index[1:] != inner_index[:-1]]) if inner_index.size else inner_index
        candidate = first[n_inner[inner_index[first]] == 2]
        pair = candidate[inner_key[candidate + 1] == inner_key[candidate] + 1]
        pair_key = np.full(size, self.NEVER, np.intp)
        pair_key[inner_index[pair]] = inner_key[pair]
        stored = start_cell + 1  # + sign(key - pair_key) gives the cell
        hard = (n_inner > 0) & (pair_key == self.NEVER)
        stored[hard] = self.n_cells + 1  # cell n_cells after the sign: "resolve me"
        self.entries = (pair_key << 32) | stored
        # the few buckets resolved by a scan: sorted bucket indices, start cells,
        # and whether they hold more than MAX_SCAN cuts (binary search instead)
        self.hard_buckets = np.flatnonzero(hard)
        self.hard_start = start_cell[self.hard_buckets]
        self.hard_crowded = n_inner[self.hard_buckets] > self.MAX_SCAN
        self._padded_cuts = np.r_[cuts, np.full(self.MAX_SCAN, np.iinfo(np.uint32).max, np.uint32)]

    def _index(self, keys):
        # mode="clip" skips NumPy's bounds-error path (indices are in range anyway)
        packed = np.take(self._packed, keys >> np.uint32(23), mode="clip")
        index = np.right_shift(keys, packed & 31)  # uint32 >> intp -> intp
        packed >>= 5
        index += packed
        return index

    def cells(self, keys, *, out=None):
        """Cells of 1-D uint32 keys (all ``<= KEY_ONE``), written into ``out`` (intp) when given."""
        index = self._index(keys)
        cells = np.take(self.entries, index, mode="clip", out=out)
        difference = cells >> 32  # pair key
        np.subtract(keys, difference, out=difference)
        np.sign(difference, out=difference)
        cells &= 0xFFFFFFFF
        cells += difference
        hard = np.flatnonzero(cells >= self.n_cells)
        if hard.size:
            hard_keys = keys[hard]
            bucket = np.searchsorted(self.hard_buckets, index[hard])
            start = self.hard_start[bucket]
            resolved = start.copy()
            for j in range(self.MAX_SCAN):
                # Cuts after a bucket's inner cuts (and the padding) are above
                # every key of the bucket, so scanning past them adds nothing.
                resolved += self._padded_cuts[start + j] <= hard_keys
            crowded = np.flatnonzero(self.hard_crowded[bucket])
            if crowded.size:
                resolved[crowded] = np.searchsorted(self.cuts, hard_keys[crowded], side="right")
            cells[hard] = resolved
        return cells
