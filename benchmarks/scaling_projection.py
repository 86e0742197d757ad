"""Project the paper-scale leaderboard's wall time on N Dask workers from measured costs, and say what stops scaling.

A projection on paper, not a run: every input is a measurement made
elsewhere and passed in (defaults: the figures in docs/scaling.md).

- Jobs: every leaderboard detector on every ``sim_*`` data set at size
  ``full`` (test split; image counts and shapes from the data set layouts,
  nothing is generated) plus the two real sets at their one size.
- Detection CPU seconds per megapixel and sweep value: score detectors from
  the leaderboard's ``crbench bench`` records (``leaderboard/records/bench__*``),
  mask detectors from :data:`crbench.jobs.plan.COST_HINT` (mean over the
  leaderboard grid). Sweep values and adaptive rounds per job: the final grid
  and rounds of the committed small-size record of the same detector and
  data set (else the grid plus the operating value, one round).
- Scoring: CPU seconds per megapixel of the submitting process
  (``benchmarks/score_stage_cost.py``), per score map or per mask value.
- Scheduler: seconds per task (``benchmarks/executor_overhead.py``), taken
  as serial (one scheduler).

For N workers: detection ``sum / N``; scheduling ``tasks x cost``; scoring
``sum / N`` added to the detection where the job drivers run on the workers
(``crbench.jobs.graph``, the default), or ``sum / scoring cores`` as its own
bound with ``--scoring-in-client`` (every job scored in the submitting
process); critical path: the longest job's chain of rounds, each at least
one chunk long. The wall time is the largest of these plus start-up; the
largest names the limit.

    python benchmarks/scaling_projection.py [--workers 1 8 64] [--score-cpu-per-mpix 0.15]
        [--mask-score-cpu-per-mpix-value 0.0125] [--task-seconds 0.0019] [--scoring-in-client --scoring-cores 1]
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crbench.datasets import DATASETS  # noqa: E402
from crbench.executors import chunk_ids  # noqa: E402
from crbench.jobs.footprint import MASK_BYTES_PER_PIXEL_PER_VALUE, SCORE_BYTES_PER_PIXEL  # noqa: E402
from crbench.jobs.plan import COST_HINT, LEADERBOARD_PARAMS, TEST_DOUBLES  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RECORDS = REPO / "leaderboard" / "records"
REAL_SETS = ("decam_stack", "decam_inject")


def detector_costs():
    """CPU s per Mpix per call: bench records for score detectors, COST_HINT for mask detectors."""
    costs = {}
    for path in sorted(RECORDS.glob("bench__*.json")):
        record = json.loads(path.read_text())
        costs[path.name.split("__")[1]] = record["seconds_per_megapixel"]
    costs.update(COST_HINT)
    return costs


def small_records():
    """``{(detector, data set): (n sweep values, n rounds, megapixels, n images)}`` of the committed records."""
    found = {}
    for path in sorted(RECORDS.glob("run__*.json")):
        record = json.loads(path.read_text())
        refinement = record.get("sweep_refinement") or {}
        values = record.get("counts", {}).get("values") or []
        found[(record["detector"]["name"], record["dataset"]["name"])] = (
            max(1, len(values)), max(1, len(refinement.get("rounds", [])) or 1),
            record["dataset"]["n_pixels"] / 1e6, record["dataset"]["n_images"])
    return found


def full_layout(name):
    """(n test images, megapixels per image) of ``name`` at size full."""
    layout = DATASETS.get(name)(size="full").layout()
    rows, cols = layout["shape"]
    return layout["counts"]["test"], rows * cols / 1e6


def plan_jobs(costs, records):
    """One dict per (detector, data set) of the paper-scale leaderboard."""
    detectors = sorted({detector for detector, _ in records} - TEST_DOUBLES)
    datasets = sorted({dataset for _, dataset in records if dataset.startswith("sim_")}) + list(REAL_SETS)
    jobs = []
    for detector in detectors:
        for dataset in datasets:
            if (detector, dataset) not in records or detector not in costs:
                continue
            n_values, n_rounds, small_mpix, small_images = records[(detector, dataset)]
            if dataset in REAL_SETS:
                n_images, image_mpix = small_images, small_mpix / small_images
            else:
                n_images, image_mpix = full_layout(dataset)
            if detector in LEADERBOARD_PARAMS and n_values == 1:  # no adaptive record: the grid plus the operating value
                n_values = len(LEADERBOARD_PARAMS[detector]["sweep"]) + 1
            jobs.append({"detector": detector, "dataset": dataset, "n_images": n_images, "image_mpix": image_mpix,
                         "n_values": n_values, "n_rounds": n_rounds, "mask": detector in COST_HINT,
                         "cpu_per_image": costs[detector] * image_mpix * n_values})
    return jobs


def cache_bytes(jobs):
    """Bytes of compressed score-cache entries the workers write and the scoring process reads back."""
    return sum(job["n_images"] * job["image_mpix"] * 1e6
               * (MASK_BYTES_PER_PIXEL_PER_VALUE * job["n_values"] if job["mask"] else SCORE_BYTES_PER_PIXEL)
               for job in jobs)


def project(jobs, *, n_workers, score_cpu_per_mpix, mask_score_cpu_per_mpix_value, task_seconds, scoring_cores,
            startup_seconds, file_system_bytes_per_second, scoring_in_client=False):
    """The four bounds and the projected wall seconds on ``n_workers`` workers."""
    detect = sum(job["cpu_per_image"] * job["n_images"] for job in jobs) / n_workers
    n_tasks = sum(len(chunk_ids(range(job["n_images"]), n_workers=n_workers)) * job["n_rounds"] for job in jobs)
    schedule = n_tasks * task_seconds
    score = sum(job["n_images"] * job["image_mpix"] * (mask_score_cpu_per_mpix_value * job["n_values"] if job["mask"]
                                                      else score_cpu_per_mpix) for job in jobs)
    if scoring_in_client:
        score /= scoring_cores
    else:  # the drivers score on the workers, beside the chunks
        detect, score = detect + score / n_workers, 0.0
    chain = 0.0
    for job in jobs:
        chunk = len(chunk_ids(range(job["n_images"]), n_workers=n_workers)[0])
        # each round waits for its slowest chunk; all rounds together detect every value once per image
        per_value = chunk * job["cpu_per_image"] / job["n_values"]
        chain = max(chain, per_value * job["n_values"] + per_value * (job["n_rounds"] - 1))
    # written once by the workers and read once by the scoring process, through one shared file system
    io = 2 * cache_bytes(jobs) / file_system_bytes_per_second
    bounds = {"detection": detect, "scheduler": schedule, "scoring": score, "critical path": chain, "cache I/O": io}
    limit = max(bounds, key=bounds.get)
    return bounds, limit, bounds[limit] + startup_seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 8, 64])
    parser.add_argument("--score-cpu-per-mpix", type=float, default=0.15)
    parser.add_argument("--mask-score-cpu-per-mpix-value", type=float, default=0.0125)
    parser.add_argument("--task-seconds", type=float, default=0.0019)
    parser.add_argument("--scoring-in-client", action="store_true",
                        help="Score every job in the submitting process (drivers as threads there).")
    parser.add_argument("--scoring-cores", type=float, default=1.0,
                        help="Cores the submitting process scores on (with --scoring-in-client).")
    parser.add_argument("--startup-seconds", type=float, default=10.0)
    parser.add_argument("--file-system-mb-per-s", type=float, default=200.0,
                        help="Bandwidth of the shared file system that holds the score cache.")
    args = parser.parse_args(argv)
    jobs = plan_jobs(detector_costs(), small_records())
    total_mpix = sum(job["n_images"] * job["image_mpix"] for job in jobs)
    print(f"{len(jobs)} jobs, {total_mpix / 1e3:.1f} Gpix of detector input "
          f"({sum(job['cpu_per_image'] * job['n_images'] for job in jobs) / 3600:.1f} CPU h of detection), "
          f"{cache_bytes(jobs) / 1e9:.0f} GB of compressed score cache")
    detection = "detection h" if args.scoring_in_client else "detection + scoring h"
    print(f"| workers | {detection} | scoring in client h | scheduler h | critical path h | cache I/O h "
          "| projected wall h | limit |")
    print("|---|---|---|---|---|---|---|---|")
    for n_workers in args.workers:
        bounds, limit, wall = project(jobs, n_workers=n_workers, score_cpu_per_mpix=args.score_cpu_per_mpix,
                                      mask_score_cpu_per_mpix_value=args.mask_score_cpu_per_mpix_value,
                                      task_seconds=args.task_seconds, scoring_cores=args.scoring_cores,
                                      startup_seconds=args.startup_seconds,
                                      file_system_bytes_per_second=args.file_system_mb_per_s * 1e6,
                                      scoring_in_client=args.scoring_in_client)
        print(f"| {n_workers} | {bounds['detection'] / 3600:.2f} | {bounds['scoring'] / 3600:.2f} | "
              f"{bounds['scheduler'] / 3600:.3f} | {bounds['critical path'] / 3600:.2f} | "
              f"{bounds['cache I/O'] / 3600:.2f} | {wall / 3600:.2f} | {limit} |")
    slowest = max(jobs, key=lambda job: job["cpu_per_image"] * job["n_images"])
    print(f"most expensive job: {slowest['detector']} on {slowest['dataset']}, "
          f"{slowest['cpu_per_image'] * slowest['n_images'] / 3600:.1f} CPU h "
          f"({slowest['n_images']} images x {slowest['n_values']} values)")


if __name__ == "__main__":
    main()
