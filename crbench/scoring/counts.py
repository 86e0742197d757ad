"""Pass 2 of exact scoring: pixel counts on the shared threshold grid.

:meth:`ThresholdCounts.from_image` sorts every scored pixel of one image into
the cells of a :class:`~crbench.scoring.ThresholdGrid` (see its docstring)
and keeps three integer vectors:

- ``n_pos_equal[k]``: positives whose score equals ``G[k]`` (every positive
  score is on the grid, so this is all of them);
- ``n_neg_equal[k]``: negatives whose score equals ``G[k]``;
- ``n_neg_between[k]``: negatives strictly between ``G[k-1]`` and ``G[k]``
  (``k = 0``: below ``G[0]``; ``k = m``: above ``G[m-1]``).

They live on one grid, so the states of many images are simply **summed**
(``+``); that is all a distributed evaluation needs. Per-image scalar counts
(:class:`ImageCounts`) travel along in the sum.

How the counts are made fast without losing exactness
-----------------------------------------------------
- Only the histogram of *all* pixels touches every pixel; the positive and
  ignored pixels are few, so their histograms come from gathered values
  (their 3x3 maxima are gathered from the nine neighbours) and are
  subtracted.
- Lower-tail shortcut: every pixel whose (dilated) score is below the lowest
  grid value is in cell 0, and a pixel's 3x3 maximum reaches that value iff
  one of its neighbours' raw scores does. When few pixels reach it (typical
  for ``dilate_output`` detectors, whose positives all carry a cosmic ray's
  high score) only those are looked up.
- Otherwise the image is processed in blocks of rows that stay in cache: the
  3x3 maximum is computed per block with a one-row halo (``np.maximum`` on
  shifted views) and scores are mapped to cells with the grid's lookup table
  (for float32: integer bit patterns, an adaptive table whose entries resolve
  a bucket holding one grid value without a branch, and a short scan for the
  rare other buckets, see ``_Float32Binner``); the cells of several blocks
  are counted by one ``np.bincount``.
- Nothing of the size of the image is copied except boolean masks (and a
  dilated copy when more than 1/8 of the pixels are positive or ignored).
"""

import dataclasses

import numpy as np

from ..errors import InputError
from .grid import ThresholdGrid
from .pixels import _sparse_dilated_index, dilated_values_at
from .prepare import prepare_image
from .protocol import DEFAULT_PROTOCOL, OUTPUT_DILATION

__all__ = ["ImageCounts", "ThresholdCounts"]

#: Pixels per block in pass 2: large enough to amortise numpy call overhead,
#: small enough for the block and its lookup temporaries (8 bytes a pixel,
#: several of them) to stay in a core's L2 cache; measured fastest on
#: 16 Mpix maps (blocks of 2**17 pixels and more spill and run up to 1.5x slower).
BLOCK_PIXELS = 1 << 16
#: Cells of several blocks are collected and counted by one ``bincount`` over
#: at least this many pixels per grid cell, so that zeroing the ``bincount``
#: output does not dominate when the grid is large.
CELLS_PER_BLOCK_FACTOR = 4
#: Use the lower-tail shortcut of ``_histogram_all`` when at most this fraction
#: of pixels (times 9 with output dilation) needs a lookup; both paths are exact.
LOWER_TAIL_MAX_FRACTION = 0.25
#: Images with fewer than ``n_cells / SPARSE_FACTOR`` pixels get sparse states.
SPARSE_FACTOR = 16


