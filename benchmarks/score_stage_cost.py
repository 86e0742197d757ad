"""Seconds per megapixel of crbench's scoring stage alone: what the process that scores pays per image detected elsewhere.

With any executor the workers detect and cache, and the submitting process
scores (both pixel passes, objects, the 1000-resample bootstrap) from the
cache. This script fills a fresh score cache with one run, then runs the
same configuration again from the cache: that second run is the scoring
stage (cache reads and decompression included) and nothing else. CPU
seconds are reported beside wall seconds because the wall time moves with
the machine's load; the projection in docs/scaling.md uses CPU seconds.

    OMP_NUM_THREADS=1 python benchmarks/score_stage_cost.py [--detector deepcr_pretrained]
        [--dataset sim_lco_1m --size small] [--limit 2] [--leaderboard-params]
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crbench.jobs.build import build_dataset, build_detector  # noqa: E402
from crbench.jobs.plan import LEADERBOARD_PARAMS  # noqa: E402
from crbench.runner import run_detector  # noqa: E402


def timed_run(detector_name, dataset_name, *, size, limit, cache_dir, params):
    """(wall s, CPU s of this process, megapixels, images from cache) of one run with the rebuild's scoring."""
    detector = build_detector(detector_name, params)
    dataset, dataset_kwargs = build_dataset(dataset_name, size=size)
    wall, cpu = time.perf_counter(), time.process_time()
    result = run_detector(detector, dataset, limit=limit, cache_dir=cache_dir, progress=False,
                          dataset_kwargs=dataset_kwargs)
    megapixels = sum(outcome.shape[0] * outcome.shape[1] for outcome in result.outcomes) / 1e6
    return time.perf_counter() - wall, time.process_time() - cpu, megapixels, result.n_from_cache


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detector", default="deepcr_pretrained")
    parser.add_argument("--dataset", default="sim_lco_1m")
    parser.add_argument("--size", default="small")
    parser.add_argument("--limit", type=int, default=2)
    parser.add_argument("--leaderboard-params", action="store_true",
                        help="Use the leaderboard's parameters (sweep grid, adaptive refinement) for mask detectors.")
    args = parser.parse_args(argv)
    params = LEADERBOARD_PARAMS.get(args.detector) if args.leaderboard_params else None
    with tempfile.TemporaryDirectory() as cache_dir:
        first = timed_run(args.detector, args.dataset, size=args.size, limit=args.limit, cache_dir=cache_dir,
                          params=params)
        scoring = timed_run(args.detector, args.dataset, size=args.size, limit=args.limit, cache_dir=cache_dir,
                            params=params)
    megapixels = first[2]
    print(f"{args.detector} on {args.dataset}/{args.size}, {args.limit} image(s), {megapixels:.1f} Mpix; "
          f"second run: {scoring[3]} image(s) from the cache")
    print("| run | wall s | CPU s | wall s/Mpix | CPU s/Mpix |")
    print("|---|---|---|---|---|")
    for name, (wall, cpu, _, _) in (("detect + score", first), ("score only (from cache)", scoring)):
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {wall / megapixels:.3f} | {cpu / megapixels:.3f} |")


if __name__ == "__main__":
    main()
