"""Independent reference computations for the scoring tests.

Everything here works on the fully materialised, flattened pixels (as
scikit-learn would) so that it shares no code path with crbench's counting.
"""

import numpy as np
from sklearn.metrics import precision_recall_curve, roc_curve

from crbench.scoring import PixelProtocol, prepare_pixels


def flattened(items, **options):
    """Concatenate the scored pixels of ``(truth, ignore, scores, id)`` items."""
    labels, scores = [], []
    for truth, ignore, prediction, sample_id in items:
        prepared = prepare_pixels(truth, ignore, prediction, sample_id=sample_id, protocol=PixelProtocol(**options))
        labels.append(prepared.labels)
        scores.append(prepared.scores.astype(np.float64))
    return np.concatenate(labels), np.concatenate(scores)


def brute_counts(labels, scores, threshold):
    """(tp, fp) of "score >= threshold" by direct comparison."""
    flagged = scores >= threshold
    return int(np.count_nonzero(flagged & labels)), int(np.count_nonzero(flagged & ~labels))


def sklearn_roc_counts(labels, scores):
    """(fps, tps, thresholds) of every distinct threshold, from sklearn's roc_curve."""
    fpr, tpr, thresholds = roc_curve(labels, scores, drop_intermediate=False)
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    return np.rint(fpr * n_neg).astype(np.int64), np.rint(tpr * n_pos).astype(np.int64), thresholds


def canonical_polyline(fps, tps):
    """Distinct, non-collinear vertices of a ROC polyline given by integer counts."""
    points = np.stack([fps, tps], axis=1).astype(np.int64)
    keep = np.r_[True, np.any(np.diff(points, axis=0) != 0, axis=1)]
    points = points[keep]
    if len(points) <= 2:
        return [tuple(p) for p in points]
    d = np.diff(points, axis=0)
    turning = d[:-1, 0] * d[1:, 1] != d[:-1, 1] * d[1:, 0]
    points = points[np.r_[True, turning, True]]
    return [tuple(int(v) for v in p) for p in points]


def sklearn_tpr_at_fpr(labels, scores, target):
    """Largest TPR with FPR <= target and the highest threshold reaching it."""
    fpr, tpr, thresholds = roc_curve(labels, scores, drop_intermediate=False)
    allowed = fpr <= target
    best = tpr[allowed].max()
    if best == 0:
        return 0.0, None
    return float(best), float(thresholds[allowed & (tpr == best)].max())


def sklearn_precision_at_tpr(labels, scores, target):
    """Precision at the highest threshold whose recall >= target."""
    precision, recall, thresholds = precision_recall_curve(labels, scores)
    precision, recall = precision[:-1], recall[:-1]  # drop sklearn's (1, 0) end point
    candidates = np.flatnonzero(recall >= target)
    best = candidates[np.argmax(thresholds[candidates])]
    return float(precision[best]), float(thresholds[best])
