"""Where the CPU of a ``crbench run --executor dask`` goes: the submitting process vs each worker process.

Runs one fresh detect stage on a LocalCluster of 2 workers (as
``--executor dask --jobs 2``) while a thread samples the CPU times of every
child process twice a second; the submitting process's own CPU time
(scheduler, nannies, client and scoring all live there on a LocalCluster)
is read around the run. On a 2-core machine that share competes with the
two workers: it explains Dask's gap to ``--jobs 2`` (docs/scaling.md).
``--config KEY=VALUE`` (repeatable) sets Dask configuration for the run,
e.g. ``distributed.worker.memory.monitor-interval=1s``.

    OMP_NUM_THREADS=1 python benchmarks/dask_process_cpu.py [--detector cosmic_conn_pretrained]
        [--dataset sim_lco_1m --size small] [--limit 4] [--config KEY=VALUE]
"""

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fresh_run import fresh_run  # noqa: E402  (benchmarks/fresh_run.py, beside this script)


def _sample_children(stop, seen):
    """Keep the latest CPU times of every child process until ``stop`` is set."""
    me = psutil.Process()
    while not stop.is_set():
        for child in me.children(recursive=True):
            try:
                seen[child.pid] = (" ".join(child.cmdline())[-60:], child.cpu_times())
            except psutil.Error:
                pass
        time.sleep(0.5)


def main(argv=None):
    import dask

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detector", default="cosmic_conn_pretrained")
    parser.add_argument("--dataset", default="sim_lco_1m")
    parser.add_argument("--size", default="small")
    parser.add_argument("--limit", type=int, default=4)
    parser.add_argument("--config", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    config = dict(item.split("=", 1) for item in args.config)
    stop, seen = threading.Event(), {}
    sampler = threading.Thread(target=_sample_children, args=(stop, seen), daemon=True)
    sampler.start()
    with tempfile.TemporaryDirectory() as cache_dir, dask.config.set(config):
        cpu_start = time.process_time()
        wall, detect, n_images, _ = fresh_run(args.detector, args.dataset, size=args.size, limit=args.limit,
                                              cache_dir=cache_dir, jobs=2, executor="dask")
        submitting_cpu = time.process_time() - cpu_start
    stop.set()
    sampler.join()
    print(f"{args.detector} on {args.dataset}/{args.size}, {n_images} images, dask config {config or 'crbench'}")
    print(f"wall {wall:.1f} s, detect {detect / n_images:.2f} s/img, submitting process {submitting_cpu:.1f} CPU s")
    for pid, (command, cpu) in sorted(seen.items()):
        print(f"child {pid}: {cpu.user + cpu.system:.1f} CPU s  ({command})")


if __name__ == "__main__":
    main()
