"""Exact ROC and precision-recall curves built from summed pass-2 counts.

Conventions
-----------
- A pixel is predicted positive when ``score >= threshold`` (scikit-learn's
  convention). Thresholds are listed in **descending** order; the first point
  is ``threshold = +inf`` (nothing flagged, ``tp = fp = 0``).
- **TPR at FPR** = the largest TPR among all thresholds whose FPR is
  ``<= target`` (no interpolation). The threshold reported is the highest
  threshold that reaches that TPR; when the best TPR is 0 (only "flag
  nothing" is that strict) the threshold is None.
- **Purity (precision) at TPR** = the precision at the highest threshold
  whose TPR is ``>= target``.
- FPR, TPR and precision are computed as ``fp / n_neg``, ``tp / n_pos`` and
  ``tp / (tp + fp)`` in float64, exactly as scikit-learn does, so threshold
  comparisons such as ``fpr <= 1e-4`` give the same answer.
- Undefined values (no positives, no negatives, nothing flagged) are None.

Curve points and what they equal
--------------------------------
The curve has one point per grid threshold ``G[k]`` (every positive score
plus the operating thresholds) and, where negatives lie strictly between two
grid values, a *corner* point: the end of the horizontal ROC segment, with
threshold ``nextafter(G[k], +inf)`` ("score > G[k]"), or 0.0 for the segment
below the lowest grid value ("every pixel"). At every grid threshold and at
every corner the counts equal scikit-learn's ``roc_curve(...,
drop_intermediate=False)`` counts at the same threshold (for a corner: at
the lowest negative score of that interval, which flags the same pixels).
TPR changes only at positive scores, so the polyline through these points is
*the same curve* as scikit-learn's (they differ only in which collinear
points are listed); hence TPR at FPR, purity at TPR, AUROC and AP are exact.
``pr_points`` equals ``precision_recall_curve`` restricted to thresholds
that are positive scores.

AUROC is computed as the Mann-Whitney statistic with ties counted one half,
in integer arithmetic (equal to the trapezoid rule on the ROC polyline).
Average precision is ``sum_k (R_k - R_{k-1}) P_k`` over the positive-score
thresholds in descending order, as in scikit-learn.
"""

import numpy as np

from ..errors import InputError

__all__ = ["Curve", "tpr_at_fpr", "precision_at_tpr", "counts_at_threshold", "auroc", "average_precision"]


