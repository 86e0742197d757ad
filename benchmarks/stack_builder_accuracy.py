"""Recall and false-positive rate of the stack truth builder on synthetic stacks (issue 15).

:func:`crbench.stack.build_stack_truth` labels cosmic rays by comparing each
frame with the others; this script measures how often it is right, on
seeded synthetic stacks (:func:`crbench.stack.synthetic.make_synthetic_stack`)
whose CR charge is known: 8 frames of 256 x 256 pixels, 80 stars with
Gaussian PSFs of FWHM 2.8-4.5 px varying frame to frame, transparency
0.85-1.10, a residual background per frame, a saturated star, Poisson sky
(2000 e-) and source noise, 7 e- read noise, 20 CRs per frame (spots and
tracks, peak 3-300 sky sigmas). Two variants: all frames native, and seven
of eight LANCZOS3-resampled by a random sub-pixel shift (correlated noise,
ringing CR edges), as the nine resampled DECam frames of ``decam_stack``.

Printed per variant, summed over the seeds: object recall by peak S/N of
the CR (peak charge over the sky's per-pixel sigma; found = a truth pixel
within one pixel of the CR), CRs left out because most of their pixels are
ignored, the false truth pixels (more than one pixel from any CR charge)
per million scored pixels, and the ignored fraction.

Usage (from the repository root; about 10 s)::

    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/stack_builder_accuracy.py [--seeds 5]
"""

import argparse

from crbench.stack import build_stack_truth
from crbench.stack.accuracy import SNR_BINS, builder_accuracy
from crbench.stack.synthetic import make_synthetic_stack

VARIANTS = {"native": (), "resampled (7 of 8 frames)": (1, 2, 3, 4, 5, 6, 7)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    bins = list(zip(SNR_BINS[:-1], SNR_BINS[1:]))
    header = " | ".join(f"S/N {low:g}-{high:g}" for low, high in bins)
    print(f"| variant | {header} | recall >= 8 | ignored CRs | false px / Mpix | ignored fraction |")
    print("|---" * (len(bins) + 5) + "|")
    for label, resampled in VARIANTS.items():
        total = None
        ignored = scored = 0
        for seed in range(args.seeds):
            stack = make_synthetic_stack(1000 + seed, shape=(256, 256), n_stars=80, n_crs=20, resampled=resampled)
            results = build_stack_truth(stack.images, gains=stack.gains, read_noises=stack.read_noises,
                                        saturations=stack.saturations)
            accuracy = builder_accuracy(results, stack)
            total = accuracy if total is None else total.add(accuracy)
            ignored += sum(int(result.ignore.sum()) for result in results)
            scored += sum(result.ignore.size for result in results)
        cells = " | ".join(f"{total.found[key]}/{total.total[key]} ({total.found[key] / max(total.total[key], 1):.2f})"
                           for key in bins)
        print(f"| {label} | {cells} | {total.recall(min_snr=8):.3f} | {total.ignored_objects} | "
              f"{total.false_pixels_per_mpix:.0f} ({total.false_pixels} px) | {ignored / scored:.3f} |")
    print(f"\n{args.seeds} seeds x 8 frames x 256 x 256 per variant; CR peak S/N bins {SNR_BINS}")


if __name__ == "__main__":
    main()