@dataclasses.dataclass
class ImageCounts:
    """Scalar counts of one image.

    Attributes
    ----------
    sample_id : str
    n_pixels : int
        All pixels of the image.
    n_pos, n_neg : int
        Scored positive and negative pixels.
    n_ignored : int
        Ignore-mask pixels (excluded under ``"exclude"``, counted among the
        negatives under ``"negative"``).
    at_threshold : dict
        ``{threshold: {"tp", "fp", "fn", "tn"}}`` at each operating threshold
        (or sweep value for mask detectors).
    """

    sample_id: str
    n_pixels: int
    n_pos: int
    n_neg: int
    n_ignored: int
    at_threshold: dict = dataclasses.field(default_factory=dict)

    def to_dict(self):
        """Return a JSON-ready dict (thresholds become ``"operating"`` rows)."""
        return {
            "sample_id": self.sample_id,
            "n_pixels": self.n_pixels,
            "n_pos": self.n_pos,
            "n_neg": self.n_neg,
            "n_ignored": self.n_ignored,
            "operating": [{"threshold": t, **counts} for t, counts in self.at_threshold.items()],
        }

    @classmethod
    def from_dict(cls, data):
        """Inverse of :meth:`to_dict`."""
        at = {float(row["threshold"]): {k: int(row[k]) for k in ("tp", "fp", "fn", "tn")} for row in data["operating"]}
        return cls(data["sample_id"], int(data["n_pixels"]), int(data["n_pos"]), int(data["n_neg"]),
                   int(data["n_ignored"]), at)


def _count_cells(cells, n_cells):
    """``np.bincount(cells, minlength=n_cells)``, sparse when cells are few.

    With a large grid (millions of thresholds) and a small image, zeroing and
    scanning ``n_cells`` bins per call would cost more than the image itself.
    """
    if cells.size * 16 < n_cells:
        counts = np.zeros(n_cells, np.int64)
        present, multiplicity = _sparse_histogram(cells)
        counts[present] = multiplicity
        return counts
    return np.bincount(cells, minlength=n_cells)


def _cells(binner, values):
    if np.dtype(values.dtype) == np.float32:
        values = values.view(np.uint32)
    return binner.cells(values)


def _histogram(binner, values, n_cells):
    return _count_cells(_cells(binner, values), n_cells)


def _off_grid_error(sample_id):
    return InputError(
        f"image {sample_id!r}: some positive scores are not on the threshold grid; build the grid "
        "from the pass-1 PositiveScores of every image (with the same options) before pass 2"
    )


def _dilate_rows_into(scores, r0, r1, row_buffer, out):
    """3x3 maximum of ``scores[r0:r1]`` (window clipped at the image border) into ``out``.

    Same result as ``dilate_scores(scores)[r0:r1]``, using a one-row halo and
    preallocated buffers so that a block is filtered while it is in cache
    (written for ``OUTPUT_DILATION == 3``; a larger window needs a wider halo).
    """
    ny = scores.shape[0]
    a0, a1 = max(0, r0 - 1), min(ny, r1 + 1)
    source = scores[a0:a1]
    rows = row_buffer[: a1 - a0]
    np.copyto(rows, source)  # horizontal maximum over (x-1, x, x+1)
    np.maximum(rows[:, 1:], source[:, :-1], out=rows[:, 1:])
    np.maximum(rows[:, :-1], source[:, 1:], out=rows[:, :-1])
    n = r1 - r0
    lo = r0 - a0  # index of row r0 inside ``rows``
    np.copyto(out, rows[lo : lo + n])  # vertical maximum over (y-1, y, y+1)
    if r0 > 0:
        np.maximum(out, rows[lo - 1 : lo - 1 + n], out=out)
    else:
        np.maximum(out[1:], rows[lo : lo + n - 1], out=out[1:])
    if r1 < ny:
        np.maximum(out, rows[lo + 1 : lo + 1 + n], out=out)
    else:
        np.maximum(out[:-1], rows[lo + 1 : lo + n], out=out[:-1])
    return out


