"""TPR at fixed FPR of the UNet-3-32 detectors as a function of stamp size (and weights).

GroupNorm models normalise over each stamp, so their scores depend on the
stamp size; this script measures how much. It also compares a
``crbench train`` checkpoint with the published weights on the same split.

    CRBENCH_WEIGHTS_DIR=../shared/weights/attention_decam_2022 \\
        python benchmarks/eval_unet_stamp_size.py --dataset sim_decam --split test \\
            --detectors att_cosmic_conn cosmic_conn --stamps 256 512 1024 \\
            [--weights att_cosmic_conn=PATH.pth] [--limit N]

Scoring follows the data set card: truth dilated by ``truth_dilation``,
ignored pixels excluded (``ignore_policy = "exclude"``) or counted as
negatives (``"negative"``); pooled over all images of the split. Metrics are
computed here from pixel counts (TPR at the threshold whose FPR is the
largest not above the target); crbench's scorer is the reference for
published results.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crbench.datasets import get_dataset_class  # noqa: E402
from crbench.detectors import convert_units, get_detector_class  # noqa: E402


def tpr_at_fpr(positive_scores, negative_scores, fpr):
    """TPR at the strictest threshold whose FPR does not exceed ``fpr`` (flag = score > threshold)."""
    negatives = np.sort(negative_scores)[::-1]
    allowed = int(np.floor(fpr * negatives.size))
    threshold = negatives[allowed] if allowed < negatives.size else -np.inf
    return float(np.mean(positive_scores > threshold)), float(threshold)


def evaluate(detector, dataset, split, *, limit):
    positives, negatives = [], []
    tp = fp = fn = 0
    dilation = dataset.card.truth_dilation
    for sample in dataset.iter_samples(split, limit=limit):
        meta = sample.meta
        image = convert_units(sample.image, from_units=meta.units, to_units=detector.input_units, gain=meta.gain)
        scores = detector.detect(image, meta=meta.in_units(detector.input_units))
        truth = sample.truth
        if dilation > 1:
            truth = ndimage.binary_dilation(truth, structure=np.ones((dilation, dilation), bool))
        scored = ~sample.ignore if dataset.card.ignore_policy == "exclude" else np.ones_like(truth)
        truth = truth & scored if dataset.card.ignore_policy == "exclude" else truth & ~sample.ignore
        positives.append(scores[truth])
        negatives.append(scores[scored & ~truth])
        flagged = scores >= detector.params["threshold"]
        tp += int((flagged & truth).sum())
        fp += int((flagged & scored & ~truth).sum())
        fn += int((~flagged & truth).sum())
    positives, negatives = np.concatenate(positives), np.concatenate(negatives)
    return {
        "tpr_at_fpr_1e-4": tpr_at_fpr(positives, negatives, 1e-4)[0],
        "tpr_at_fpr_1e-3": tpr_at_fpr(positives, negatives, 1e-3)[0],
        "precision_at_threshold": tp / (tp + fp) if tp + fp else float("nan"),
        "recall_at_threshold": tp / (tp + fn) if tp + fn else float("nan"),
        "f1_at_threshold": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else float("nan"),
        "n_positive": int(positives.size),
        "n_negative": int(negatives.size),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--size", default=None)
    parser.add_argument("--split", default="test")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--detectors", nargs="+", default=["att_cosmic_conn"])
    parser.add_argument("--stamps", nargs="+", type=int, default=[256])
    parser.add_argument("--weights", nargs="*", default=[], help="NAME=PATH: also evaluate this checkpoint")
    args = parser.parse_args(argv)

    dataset = get_dataset_class(args.dataset)(size=args.size)
    dataset.check_available()
    runs = [(name, None) for name in args.detectors]
    for item in args.weights:
        name, _, path = item.partition("=")
        runs.append((name, path))
    print(f"{'detector':18s} {'weights':28s} {'stamp':>5s} {'TPR@1e-4':>9s} {'TPR@1e-3':>9s} "
          f"{'prec@0.5':>8s} {'F1@0.5':>7s}")  # fmt: skip
    for name, weights in runs:
        for stamp in args.stamps:
            detector = get_detector_class(name)(weights=weights, stamp=stamp)
            detector.apply_protocol(dataset.card.protocol_for(name))
            detector.setup(device="cpu")
            result = evaluate(detector, dataset, args.split, limit=args.limit)
            label = "published" if weights is None else Path(weights).name
            print(f"{name:18s} {label:28s} {stamp:5d} {result['tpr_at_fpr_1e-4']:9.4f} "
                  f"{result['tpr_at_fpr_1e-3']:9.4f} {result['precision_at_threshold']:8.4f} "
                  f"{result['f1_at_threshold']:7.4f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
