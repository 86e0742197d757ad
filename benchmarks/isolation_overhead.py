"""Seconds per image of a run with detection in this process vs in an isolated worker process.

For each detector, runs :func:`crbench.runner.run_detector` on the same
images with ``fresh=True`` (every image detected, nothing from the score
cache), without object scores or bootstrap, in three modes:

- ``in-process``: the default fast path (``jobs=1``);
- ``isolated``: ``isolate=True``, one worker process that sets the detector
  up once (spawn start method) and returns each image's outcome over a pipe;
- ``timeout``: ``timeout=600`` (isolated, with the parent's per-image clock).

Each mode runs on the first image alone and on the first ``--limit``
images (repeats interleaved across modes; the best wall time is kept).
Reported per detector and mode: the run's wall seconds (including the
detector's set-up, in this process or in the worker, and scoring, which is
the same in every mode), the detect seconds per image measured around
``detect`` alone (in whichever process ran it), and the overhead over
in-process: ``start-up s`` (one-image runs: spawning the worker, importing
crbench in it, setting the detector up there instead of here) and
``per-image s`` (the extra seconds of each further image: sending the task,
returning the outcome, the parent's clock), which is
``((iso_N - in_N) - (iso_1 - in_1)) / (N - 1)``. Run from
the repository root:

    OMP_NUM_THREADS=1 python benchmarks/isolation_overhead.py \\
        [--detector astroscrappy --detector cosmic_conn_pretrained] [--dataset sim_decam --size small]
        [--limit 10] [--repeats 3]
"""

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fresh_run import fresh_run  # noqa: E402  (benchmarks/fresh_run.py, beside this script)

MODES = {"in-process": {}, "isolated": {"isolate": True}, "timeout": {"timeout": 600.0}}


def one_run(detector_name, dataset_name, *, size, limit, cache_dir, mode):
    """(wall seconds, detect seconds summed over images, number of images) of one fresh run."""
    return fresh_run(detector_name, dataset_name, size=size, limit=limit, cache_dir=cache_dir,
                     **MODES[mode])[:3]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detector", action="append", help="Detector name (repeatable).")
    parser.add_argument("--dataset", default="tiny")
    parser.add_argument("--size", default=None)
    parser.add_argument("--limit", type=int, default=3, help="Images of the longer run (at least 2).")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    detectors = args.detector or ["astroscrappy", "cosmic_conn_pretrained"]
    print(f"data set {args.dataset} (size {args.size}); best of {args.repeats} fresh runs on 1 and {args.limit} images")
    print(f"{'detector':24} {'mode':11} {'wall s (1)':>10} {'wall s (N)':>10} {'detect s/img':>12} "
          f"{'start-up s':>10} {'per-image s':>11}")
    with tempfile.TemporaryDirectory() as cache_dir:
        for detector_name in detectors:
            best = {}
            for _ in range(args.repeats):
                for limit in (1, args.limit):
                    for mode in MODES:
                        wall, detect, n_images = one_run(detector_name, args.dataset, size=args.size, limit=limit,
                                                         cache_dir=cache_dir, mode=mode)
                        key = (mode, limit)
                        if key not in best or wall < best[key][0]:
                            best[key] = (wall, detect, n_images)
            n_images = best[("in-process", args.limit)][2]
            for mode in MODES:
                wall_1, wall_n = best[(mode, 1)][0], best[(mode, args.limit)][0]
                startup = wall_1 - best[("in-process", 1)][0]
                per_image = ((wall_n - best[("in-process", args.limit)][0]) - startup) / (n_images - 1)
                detect = best[(mode, args.limit)][1] / n_images
                print(f"{detector_name:24} {mode:11} {wall_1:10.3f} {wall_n:10.3f} {detect:12.3f} {startup:10.3f} "
                      f"{per_image:11.4f}")


if __name__ == "__main__":
    main()
