"""Wall time of the same leaderboard rebuild with ``--executor processes`` and ``--executor dask``, in one run.

Each rebuild starts from an empty score cache (every image detected), has
no timing runs (``bench=False``) and writes into its own temporary folder;
the records of the two are compared without their timing keys. The
default job list mixes one adaptive mask sweep with two U-Nets on one data
set, the case where whole-run scheduling leaves a worker idle at the end.

    OMP_NUM_THREADS=1 python benchmarks/rebuild_executors.py \\
        [--detector astroscrappy --detector deepcr_pretrained --detector cosmic_conn_pretrained] \\
        [--dataset sim_lco_1m] [--size small] [--workers 2] [--order processes dask]
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crbench.jobs import rebuild  # noqa: E402
from crbench.testing.record_results import record_results_text  # noqa: E402


def timed_rebuild(executor, *, detectors, datasets, size, workers, scratch):
    """(wall seconds, {record name: results as JSON text}) of one rebuild from an empty cache."""
    out = Path(scratch) / executor
    start = time.perf_counter()
    report = rebuild(out, detectors=detectors, datasets=datasets, size=size, processes=workers, bench=False,
                     progress=False, cache_dir=Path(scratch) / f"cache-{executor}", executor=executor)
    wall = time.perf_counter() - start
    assert not report.failures, report.failures
    records = {path.name: record_results_text(json.loads(path.read_text()))
               for path in sorted((out / "records").glob("run__*.json"))}
    return wall, records


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detector", dest="detectors", action="append")
    parser.add_argument("--dataset", dest="datasets", action="append")
    parser.add_argument("--size", default="small")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--order", nargs="+", default=["processes", "dask"])
    args = parser.parse_args(argv)
    detectors = args.detectors or ["astroscrappy", "deepcr_pretrained", "cosmic_conn_pretrained"]
    datasets = args.datasets or ["sim_lco_1m"]
    walls, records = {}, {}
    with tempfile.TemporaryDirectory() as scratch:
        for executor in args.order:
            walls[executor], records[executor] = timed_rebuild(executor, detectors=detectors, datasets=datasets,
                                                               size=args.size, workers=args.workers, scratch=scratch)
    first = args.order[0]
    identical = all(records[executor] == records[first] for executor in args.order)
    print(f"rebuild of {', '.join(detectors)} on {', '.join(datasets)}/{args.size}, {args.workers} workers, "
          f"empty caches; records identical: {identical}")
    print("| executor | wall s | vs processes |")
    print("|---|---|---|")
    for executor in args.order:
        ratio = walls.get("processes", walls[first]) / walls[executor]
        print(f"| {executor} | {walls[executor]:.1f} | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
