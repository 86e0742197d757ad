"""Wall time of one ``crbench run`` detect stage on the local, processes and dask executors, and Dask's per-task cost.

Runs :func:`crbench.runner.run_detector` with ``fresh=True`` (every image
detected), without object scores or bootstrap, on the first ``--limit``
images, in three modes: ``local`` (this process), ``processes`` (``jobs=2``
crbench worker processes) and ``dask`` (a LocalCluster of ``jobs=2``
single-threaded worker processes started and closed inside the run, as
``crbench run --executor dask --jobs 2`` does). Each mode's wall time
includes its start-up (spawning workers, setting the detector up there)
and the scoring, which is the same in every mode.

The per-task scheduler cost is measured apart, on a LocalCluster of two
workers: the seconds per task of ``client.gather(client.map(noop, ...))``
over ``--tasks`` tasks that do nothing (submit, schedule, run, return).

Run from the repository root (data sets are read from ``$CRBENCH_CACHE``):

    OMP_NUM_THREADS=1 python benchmarks/executor_overhead.py \\
        [--detector deepcr_pretrained] [--dataset sim_decam --size small] [--limit 32] [--tasks 400]
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fresh_run import fresh_run  # noqa: E402  (benchmarks/fresh_run.py, beside this script)

MODES = {"local": {}, "processes": {"jobs": 2, "executor": "processes"}, "dask": {"jobs": 2, "executor": "dask"}}


def one_run(detector_name, dataset_name, *, size, limit, cache_dir, mode):
    """(wall seconds, detect seconds summed over images, number of images, metrics) of one fresh run."""
    return fresh_run(detector_name, dataset_name, size=size, limit=limit, cache_dir=cache_dir,
                     **MODES[mode])


def _noop(index):
    return index


def per_task_seconds(n_tasks):
    """Seconds per do-nothing task on a LocalCluster of two single-threaded workers (after warm-up)."""
    from crbench.executors import dask_client

    with dask_client(n_workers=2) as client:
        client.gather(client.map(_noop, range(20), pure=False))  # warm-up
        start = time.perf_counter()
        client.gather(client.map(_noop, range(n_tasks), pure=False))
        return (time.perf_counter() - start) / n_tasks


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detector", default="deepcr_pretrained")
    parser.add_argument("--dataset", default="sim_decam")
    parser.add_argument("--size", default="small")
    parser.add_argument("--limit", type=int, default=32)
    parser.add_argument("--tasks", type=int, default=400)
    args = parser.parse_args(argv)
    rows, scores = [], {}
    with tempfile.TemporaryDirectory() as cache_dir:
        for mode in MODES:
            wall, detect, n_images, scores[mode] = one_run(args.detector, args.dataset, size=args.size,
                                                            limit=args.limit, cache_dir=cache_dir, mode=mode)
            rows.append((mode, wall, detect / n_images, n_images))
    identical = scores["dask"]["metrics"] == scores["local"]["metrics"] == scores["processes"]["metrics"]
    print(f"{args.detector} on {args.dataset}/{args.size}, {rows[0][3]} images, fresh; metrics identical: {identical}")
    print("| executor | wall s | detect s/img | speed-up vs local |")
    print("|---|---|---|---|")
    for mode, wall, per_image, _ in rows:
        print(f"| {mode} | {wall:.2f} | {per_image:.3f} | {rows[0][1] / wall:.2f}x |")
    print(f"dask per-task cost (do-nothing tasks, LocalCluster of 2): {per_task_seconds(args.tasks) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
