"""Per-image scoring states kept for the bootstrap, and their weighted sums.

A bootstrap resample draws images with replacement; image ``i`` drawn
``w_i`` times contributes ``w_i`` times its counts. Because crbench's
scoring states are integer vectors on one shared grid (pass-2
:class:`~crbench.scoring.ThresholdCounts` of score maps) or per sweep value
(:class:`~crbench.scoring.SweepCounts` of mask sweeps), the counts of a
resample are exactly the weighted sum ``W @ H`` of the per-image states,
and its metrics are computed from those counts by the same
:class:`~crbench.scoring.Curve` / :class:`~crbench.scoring.SweepCurve` and
:func:`~crbench.scoring.compute_metrics` as the point estimate.

:class:`ThresholdStates` holds each image's nonzero grid cells as one row
of two ``scipy.sparse`` matrices (positives, negatives); :class:`SweepStates`
holds TP/FP and the positive/negative totals per image as dense arrays.
"""

import numpy as np
import scipy.sparse

from ..errors import InputError
from ..scoring import Curve, SweepCurve

__all__ = ["ThresholdStates", "SweepStates", "BootstrapMemoryError", "DEFAULT_MAX_STATE_BYTES"]

#: Memory the per-image states may take before the bootstrap refuses (bytes).
DEFAULT_MAX_STATE_BYTES = 2 * 1024**3
#: Bytes per stored nonzero cell of a per-image state: int64 cell index and two int64 counts.
_BYTES_PER_CELL = 24


class BootstrapMemoryError(InputError):
    """The per-image states of a run would not fit in the bootstrap's memory budget."""


class _States:
    """Common bookkeeping: sample ids in arrival order, memory guard."""

    kind = None

    def __init__(self, *, max_bytes=DEFAULT_MAX_STATE_BYTES):
        self.sample_ids = []
        self.max_bytes = int(max_bytes)
        self.nbytes = 0

    def _charge(self, nbytes, sample_id):
        self.nbytes += int(nbytes)
        if self.nbytes > self.max_bytes:
            raise BootstrapMemoryError(
                f"the bootstrap's per-image states exceed {self.max_bytes / 2**20:.0f} MiB after image "
                f"{sample_id!r} ({len(self.sample_ids)} images); run without intervals (--bootstrap 0) or score "
                "fewer images (--limit N); the detector outputs are cached, so re-running is cheap"
            )

    def __len__(self):
        return len(self.sample_ids)

    def order(self):
        """Indices that sort the images by sample id (the bootstrap's column order)."""
        return sorted(range(len(self.sample_ids)), key=self.sample_ids.__getitem__)


