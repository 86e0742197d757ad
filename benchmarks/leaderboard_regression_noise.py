"""How much do the checked metrics move under float-level noise in the score maps?

The regression check's default tolerances (crbench/leaderboard/data/regression_rules.yaml)
must stay above run-to-run float noise (BLAS / thread-count differences
change network outputs by ~1e-7..1e-6 relative) and below a 1-point drop.
This script scores seeded synthetic score maps of a small-split size, then
the same maps with relative noise ``--epsilon`` added, and prints the
largest change of every metric over ``--trials`` noise draws.

Usage::

    python benchmarks/leaderboard_regression_noise.py --images 8 --shape 512 --epsilon 1e-6 --trials 3
"""

import argparse

import numpy as np
from scipy import ndimage

from crbench.scoring import score_images


def make_maps(*, n_images, size, seed):
    """Seeded truth masks (short CR tracks) and score maps with a realistic overlap."""
    rng = np.random.default_rng(seed)
    items = []
    for index in range(n_images):
        truth = np.zeros((size, size), bool)
        n_tracks = size * size // 2000
        ys, xs = rng.integers(2, size - 6, n_tracks), rng.integers(2, size - 6, n_tracks)
        lengths = rng.integers(1, 6, n_tracks)
        for y, x, length in zip(ys, xs, lengths):
            truth[y, x:x + length] = True
        # a detector's logit: high on CR pixels, a heavy tail on a few bright "stars"
        # scored against the 3x3-dilated truth (the papers' protocol): the halo must score high too
        halo = ndimage.binary_dilation(truth, structure=np.ones((3, 3), bool))
        logit = rng.normal(-6.0, 1.5, truth.shape) + 9.0 * halo * rng.uniform(0.5, 1.3, truth.shape)
        stars = ndimage.gaussian_filter((rng.random(truth.shape) < 2e-4).astype(float), 2.0) * 60
        scores = (1 / (1 + np.exp(-(logit + stars)))).astype(np.float32)
        items.append((truth, None, scores, f"img{index}"))
    return items


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--shape", type=int, default=512)
    parser.add_argument("--epsilon", type=float, default=1e-6)
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    items = make_maps(n_images=args.images, size=args.shape, seed=args.seed)
    reference = score_images(items).metrics
    worst = {name: 0.0 for name in reference}
    rng = np.random.default_rng(args.seed + 1)
    for _ in range(args.trials):
        noisy = [
            (truth, ignore, np.clip(scores * (1 + args.epsilon * rng.standard_normal(scores.shape)), 0, 1).astype(np.float32), sid)
            for truth, ignore, scores, sid in items
        ]
        metrics = score_images(noisy).metrics
        for name, metric in metrics.items():
            if metric["value"] is not None and reference[name]["value"] is not None:
                worst[name] = max(worst[name], abs(metric["value"] - reference[name]["value"]))
    print(f"{args.images} images of {args.shape}x{args.shape}, relative noise {args.epsilon:g}, {args.trials} trials")
    for name, value in worst.items():
        print(f"{name:22s} value {reference[name]['value']!s:.8}  max |change| {value:.3g}")


if __name__ == "__main__":
    main()