def _histogram_all(scores, binner, n_cells, *, dilate, lowest):
    """Histogram of the (dilated) scores of every pixel.

    Shortcut first: every pixel whose (dilated) score is below the lowest
    grid value ``lowest`` is in cell 0. A pixel's 3x3 maximum is ``>=
    lowest`` iff one of its neighbours' raw scores is, so the pixels that
    need a lookup are the (dilated) set ``scores >= lowest``. When that set is
    small (typical for ``dilate_output`` detectors, whose positives all carry
    a cosmic ray's high score), only those pixels are looked up; otherwise
    every pixel goes through the block-wise lookup.
    """
    ny, nx = scores.shape
    counts = np.zeros(n_cells, np.int64)
    if ny == 0 or nx == 0:
        return counts
    if lowest is not None:
        above = _at_least(scores, lowest)
        n_above = int(np.count_nonzero(above))
        spread = OUTPUT_DILATION**2 if dilate else 1
        if n_above * spread <= LOWER_TAIL_MAX_FRACTION * scores.size:
            if dilate:
                index = _sparse_dilated_index(above, OUTPUT_DILATION) if n_above else np.empty(0, np.intp)
                values = dilated_values_at(scores, index, size=OUTPUT_DILATION)
            else:
                index = np.flatnonzero(above)
                values = scores.reshape(-1)[index]
            counts += _histogram(binner, values, n_cells)
            counts[0] += scores.size - index.size
            return counts
    rows = max(1, BLOCK_PIXELS // nx)
    as_keys = scores.dtype == np.float32
    if dilate:
        row_buffer = np.empty((min(ny, rows + 2), nx), scores.dtype)
        block_buffer = np.empty((min(ny, rows), nx), scores.dtype)
    # Cells are looked up block by block (in cache) but counted in batches
    pending = np.empty(min(scores.size, max(rows * nx, CELLS_PER_BLOCK_FACTOR * n_cells)), np.intp)
    filled = 0
    for r0 in range(0, ny, rows):
        r1 = min(ny, r0 + rows)
        if dilate:
            block = _dilate_rows_into(scores, r0, r1, row_buffer, block_buffer[: r1 - r0])
        else:
            block = scores[r0:r1]
        flat = np.ascontiguousarray(block).reshape(-1)
        if as_keys:
            flat = flat.view(np.uint32)
        if filled + flat.size > pending.size:
            counts += _count_cells(pending[:filled], n_cells)
            filled = 0
        binner.cells(flat, out=pending[filled : filled + flat.size])
        filled += flat.size
    counts += _count_cells(pending[:filled], n_cells)
    return counts


def _at_least(scores, threshold):
    """Exact ``scores >= threshold`` for a float64 ``threshold``.

    For float32 maps NumPy would compare in float32 (rounding the threshold);
    comparing bit patterns with the threshold rounded *up* to float32 is exact.
    """
    if scores.dtype == np.float32:
        ceil = np.float32(threshold)
        if float(ceil) < threshold:
            ceil = np.nextafter(ceil, np.float32(np.inf))
        return scores.view(np.uint32) >= ceil.view(np.uint32)
    return scores >= np.float64(threshold)


def _sparse_histogram(cells):
    """Sorted distinct cells and their multiplicities.

    Sort-based: measured several times faster than ``np.unique(...,
    return_counts=True)`` (hash based in NumPy 2.4) on integer cells.
    """
    cells = np.sort(cells)
    if cells.size == 0:
        return cells.astype(np.intp), np.empty(0, np.int64)
    starts = np.flatnonzero(np.r_[True, cells[1:] != cells[:-1]])
    return cells[starts].astype(np.intp), np.diff(np.r_[starts, cells.size]).astype(np.int64)


def _sparse_combine(histograms, signs):
    """Signed sum of sparse histograms; cells whose total is 0 are dropped."""
    cells = np.concatenate([h[0] for h in histograms])
    weights = np.concatenate([sign * h[1] for h, sign in zip(histograms, signs)])
    if cells.size == 0:
        return cells, weights
    order = np.argsort(cells, kind="stable")
    cells, weights = cells[order], weights[order]
    starts = np.flatnonzero(np.r_[True, cells[1:] != cells[:-1]])
    totals = np.add.reduceat(weights, starts)
    keep = totals != 0
    return cells[starts][keep], totals[keep]


def _read_only(array):
    array.flags.writeable = False
    return array


class ThresholdCounts:
    """Pixel counts on a threshold grid: the summable pass-2 state.

    Internally the counts are histograms over the grid's cells (see
    :class:`~crbench.scoring.ThresholdGrid`), kept dense or, for an image
    much smaller than the grid, sparse; sums are consolidated lazily so that
    adding many small images to a large grid costs O(grid) only once per
    ``MAX_PARTS`` images. The public vectors below are read-only.

    Attributes
    ----------
    grid : ThresholdGrid
    n_pos_equal, n_neg_equal : ndarray of int64, shape (m,)
    n_neg_between : ndarray of int64, shape (m + 1,)
    n_ignored : int
    images : list of ImageCounts
        One entry per image summed into this state.
    """

    MAX_PARTS = 64

    def __init__(self, grid, n_pos_equal, n_neg_equal, n_neg_between, *, n_ignored=0, images=()):
        m = grid.values.size
        n_pos_equal = np.asarray(n_pos_equal, dtype=np.int64)
        n_neg_equal = np.asarray(n_neg_equal, dtype=np.int64)
        n_neg_between = np.asarray(n_neg_between, dtype=np.int64)
        if n_pos_equal.shape != (m,) or n_neg_equal.shape != (m,) or n_neg_between.shape != (m + 1,):
            raise InputError(f"count vectors do not match a grid of {m} thresholds")
        positives = np.zeros(grid.n_cells, np.int64)
        negatives = np.zeros(grid.n_cells, np.int64)
        positives[1::2] = n_pos_equal
        negatives[1::2] = n_neg_equal
        negatives[0::2] = n_neg_between
        self._setup(grid, [(_read_only(positives), _read_only(negatives))], [], n_ignored, images)

    def _setup(self, grid, bases, parts, n_ignored, images):
        self.grid = grid
        self._bases = list(bases)  # dense (positives, negatives) cell histograms, never modified
        self._parts = list(parts)  # sparse (cells, positives, negatives), cells distinct
        self.n_ignored = int(n_ignored)
        self.images = list(images)
        self.n_pos = sum(int(b[0].sum()) for b in self._bases) + sum(int(p[1].sum()) for p in self._parts)
        self.n_neg = sum(int(b[1].sum()) for b in self._bases) + sum(int(p[2].sum()) for p in self._parts)

    @classmethod
    def _from_cells(cls, grid, bases, parts, *, n_ignored=0, images=()):
        state = cls.__new__(cls)
        state._setup(grid, bases, parts, n_ignored, images)
        return state

    def _consolidate(self):
        if len(self._bases) == 1 and not self._parts:
            return self._bases[0]
        positives = np.zeros(self.grid.n_cells, np.int64)
        negatives = np.zeros(self.grid.n_cells, np.int64)
        for base_pos, base_neg in self._bases:
            positives += base_pos
            negatives += base_neg
        for cells, part_pos, part_neg in self._parts:
            positives[cells] += part_pos  # cells are distinct within a part
            negatives[cells] += part_neg
        self._bases = [(_read_only(positives), _read_only(negatives))]
        self._parts = []
        return self._bases[0]

    @property
    def n_pos_equal(self):
        """Positives whose score equals each grid value."""
        return self._consolidate()[0][1::2]

    @property
    def n_neg_equal(self):
        """Negatives whose score equals each grid value."""
        return self._consolidate()[1][1::2]

    @property
    def n_neg_between(self):
        """Negatives strictly between consecutive grid values (and below/above all)."""
        return self._consolidate()[1][0::2]

    @classmethod
    def from_image(cls, truth, ignore, scores, *, grid, protocol=DEFAULT_PROTOCOL, sample_id="?"):
        """Count one image's scored pixels on ``grid``.

        Parameters
        ----------
        truth : ndarray of bool, shape (ny, nx)
            Truth as stored (undilated).
        ignore : ndarray of bool, shape (ny, nx), or None
            True = ignored.
        scores : ndarray of float, shape (ny, nx)
            Score map in [0, 1] before output dilation (float32 is fastest).
        grid : ThresholdGrid
            Built from the pass-1 states of *all* images to be summed.
        protocol : PixelProtocol
            Truth dilation, output dilation and ignore policy (the same as
            in pass 1).
        sample_id : str
            Image id used in error messages.

        Returns
        -------
        ThresholdCounts

        Raises
        ------
        InputError
            Bad scores, or a positive score that is not on the grid (the grid
            was built without this image).
        """
        image = prepare_image(truth, ignore, scores, protocol=protocol, sample_id=sample_id)
        return cls.from_prepared(image, grid=grid)

    @classmethod
    def from_prepared(cls, image, *, grid):
        """Count a :class:`~crbench.scoring.PreparedImage` on ``grid`` (see :meth:`from_image`)."""
        scores = image.prediction
        n_cells = grid.n_cells
        binner = grid.binner(scores.dtype)
        excluded_index = image.excluded_index
        if scores.size * SPARSE_FACTOR < n_cells:
            # An image much smaller than the grid: sparse histograms, so the
            # cost follows the image, not the grid.
            all_hist = _sparse_histogram(_cells(binner, image.output_map().reshape(-1)))
            pos_hist = _sparse_histogram(_cells(binner, image.output_values_at(image.positive_index)))
            histograms, signs = [all_hist, pos_hist], [1, -1]
            if excluded_index.size:
                histograms.append(_sparse_histogram(_cells(binner, image.output_values_at(excluded_index))))
                signs.append(-1)
            neg_cells, neg_counts = _sparse_combine(histograms, signs)
            pos_cells, pos_counts = pos_hist
            if np.any(pos_cells % 2 == 0):
                raise _off_grid_error(image.sample_id)
            cells = _sparse_histogram(np.concatenate([pos_cells, neg_cells]))[0]  # sorted union
            part = (
                cells,
                np.zeros(cells.size, np.int64),
                np.zeros(cells.size, np.int64),
            )
            part[1][np.searchsorted(cells, pos_cells)] = pos_counts
            part[2][np.searchsorted(cells, neg_cells)] = neg_counts
            state = cls._from_cells(grid, [], [part], n_ignored=image.n_ignored)
        else:
            lowest = float(grid.values[0]) if grid.values.size else None
            if image.dense_output is not None:
                all_counts = _histogram_all(image.dense_output, binner, n_cells, dilate=False, lowest=lowest)
            else:
                all_counts = _histogram_all(scores, binner, n_cells, dilate=image.protocol.dilate_output,
                                            lowest=lowest)
            pos_counts = _histogram(binner, image.output_values_at(image.positive_index), n_cells)
            neg_counts = all_counts - pos_counts
            if excluded_index.size:
                neg_counts -= _histogram(binner, image.output_values_at(excluded_index), n_cells)
            if np.any(pos_counts[0::2]):
                raise _off_grid_error(image.sample_id)
            state = cls._from_cells(grid, [(_read_only(pos_counts), _read_only(neg_counts))], [],
                                    n_ignored=image.n_ignored)
        counts = ImageCounts(image.sample_id, image.n_pixels, state.n_pos, state.n_neg, image.n_ignored)
        for threshold in grid.operating_thresholds:
            counts.at_threshold[threshold] = state.counts_at(threshold)
        state.images = [counts]
        return state

    # ------------------------------------------------------------------ algebra
    def _check_same_grid(self, other):
        if other.grid is not self.grid and other.grid != self.grid:
            raise InputError(
                "cannot sum ThresholdCounts made on different threshold grids; count every image on the "
                "grid built from the merged pass-1 states"
            )

    def __add__(self, other):
        if not isinstance(other, ThresholdCounts):
            return NotImplemented
        self._check_same_grid(other)
        total = ThresholdCounts._from_cells(
            self.grid, self._bases + other._bases, self._parts + other._parts,
            n_ignored=self.n_ignored + other.n_ignored, images=self.images + other.images,
        )
        if len(total._bases) > 1 or len(total._parts) > self.MAX_PARTS:
            total._consolidate()
        return total

    def __radd__(self, other):
        if other == 0:  # lets the built-in sum() work
            return self
        return NotImplemented

    def __iadd__(self, other):
        """Add ``other`` in place (the count arrays of neither are modified)."""
        if not isinstance(other, ThresholdCounts):
            return NotImplemented
        self._check_same_grid(other)
        self._bases += other._bases
        self._parts += other._parts
        self.n_pos += other.n_pos
        self.n_neg += other.n_neg
        self.n_ignored += other.n_ignored
        self.images.extend(other.images)
        if len(self._bases) > 1 or len(self._parts) > self.MAX_PARTS:
            self._consolidate()
        return self

    def cell_histograms(self):
        """Return ``(cells, positives, negatives)``: the nonzero cells of the grid histograms.

        ``cells`` are sorted distinct indices into the grid's ``2 m + 1``
        cells (odd = "equal to ``G[k // 2]``", even = "strictly between");
        ``positives`` and ``negatives`` (int64) count the pixels in each.
        This is the compact per-image form the bootstrap keeps
        (:mod:`crbench.uncertainty`).
        """
        if not self._bases and len(self._parts) == 1:
            cells, positives, negatives = self._parts[0]
            keep = (positives != 0) | (negatives != 0)
            return cells[keep], positives[keep], negatives[keep]
        positives, negatives = self._consolidate()
        cells = np.flatnonzero((positives != 0) | (negatives != 0))
        return cells, positives[cells], negatives[cells]

    def counts_at(self, threshold):
        """Return ``{"tp", "fp", "fn", "tn"}`` for "score >= threshold" (threshold on the grid)."""
        first = 2 * self.grid.index_of(threshold) + 1  # cell of "== threshold"; above it all count
        tp = sum(int(b[0][first:].sum()) for b in self._bases)
        fp = sum(int(b[1][first:].sum()) for b in self._bases)
        for cells, part_pos, part_neg in self._parts:
            flagged = cells >= first
            tp += int(part_pos[flagged].sum())
            fp += int(part_neg[flagged].sum())
        return {"tp": tp, "fp": fp, "fn": self.n_pos - tp, "tn": self.n_neg - fp}

    def curve(self):
        """Return the exact :class:`~crbench.scoring.Curve` of these counts."""
        from .curve import Curve

        return Curve.from_counts(self)

    # ------------------------------------------------------------------ JSON
    def to_dict(self, *, include_images=True):
        """Return a JSON-ready dict (Python ints, exact floats)."""
        data = {
            "grid": self.grid.to_dict(),
            "n_pos_equal": self.n_pos_equal.tolist(),
            "n_neg_equal": self.n_neg_equal.tolist(),
            "n_neg_between": self.n_neg_between.tolist(),
            "n_ignored": self.n_ignored,
        }
        if include_images:
            data["images"] = [image.to_dict() for image in self.images]
        return data

    @classmethod
    def from_dict(cls, data, *, grid=None):
        """Inverse of :meth:`to_dict`; pass ``grid`` to share one grid object."""
        grid = grid if grid is not None else ThresholdGrid.from_dict(data["grid"])
        return cls(
            grid,
            data["n_pos_equal"],
            data["n_neg_equal"],
            data["n_neg_between"],
            n_ignored=data.get("n_ignored", 0),
            images=[ImageCounts.from_dict(row) for row in data.get("images", [])],
        )

    def __eq__(self, other):
        return (
            isinstance(other, ThresholdCounts)
            and self.grid == other.grid
            and np.array_equal(self.n_pos_equal, other.n_pos_equal)
            and np.array_equal(self.n_neg_equal, other.n_neg_equal)
            and np.array_equal(self.n_neg_between, other.n_neg_between)
            and self.n_ignored == other.n_ignored
        )

    def __repr__(self):
        return (f"ThresholdCounts(n_thresholds={self.grid.values.size}, n_pos={self.n_pos}, "
                f"n_neg={self.n_neg}, n_images={len(self.images)})")
