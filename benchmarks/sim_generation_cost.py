"""CPU seconds per megapixel of simulating samples (crbench.jobs.footprint.GENERATE_SECONDS_PER_MPIX).

Generates a few test samples of each data set in memory (nothing is
cached) after one warm-up sample, and prints seconds per megapixel. Run
from the repository root:

    OMP_NUM_THREADS=1 python benchmarks/sim_generation_cost.py [--dataset sim_decam:16 --dataset sim_lco_1m:2]
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crbench.datasets import DATASETS  # noqa: E402
from crbench.datasets.sim import generate_sample  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", action="append", default=None, help="NAME:N_SAMPLES (small size's shape)")
    args = parser.parse_args(argv)
    for spec in args.dataset or ["sim_decam:16", "sim_lco_1m:2"]:
        name, _, count = spec.partition(":")
        dataset = DATASETS.get(name)(size="small")
        ny, nx = dataset.layout()["shape"]
        generate_sample(dataset, "test", 0)  # warm-up: imports, profile tables
        start = time.perf_counter()
        for index in range(1, int(count) + 1):
            generate_sample(dataset, "test", index)
        seconds = time.perf_counter() - start
        megapixels = int(count) * ny * nx / 1e6
        print(f"{name}: {seconds:.1f} s for {megapixels:.2f} Mpix = {seconds / megapixels:.2f} s/Mpix")
    return 0


if __name__ == "__main__":
    sys.exit(main())