class ThresholdStates(_States):
    """The pass-2 states of a score detector's images, one sparse row each.

    Parameters
    ----------
    grid : ThresholdGrid
        The run's shared threshold grid.
    max_bytes : int
        Memory budget of the stored states; :class:`BootstrapMemoryError`
        names the fix when it is exceeded.
    """

    kind = "threshold"

    def __init__(self, grid=None, *, max_bytes=DEFAULT_MAX_STATE_BYTES):
        super().__init__(max_bytes=max_bytes)
        self.grid = grid
        self._rows = []
        self._matrices = None

    def add(self, state):
        """Keep one image's :class:`~crbench.scoring.ThresholdCounts` (usable as a stream's ``on_image``)."""
        if len(state.images) != 1:
            raise InputError(f"ThresholdStates.add takes one image's state, got {len(state.images)} images")
        if self.grid is None:
            self.grid = state.grid
        elif state.grid is not self.grid and state.grid != self.grid:
            raise InputError("every image's state must be counted on the same threshold grid")
        sample_id = state.images[0].sample_id
        cells, positives, negatives = state.cell_histograms()
        self.sample_ids.append(sample_id)
        self._rows.append((np.asarray(cells, np.int64), np.asarray(positives, np.int64),
                           np.asarray(negatives, np.int64)))
        self._matrices = None
        self._charge(_BYTES_PER_CELL * cells.size, sample_id)

    def matrices(self, order):
        """Return the (positives, negatives) CSR matrices, rows in ``order``."""
        if self._matrices is None or self._matrices[0] != tuple(order):
            n_cells = self.grid.n_cells
            rows = [self._rows[i] for i in order]
            indptr = np.r_[0, np.cumsum([row[0].size for row in rows])]
            indices = np.concatenate([row[0] for row in rows]) if rows else np.empty(0, np.int64)
            shape = (len(rows), n_cells)
            built = []
            for column in (1, 2):
                data = np.concatenate([row[column] for row in rows]) if rows else np.empty(0, np.int64)
                built.append(scipy.sparse.csr_matrix((data, indices, indptr), shape=shape, dtype=np.int64))
            self._matrices = (tuple(order), built[0], built[1])
        return self._matrices[1], self._matrices[2]

    def weighted_cells(self, weights, order):
        """Resampled cell histograms ``weights @ H``.

        Parameters
        ----------
        weights : ndarray of int, shape (r, n_images)
            How often each image (columns in ``order``) is drawn per resample.
        order : sequence of int

        Returns
        -------
        positives, negatives : ndarray of int64, shape (r, n_cells)
        """
        positives, negatives = self.matrices(order)
        weights_t = np.ascontiguousarray(np.asarray(weights, np.int64).T)
        return (np.asarray(positives.T @ weights_t).T, np.asarray(negatives.T @ weights_t).T)

    def curve(self, positives, negatives):
        """The exact :class:`~crbench.scoring.Curve` of one resample's cell histograms."""
        return Curve(self.grid.values, positives[1::2], negatives[1::2], negatives[0::2])

    def curves(self, weights, order):
        """Yield the :class:`~crbench.scoring.Curve` of every resample (rows of ``weights``)."""
        positives, negatives = self.weighted_cells(weights, order)
        for k in range(positives.shape[0]):
            yield self.curve(positives[k], negatives[k])

    def cells_per_image(self):
        """Stored nonzero cells of every image (a measure of the states' memory)."""
        return [row[0].size for row in self._rows]


class SweepStates(_States):
    """The per-image TP/FP counts of a mask detector's sweep.

    Parameters
    ----------
    values : sequence of float, optional
        Sweep values (taken from the first state when omitted).
    max_bytes : int
    """

    kind = "sweep"

    def __init__(self, values=None, *, max_bytes=DEFAULT_MAX_STATE_BYTES):
        super().__init__(max_bytes=max_bytes)
        self.values = None if values is None else tuple(float(v) for v in values)
        self._tp, self._fp, self._n_pos, self._n_neg = [], [], [], []

    def add(self, state):
        """Keep one image's :class:`~crbench.scoring.SweepCounts` (usable as a stream's ``on_image``)."""
        if len(state.images) != 1:
            raise InputError(f"SweepStates.add takes one image's state, got {len(state.images)} images")
        if self.values is None:
            self.values = state.values
        elif state.values != self.values:
            raise InputError(f"sweep values differ between images ({state.values} vs {self.values})")
        image = state.images[0]
        self.sample_ids.append(image.sample_id)
        self._tp.append(np.asarray(state.tp, np.int64))
        self._fp.append(np.asarray(state.fp, np.int64))
        self._n_pos.append(int(image.n_pos))
        self._n_neg.append(int(image.n_neg))
        self._charge(16 * (len(self.values) + 1), image.sample_id)

    def weighted_counts(self, weights, order):
        """Resampled ``(tp, fp, n_pos, n_neg)``: int64 arrays of shape (r, n_values), (r,), (r,)."""
        order = list(order)
        weights = np.asarray(weights, np.int64)
        tp = weights @ np.asarray(self._tp, np.int64)[order]
        fp = weights @ np.asarray(self._fp, np.int64)[order]
        n_pos = weights @ np.asarray(self._n_pos, np.int64)[order]
        n_neg = weights @ np.asarray(self._n_neg, np.int64)[order]
        return tp, fp, n_pos, n_neg

    def curves(self, weights, order):
        """Yield the :class:`~crbench.scoring.SweepCurve` of every resample (rows of ``weights``)."""
        tp, fp, n_pos, n_neg = self.weighted_counts(weights, order)
        for k in range(tp.shape[0]):
            yield SweepCurve(self.values, tp[k], fp[k], n_pos[k] - tp[k], n_neg[k] - fp[k])
