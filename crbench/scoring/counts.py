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
The image is processed in blocks of rows. For ``dilate_output`` the 3x3
maximum is computed per block with a one-row halo (two ``np.maximum`` passes
on shifted views). The block's scores are mapped to cells with the grid's
lookup table (float32 maps: one shift, one gather; see
``_Float32Binner``) and counted with ``np.bincount``. Only the histogram of
*all* pixels is computed this way; the positive and ignored pixels are few,
so their histograms come from gathered values and are subtracted. Nothing of
the size of the image is copied except the dilated truth mask.
"""

import dataclasses

import numpy as np

from ..errors import InputError
from .grid import ThresholdGrid
from .pixels import (
    _check_options,
    check_shapes,
    dilate_scores,
    dilated_values_at,
    scored_positive_mask,
    validate_scores,
)

__all__ = ["ImageCounts", "ThresholdCounts"]

#: Pixels per block in pass 2: large enough to amortise numpy call overhead,
#: small enough for the block and its cell indices to stay in cache.
BLOCK_PIXELS = 1 << 17


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


def _histogram(binner, values, n_cells):
    if np.dtype(values.dtype) == np.float32:
        values = values.view(np.uint32)
    return np.bincount(binner.cells(values), minlength=n_cells)


def _histogram_all(scores, binner, n_cells, *, dilate):
    """Histogram of the (dilated) scores of every pixel, block by block."""
    ny, nx = scores.shape
    counts = np.zeros(n_cells, np.int64)
    if ny == 0 or nx == 0:
        return counts
    # larger blocks when the grid is large, so zeroing the per-block bincount
    # does not dominate
    rows = max(1, max(BLOCK_PIXELS, 4 * n_cells) // nx)
    as_keys = scores.dtype == np.float32
    for r0 in range(0, ny, rows):
        r1 = min(ny, r0 + rows)
        if dilate:
            a0, a1 = max(0, r0 - 1), min(ny, r1 + 1)
            block = dilate_scores(scores[a0:a1], size=3)[r0 - a0 : r1 - a0]
        else:
            block = scores[r0:r1]
        flat = np.ascontiguousarray(block).reshape(-1)
        if as_keys:
            flat = flat.view(np.uint32)
        counts += np.bincount(binner.cells(flat), minlength=n_cells)
    return counts


class ThresholdCounts:
    """Pixel counts on a threshold grid: the summable pass-2 state.

    Attributes
    ----------
    grid : ThresholdGrid
    n_pos_equal, n_neg_equal : ndarray of int64, shape (m,)
    n_neg_between : ndarray of int64, shape (m + 1,)
    n_ignored : int
    images : list of ImageCounts
        One entry per image summed into this state.
    """

    def __init__(self, grid, n_pos_equal, n_neg_equal, n_neg_between, *, n_ignored=0, images=()):
        m = grid.values.size
        self.grid = grid
        self.n_pos_equal = np.asarray(n_pos_equal, dtype=np.int64)
        self.n_neg_equal = np.asarray(n_neg_equal, dtype=np.int64)
        self.n_neg_between = np.asarray(n_neg_between, dtype=np.int64)
        if self.n_pos_equal.shape != (m,) or self.n_neg_equal.shape != (m,) or self.n_neg_between.shape != (m + 1,):
            raise InputError(f"count vectors do not match a grid of {m} thresholds")
        self.n_ignored = int(n_ignored)
        self.images = list(images)

    @classmethod
    def from_image(
        cls,
        truth,
        ignore,
        scores,
        *,
        grid,
        truth_dilation=3,
        dilate_output=False,
        ignore_policy="exclude",
        sample_id="?",
    ):
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
        truth_dilation, dilate_output, ignore_policy, sample_id
            See :func:`crbench.scoring.prepare_pixels`.

        Returns
        -------
        ThresholdCounts

        Raises
        ------
        InputError
            Bad scores, or a positive score that is not on the grid (the grid
            was built without this image).
        """
        _check_options(truth_dilation=truth_dilation, ignore_policy=ignore_policy)
        truth, ignore, scores = check_shapes(truth, ignore, scores, sample_id=sample_id)
        scores = validate_scores(scores, sample_id=sample_id)
        n_cells = grid.n_cells
        binner = grid.binner(scores.dtype)

        positive_index = np.flatnonzero(scored_positive_mask(truth, ignore, truth_dilation=truth_dilation))
        ignored_index = np.flatnonzero(ignore) if ignore is not None else np.empty(0, np.intp)
        dense = positive_index.size + ignored_index.size > scores.size // 8
        dilated = dilate_scores(scores, size=3) if (dilate_output and dense) else None

        def values_at(index):
            if not dilate_output:
                return scores.reshape(-1)[index]
            if dilated is not None:
                return dilated.reshape(-1)[index]
            return dilated_values_at(scores, index, size=3)

        if dilated is not None:
            all_counts = _histogram_all(dilated, binner, n_cells, dilate=False)
        else:
            all_counts = _histogram_all(scores, binner, n_cells, dilate=dilate_output)
        pos_counts = _histogram(binner, values_at(positive_index), n_cells)
        neg_counts = all_counts - pos_counts
        if ignore is not None and ignore_policy == "exclude" and ignored_index.size:
            neg_counts -= _histogram(binner, values_at(ignored_index), n_cells)

        if np.any(pos_counts[0::2]):
            raise InputError(
                f"image {sample_id!r}: some positive scores are not on the threshold grid; build the grid "
                "from the pass-1 PositiveScores of every image (with the same options) before pass 2"
            )
        state = cls(grid, pos_counts[1::2], neg_counts[1::2], neg_counts[0::2],
                    n_ignored=ignored_index.size)
        n_pos = int(positive_index.size)
        n_neg = int(neg_counts.sum())
        image = ImageCounts(sample_id, int(scores.size), n_pos, n_neg, int(ignored_index.size))
        for threshold in grid.operating_thresholds:
            image.at_threshold[threshold] = state.counts_at(threshold)
        state.images = [image]
        return state

    # ------------------------------------------------------------------ algebra
    def __add__(self, other):
        if not isinstance(other, ThresholdCounts):
            return NotImplemented
        if other.grid is not self.grid and other.grid != self.grid:
            raise InputError(
                "cannot sum ThresholdCounts made on different threshold grids; count every image on the "
                "grid built from the merged pass-1 states"
            )
        return ThresholdCounts(
            self.grid,
            self.n_pos_equal + other.n_pos_equal,
            self.n_neg_equal + other.n_neg_equal,
            self.n_neg_between + other.n_neg_between,
            n_ignored=self.n_ignored + other.n_ignored,
            images=self.images + other.images,
        )

    def __radd__(self, other):
        if other == 0:  # lets the built-in sum() work
            return self
        return NotImplemented

    @property
    def n_pos(self):
        """Scored positive pixels."""
        return int(self.n_pos_equal.sum())

    @property
    def n_neg(self):
        """Scored negative pixels."""
        return int(self.n_neg_equal.sum() + self.n_neg_between.sum())

    def counts_at(self, threshold):
        """Return ``{"tp", "fp", "fn", "tn"}`` for "score >= threshold" (threshold on the grid)."""
        k = self.grid.index_of(threshold)
        tp = int(self.n_pos_equal[k:].sum())
        fp = int(self.n_neg_equal[k:].sum() + self.n_neg_between[k + 1 :].sum())
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
