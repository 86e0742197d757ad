"""Counts and curves of mask detectors evaluated over a parameter sweep.

A mask detector (LACosmic, Astro-SCRAPPY, ...) gives one boolean mask per
value of its swept parameter (e.g. ``sigclip``). Each value is one ROC
point; :class:`SweepCounts` keeps TP/FP/FN/TN per value and is summed over
images like :class:`~crbench.scoring.ThresholdCounts`.

Conventions for sweep curves
----------------------------
The points need not be monotone in the swept value, so "highest threshold"
is replaced by "fewest predicted positives":

- **TPR at FPR** = the largest TPR among sweep points with FPR <= target;
  the value reported is the sweep value of the point reaching it with the
  fewest predicted positives. When some point is that strict but its best
  TPR is 0, the result is TPR 0 with value None (a measured point that
  finds nothing). When **no** point is that strict the target was **not
  reached**: TPR is None, never 0, and :meth:`SweepCurve.not_reached` gives
  the strictest point the sweep did measure (its FPR, TPR and sweep value).
  Unlike a score map, whose threshold +inf ("flag nothing") always reaches
  any FPR, a sweep has only the points it measured; reporting TPR 0 for a
  detector whose strictest point sits at FPR 2e-4 would rank it below one
  that reached the target with TPR 0.01.
- **Purity at TPR** = the precision of the point with TPR >= target that has
  the fewest predicted positives (ties: higher precision, then sweep order);
  None when no sweep value reaches the target TPR. For a monotone score
  curve this is the same rule as "highest threshold".
- **Operating point** = the counts at one given sweep value.
- **AUROC** = trapezoid rule over the points sorted by (FPR, TPR) with the
  end points (0, 0) and (1, 1) added. With a coarse sweep this linear
  interpolation is a rough, usually pessimistic estimate of what a score
  map of the same detector would give; it is reported for completeness and
  TPR at fixed FPR is the primary comparison.
- **Average precision** = ``sum_i (R_i - R_{i-1}) P_i`` over the points
  sorted by recall (ascending; ties: higher precision first), with
  ``R_0 = 0``: scikit-learn's step rule on the available points, which
  stops at the highest recall the sweep reaches.
"""

import numpy as np

from ..errors import InputError
from .counts import ImageCounts
from .prepare import prepare_image
from .protocol import DEFAULT_PROTOCOL

__all__ = ["SweepCounts", "SweepCurve", "as_mask_stack"]


def as_mask_stack(masks, *, values):
    """Return ``masks`` as a stack (n_values, ny, nx); a single 2-D mask is accepted for one value."""
    masks = np.asarray(masks)
    if masks.ndim == 2 and len(values) == 1:
        masks = masks[np.newaxis]
    return masks