class Curve:
    """Exact ROC / PR curve of a score detector on a threshold grid.

    Build it with :meth:`ThresholdCounts.curve` or :meth:`from_counts`.

    Attributes
    ----------
    thresholds : ndarray of float64
        Descending; ``thresholds[0] == inf``.
    tp, fp : ndarray of int64
        True and false positives at each threshold.
    is_grid : ndarray of bool
        True for grid thresholds, False for the first point and corners.
    n_pos, n_neg : int
    """

    def __init__(self, grid_values, n_pos_equal, n_neg_equal, n_neg_between):
        self.grid_values = np.asarray(grid_values, dtype=np.float64)
        self.n_pos_equal = np.asarray(n_pos_equal, dtype=np.int64)
        self.n_neg_equal = np.asarray(n_neg_equal, dtype=np.int64)
        self.n_neg_between = np.asarray(n_neg_between, dtype=np.int64)
        m = self.grid_values.size
        self.n_pos = int(self.n_pos_equal.sum())
        self.n_neg = int(self.n_neg_equal.sum() + self.n_neg_between.sum())

        # Interleave, in descending threshold order: corner above G[k] (negatives
        # strictly between G[k] and G[k+1]), then G[k] itself; last the corner
        # below G[0].
        n_points = 2 * m + 1
        thresholds = np.empty(n_points, np.float64)
        d_fp = np.empty(n_points, np.int64)
        d_tp = np.zeros(n_points, np.int64)
        is_grid = np.zeros(n_points, bool)
        descending = self.grid_values[::-1]
        thresholds[0:-1:2] = np.nextafter(descending, np.inf)
        thresholds[1::2] = descending
        thresholds[-1] = 0.0
        d_fp[0::2] = self.n_neg_between[::-1]
        d_fp[1::2] = self.n_neg_equal[::-1]
        d_tp[1::2] = self.n_pos_equal[::-1]
        is_grid[1::2] = True
        keep = is_grid | (d_fp > 0)  # drop empty corners
        self.thresholds = np.r_[np.inf, thresholds[keep]]
        self.tp = np.r_[0, np.cumsum(d_tp[keep])].astype(np.int64)
        self.fp = np.r_[0, np.cumsum(d_fp[keep])].astype(np.int64)
        self.is_grid = np.r_[False, is_grid[keep]]

    @classmethod
    def from_counts(cls, counts):
        """Build the curve of a :class:`~crbench.scoring.ThresholdCounts`."""
        return cls(counts.grid.values, counts.n_pos_equal, counts.n_neg_equal, counts.n_neg_between)

    # ------------------------------------------------------------------ points
    def _vertex_index(self):
        """Indices of distinct ROC points (zero-increment points removed)."""
        moved = np.r_[True, (np.diff(self.tp) != 0) | (np.diff(self.fp) != 0)]
        return np.flatnonzero(moved)

    def roc_points(self):
        """Return the ROC polyline as ``(fpr, tpr, thresholds)``, or None if undefined.

        Points are in descending threshold order starting at (0, 0, inf);
        repeated points (thresholds that flag no extra pixel) are dropped.
        """
        if self.n_pos == 0 or self.n_neg == 0:
            return None
        index = self._vertex_index()
        return self.fp[index] / self.n_neg, self.tp[index] / self.n_pos, self.thresholds[index]

    def pr_points(self):
        """Return ``(precision, recall, thresholds)`` at every positive score, or None.

        In descending threshold order. Equal to scikit-learn's
        ``precision_recall_curve`` at the same thresholds.
        """
        if self.n_pos == 0:
            return None
        index = self._positive_index()
        tp, fp = self.tp[index], self.fp[index]
        return tp / (tp + fp), tp / self.n_pos, self.thresholds[index]

    def _positive_index(self):
        return np.flatnonzero(self.is_grid & np.r_[False, np.diff(self.tp) > 0])

    # ------------------------------------------------------------------ metrics
    def tpr_at_fpr(self, fpr):
        """Return ``(tpr, threshold)``: the largest TPR with FPR <= ``fpr``.

        ``(None, None)`` when there are no positives or no negatives.
        """
        if self.n_pos == 0 or self.n_neg == 0:
            return None, None
        allowed = self.fp / self.n_neg <= fpr
        best = int(self.tp[allowed].max())  # the first point (0, 0) is always allowed
        if best == 0:
            return 0.0, None
        first = int(np.flatnonzero(allowed & (self.tp == best))[0])
        return best / self.n_pos, float(self.thresholds[first])

    def not_reached(self, fpr):
        """Always None: threshold +inf (flag nothing) reaches every FPR target (see :meth:`SweepCurve.not_reached`)."""
        return None

    def precision_at_tpr(self, tpr):
        """Return ``(precision, threshold)`` at the highest threshold with TPR >= ``tpr``."""
        if not 0 < tpr <= 1:
            raise InputError(f"target TPR must be in (0, 1], got {tpr!r}")
        if self.n_pos == 0:
            return None, None
        first = int(np.flatnonzero(self.tp / self.n_pos >= tpr)[0])
        tp, fp = int(self.tp[first]), int(self.fp[first])
        return tp / (tp + fp), float(self.thresholds[first])

    def counts_at(self, threshold):
        """Return ``{"tp", "fp", "fn", "tn"}`` at a grid threshold (score >= threshold)."""
        k = int(np.searchsorted(self.grid_values, threshold))
        if k >= self.grid_values.size or self.grid_values[k] != threshold:
            raise InputError(f"threshold {threshold!r} is not on the curve's threshold grid")
        tp = int(self.n_pos_equal[k:].sum())
        fp = int(self.n_neg_equal[k:].sum() + self.n_neg_between[k + 1 :].sum())
        return {"tp": tp, "fp": fp, "fn": self.n_pos - tp, "tn": self.n_neg - fp}

    def auroc(self):
        """Area under the ROC curve (Mann-Whitney, ties count 1/2), or None."""
        if self.n_pos == 0 or self.n_neg == 0:
            return None
        # negatives strictly below G[k]: between[0..k] + equal[0..k-1]
        below = np.cumsum(self.n_neg_between[:-1]) + np.r_[0, np.cumsum(self.n_neg_equal[:-1])]
        weight = 2 * below + self.n_neg_equal
        if 2 * self.n_pos * self.n_neg < 2**62:
            numerator = int(np.dot(self.n_pos_equal, weight))
        else:  # exact Python integers for astronomically large sets
            nonzero = np.flatnonzero(self.n_pos_equal)
            numerator = sum(int(a) * int(b) for a, b in zip(self.n_pos_equal[nonzero], weight[nonzero]))
        return numerator / (2 * self.n_pos * self.n_neg)

    def average_precision(self):
        """Average precision as in ``sklearn.metrics.average_precision_score``, or None."""
        if self.n_pos == 0:
            return None
        precision, recall, _ = self.pr_points()
        return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))

    # ------------------------------------------------------------------ storage
    def thinned(self, *, max_points=2000, keep_thresholds=()):
        """Return at most ``max_points`` exact curve points for storage.

        The points are a subset of the exact curve points: the first and last
        point, every point whose threshold is in ``keep_thresholds`` (pass
        the thresholds used by reported metrics), then ROC vertices that are
        not collinear with their neighbours, evenly spaced by rank if there
        are too many. Counts are stored (not rates) so every rate at a stored
        point is exact.

        Returns
        -------
        dict
            ``thresholds`` (None for +inf), ``tp``, ``fp``, ``n_pos``,
            ``n_neg``, ``n_points_full``.
        """
        if max_points < 2:
            raise InputError("max_points must be at least 2")
        vertices = self._vertex_index()
        if vertices.size > 2:
            d_fp, d_tp = np.diff(self.fp[vertices]), np.diff(self.tp[vertices])
            # exact integer cross product (|counts| < 2**31.5 each keeps it in int64)
            turning = d_fp[:-1] * d_tp[1:] != d_tp[:-1] * d_fp[1:]
            vertices = vertices[np.r_[True, turning, True]]
        required = {0, self.thresholds.size - 1}
        for threshold in keep_thresholds:
            if threshold is None:
                continue
            hits = np.flatnonzero(self.thresholds == threshold)
            if hits.size:
                required.add(int(hits[0]))
        required = np.array(sorted(required), dtype=np.intp)
        optional = np.setdiff1d(vertices, required)
        room = max_points - required.size
        if room <= 0:
            chosen = required[np.linspace(0, required.size - 1, max_points).round().astype(np.intp)]
        else:
            if optional.size > room:
                optional = optional[np.linspace(0, optional.size - 1, room).round().astype(np.intp)]
            chosen = np.union1d(required, optional)
        return {
            "thresholds": [None if np.isinf(t) else float(t) for t in self.thresholds[chosen]],
            "tp": self.tp[chosen].tolist(),
            "fp": self.fp[chosen].tolist(),
            "n_pos": self.n_pos,
            "n_neg": self.n_neg,
            "n_points_full": int(self._vertex_index().size),
        }

    def to_dict(self):
        """Return the exact, JSON-ready counts the curve is built from."""
        return {
            "grid": self.grid_values.tolist(),
            "n_pos_equal": self.n_pos_equal.tolist(),
            "n_neg_equal": self.n_neg_equal.tolist(),
            "n_neg_between": self.n_neg_between.tolist(),
        }

    @classmethod
    def from_dict(cls, data):
        """Inverse of :meth:`to_dict`."""
        return cls(data["grid"], data["n_pos_equal"], data["n_neg_equal"], data["n_neg_between"])

    def __repr__(self):
        return f"Curve(n_points={self.thresholds.size}, n_pos={self.n_pos}, n_neg={self.n_neg})"


def tpr_at_fpr(curve, fpr=1e-4):
    """Return ``(tpr, threshold)`` of ``curve`` at FPR <= ``fpr`` (see module docstring)."""
    return curve.tpr_at_fpr(fpr)


def precision_at_tpr(curve, tpr=0.95):
    """Return ``(precision, threshold)`` of ``curve`` at TPR >= ``tpr``."""
    return curve.precision_at_tpr(tpr)


def counts_at_threshold(curve, threshold):
    """Return ``{"tp", "fp", "fn", "tn"}`` of ``curve`` at ``threshold``."""
    return curve.counts_at(threshold)


def auroc(curve):
    """Return the AUROC of ``curve`` (None if undefined)."""
    return curve.auroc()


def average_precision(curve):
    """Return the average precision of ``curve`` (None if undefined)."""
    return curve.average_precision()
