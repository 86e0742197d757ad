"""CPU a Dask worker's own threads take beside a running task: Dask's defaults vs crbench's LocalCluster settings.

A one-worker LocalCluster runs a CPU-bound numpy task of fixed wall time;
inside the task, the worker process's CPU time (every thread) and the
task thread's CPU time are read before and after. Their difference is what
the worker's other threads (event loop, heartbeats, statistical profiler,
system monitor) used meanwhile, given as a share of the task's CPU time.
Unlike a wall-time comparison this does not depend on what else the
machine is doing; configurations alternate so that drift shows.

    OMP_NUM_THREADS=1 python benchmarks/dask_worker_overhead.py [--seconds 3] [--tasks 3] [--rounds 2]
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crbench.executors import LOCAL_CLUSTER_CONFIG  # noqa: E402

#: Dask's own defaults, but for the malloc setting, which changes the task's speed rather than the other threads'.
DASK_DEFAULTS = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}


def busy_task(seconds):
    """Square-root a 512x512 array for ``seconds``; return (process CPU s, this thread's CPU s)."""
    process_start, thread_start, wall_start = time.process_time(), time.thread_time(), time.perf_counter()
    values = np.random.default_rng(0).random((512, 512))
    while time.perf_counter() - wall_start < seconds:
        for _ in range(20):
            values = np.sqrt(values * 1.0001 + 0.1)
    return time.process_time() - process_start, time.thread_time() - thread_start


def other_threads_share(config, *, seconds, n_tasks):
    """CPU of the worker's other threads / CPU of the task thread, over ``n_tasks`` tasks (after a warm-up)."""
    import dask
    from distributed import Client, LocalCluster

    with dask.config.set(config):
        cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0")
    with cluster, Client(cluster) as client:
        client.submit(busy_task, 0.5, pure=False).result()
        times = [client.submit(busy_task, seconds, pure=False).result() for _ in range(n_tasks)]
    process_seconds = sum(process for process, _ in times)
    task_seconds = sum(task for _, task in times)
    return (process_seconds - task_seconds) / task_seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="Wall seconds of each task.")
    parser.add_argument("--tasks", type=int, default=3, help="Tasks per measurement.")
    parser.add_argument("--rounds", type=int, default=2, help="Alternations of the two configurations.")
    args = parser.parse_args(argv)
    print("| round | Dask defaults | crbench LocalCluster |")
    print("|---|---|---|")
    for round_index in range(args.rounds):
        shares = [other_threads_share(config, seconds=args.seconds, n_tasks=args.tasks)
                  for config in (DASK_DEFAULTS, LOCAL_CLUSTER_CONFIG)]
        print(f"| {round_index + 1} | {shares[0]:.2%} | {shares[1]:.2%} |", flush=True)


if __name__ == "__main__":
    main()