class SweepCounts:
    """TP/FP/FN/TN per sweep value: the summable state of a mask detector.

    Attributes
    ----------
    values : tuple of float
        Sweep values, in the order given.
    tp, fp, fn, tn : ndarray of int64, shape (n_values,)
    n_ignored : int
    images : list of ImageCounts
    """

    def __init__(self, values, tp, fp, fn, tn, *, n_ignored=0, images=()):
        self.values = tuple(float(v) for v in values)
        self.tp, self.fp, self.fn, self.tn = (np.asarray(a, dtype=np.int64) for a in (tp, fp, fn, tn))
        for array in (self.tp, self.fp, self.fn, self.tn):
            if array.shape != (len(self.values),):
                raise InputError(f"sweep counts must have one entry per sweep value ({len(self.values)})")
        self.n_ignored = int(n_ignored)
        self.images = list(images)

    @classmethod
    def from_image(cls, truth, ignore, masks, *, values, protocol=DEFAULT_PROTOCOL, sample_id="?"):
        """Count one image's masks, one per sweep value.

        Parameters
        ----------
        truth : ndarray of bool, shape (ny, nx)
            Truth as stored (undilated).
        ignore : ndarray of bool, shape (ny, nx), or None
            True = ignored.
        masks : ndarray of bool, shape (n_values, ny, nx)
            One mask per sweep value (a single 2-D mask is accepted when
            there is one value). Integer or float 0/1 masks are accepted.
        values : sequence of float
            The sweep values, in the order of ``masks``.
        protocol : PixelProtocol
            Truth dilation, output dilation and ignore policy.
        sample_id : str
            Image id used in error messages.

        Returns
        -------
        SweepCounts
        """
        masks = as_mask_stack(masks, values=values)
        image = prepare_image(truth, ignore, masks, protocol=protocol, kind="mask", sample_id=sample_id)
        return cls.from_prepared(image, values=values)

    @classmethod
    def from_prepared(cls, image, *, values):
        """Count the mask stack of a :class:`~crbench.scoring.PreparedImage` (see :meth:`from_image`)."""
        values = [float(v) for v in values]
        if image.prediction.shape[0] != len(values):
            raise InputError(
                f"image {image.sample_id!r}: {image.prediction.shape[0]} masks for {len(values)} sweep values; "
                "detect_sweep must return one mask per value"
            )
        positive_index, excluded_index = image.positive_index, image.excluded_index
        n_pos, n_neg = image.n_pos, image.n_neg
        tp, fp = np.zeros(len(values), np.int64), np.zeros(len(values), np.int64)
        for i, mask in enumerate(image.output_masks()):
            flat = mask.reshape(-1)
            flagged = int(np.count_nonzero(flat)) - int(np.count_nonzero(flat[excluded_index]))
            tp[i] = np.count_nonzero(flat[positive_index])
            fp[i] = flagged - tp[i]
        state = cls(values, tp, fp, n_pos - tp, n_neg - fp, n_ignored=image.n_ignored)
        counts = ImageCounts(image.sample_id, image.n_pixels, n_pos, n_neg, image.n_ignored)
        for i, value in enumerate(values):
            counts.at_threshold.setdefault(
                value, {"tp": int(tp[i]), "fp": int(fp[i]), "fn": int(n_pos - tp[i]), "tn": int(n_neg - fp[i])}
            )
        state.images = [counts]
        return state

    def __add__(self, other):
        if not isinstance(other, SweepCounts):
            return NotImplemented
        if other.values != self.values:
            raise InputError(
                f"cannot sum sweep counts over different sweep values ({self.values} vs {other.values})"
            )
        return SweepCounts(
            self.values,
            self.tp + other.tp,
            self.fp + other.fp,
            self.fn + other.fn,
            self.tn + other.tn,
            n_ignored=self.n_ignored + other.n_ignored,
            images=self.images + other.images,
        )

    def __radd__(self, other):
        if other == 0:
            return self
        return NotImplemented

    def curve(self):
        """Return the :class:`SweepCurve` of these counts."""
        return SweepCurve(self.values, self.tp, self.fp, self.fn, self.tn)

    def to_dict(self, *, include_images=True):
        """Return a JSON-ready dict."""
        data = {
            "values": list(self.values),
            "tp": self.tp.tolist(),
            "fp": self.fp.tolist(),
            "fn": self.fn.tolist(),
            "tn": self.tn.tolist(),
            "n_ignored": self.n_ignored,
        }
        if include_images:
            data["images"] = [image.to_dict() for image in self.images]
        return data

    @classmethod
    def from_dict(cls, data):
        """Inverse of :meth:`to_dict`."""
        return cls(
            data["values"], data["tp"], data["fp"], data["fn"], data["tn"],
            n_ignored=data.get("n_ignored", 0),
            images=[ImageCounts.from_dict(row) for row in data.get("images", [])],
        )

    def __eq__(self, other):
        return isinstance(other, SweepCounts) and self.to_dict(include_images=False) == other.to_dict(
            include_images=False
        )

    def __repr__(self):
        return f"SweepCounts(values={self.values}, n_images={len(self.images)})"


class SweepCurve:
    """ROC/PR points of a parameter sweep (see the module docstring for the rules)."""

    def __init__(self, values, tp, fp, fn, tn):
        self.values = tuple(float(v) for v in values)
        self.tp, self.fp, self.fn, self.tn = (np.asarray(a, dtype=np.int64) for a in (tp, fp, fn, tn))
        totals_pos = self.tp + self.fn
        totals_neg = self.fp + self.tn
        if self.tp.size and (np.ptp(totals_pos) or np.ptp(totals_neg)):
            raise InputError("sweep counts disagree on the number of positives or negatives")
        self.n_pos = int(totals_pos[0]) if self.tp.size else 0
        self.n_neg = int(totals_neg[0]) if self.tp.size else 0

    def roc_points(self):
        """Return ``(fpr, tpr, values)`` in sweep order, or None if undefined."""
        if self.n_pos == 0 or self.n_neg == 0:
            return None
        return self.fp / self.n_neg, self.tp / self.n_pos, np.array(self.values)

    def pr_points(self):
        """Return ``(precision, recall, values)`` of points that flag something, or None."""
        if self.n_pos == 0:
            return None
        flagged = np.flatnonzero(self.tp + self.fp > 0)
        tp, fp = self.tp[flagged], self.fp[flagged]
        return tp / (tp + fp), tp / self.n_pos, np.array(self.values)[flagged]

    def _fewest_flagged(self, candidates, *, prefer_precision=False):
        """Among candidate indices, the one with fewest predicted positives."""
        flagged = self.tp[candidates] + self.fp[candidates]
        best = candidates[flagged == flagged.min()]
        if prefer_precision and best.size > 1:
            precision = self.tp[best] / (self.tp[best] + self.fp[best])
            best = best[precision == precision.max()]
        return int(best[0])

    def tpr_at_fpr(self, fpr):
        """Return ``(tpr, sweep value)``: largest TPR among points with FPR <= ``fpr``.

        ``(None, None)`` when undefined (no positives or negatives) or when no
        point reaches FPR <= ``fpr`` (see :meth:`not_reached`).
        """
        if self.n_pos == 0 or self.n_neg == 0:
            return None, None
        allowed = np.flatnonzero(self.fp / self.n_neg <= fpr)
        if allowed.size == 0:
            return None, None
        best = self.tp[allowed].max()
        if best == 0:
            return 0.0, None
        index = self._fewest_flagged(allowed[self.tp[allowed] == best])
        return int(best) / self.n_pos, self.values[index]

    def not_reached(self, fpr):
        """Describe the strictest measured point when no sweep point has FPR <= ``fpr``.

        Returns
        -------
        dict or None
            ``{"lowest_fpr", "tpr", "threshold"}``: the lowest FPR of any
            sweep point, the largest TPR among the points at that FPR and
            the sweep value of the one flagging the fewest pixels; None when
            the target is reached or the curve is undefined.
        """
        if self.n_pos == 0 or self.n_neg == 0 or not self.values:
            return None
        rates = self.fp / self.n_neg
        if (rates <= fpr).any():
            return None
        lowest = np.flatnonzero(self.fp == self.fp.min())
        best = lowest[self.tp[lowest] == self.tp[lowest].max()]
        index = self._fewest_flagged(best)
        return {"lowest_fpr": float(rates[index]), "tpr": int(self.tp[index]) / self.n_pos,
                "threshold": self.values[index]}

    def precision_at_tpr(self, tpr):
        """Return ``(precision, sweep value)`` of the strictest point with TPR >= ``tpr``."""
        if not 0 < tpr <= 1:
            raise InputError(f"target TPR must be in (0, 1], got {tpr!r}")
        if self.n_pos == 0:
            return None, None
        candidates = np.flatnonzero(self.tp / self.n_pos >= tpr)
        if candidates.size == 0:
            return None, None
        index = self._fewest_flagged(candidates, prefer_precision=True)
        tp, fp = int(self.tp[index]), int(self.fp[index])
        return tp / (tp + fp), self.values[index]

    def counts_at(self, value):
        """Return ``{"tp", "fp", "fn", "tn"}`` at one sweep value."""
        if value not in self.values:
            raise InputError(f"operating value {value!r} is not one of the sweep values {self.values}")
        i = self.values.index(value)
        return {"tp": int(self.tp[i]), "fp": int(self.fp[i]), "fn": int(self.fn[i]), "tn": int(self.tn[i])}

    def auroc(self):
        """Trapezoid area under the sorted sweep points plus (0, 0) and (1, 1), or None."""
        if self.n_pos == 0 or self.n_neg == 0:
            return None
        fpr = np.r_[0.0, self.fp / self.n_neg, 1.0]
        tpr = np.r_[0.0, self.tp / self.n_pos, 1.0]
        order = np.lexsort((tpr, fpr))
        fpr, tpr = fpr[order], tpr[order]
        return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))

    def average_precision(self):
        """Step-rule average precision over the sweep points sorted by recall, or None."""
        if self.n_pos == 0:
            return None
        precision, recall, _ = self.pr_points()
        if recall.size == 0:
            return 0.0
        order = np.lexsort((-precision, recall))
        precision, recall = precision[order], recall[order]
        return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))

    def thinned(self, *, max_points=2000, keep_thresholds=()):
        """Return every sweep point (sweeps are short) in the stored-curve format."""
        if len(self.values) > max_points:
            raise InputError(f"a sweep of {len(self.values)} values exceeds max_points={max_points}")
        return {
            "thresholds": list(self.values),
            "tp": self.tp.tolist(),
            "fp": self.fp.tolist(),
            "n_pos": self.n_pos,
            "n_neg": self.n_neg,
            "n_points_full": len(self.values),
        }

    def __repr__(self):
        return f"SweepCurve(n_points={len(self.values)}, n_pos={self.n_pos}, n_neg={self.n_neg})"
