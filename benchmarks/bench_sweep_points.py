"""CPU cost of each sweep value of a mask detector, and of the coarse and leaderboard grids.

Runs ``adapter.detect`` once per value (the union of the first leaderboard's
coarse grid, the current leaderboard grid and the card's operating value) on
the first images of a simulated data set's test split, in this process, and
prints CPU seconds per megapixel per value. For ``lacosmic`` it also counts the
iterations upstream ran (its per-iteration log lines; L.A.Cosmic stops when an
iteration flags nothing new, at most ``maxiter``). The last lines sum the
per-value costs over each grid, so both grids are priced on the same images in
the same run.

Usage (from the repository root)::

    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/bench_sweep_points.py -d lacosmic --dataset sim_lco_1m --images 1
    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/bench_sweep_points.py -d lacosmic --dataset sim_decam --images 16
"""

import contextlib
import logging
import os
import time
from unittest import mock

import click
import numpy as np

from crbench.detectors import lacosmic_adapter
from crbench.inputs import prepare_input
from crbench.jobs.build import build_dataset, build_detector
from crbench.jobs.plan import COARSE_SWEEPS, LEADERBOARD_PARAMS


class _IterationCounter(logging.Handler):
    """Count upstream lacosmic's ``Iteration N: ...`` log lines."""

    def __init__(self):
        super().__init__(level=logging.INFO)
        self.count = 0

    def emit(self, record):
        if record.getMessage().startswith("Iteration"):
            self.count += 1


@contextlib.contextmanager
def _counting_iterations():
    """Let upstream's INFO lines through (the adapter silences them) to a counter, not to the terminal."""
    logger = logging.getLogger("astropy")
    counter = _IterationCounter()
    saved = logger.level, logger.propagate, list(logger.handlers)
    for handler in saved[2]:
        logger.removeHandler(handler)
    logger.addHandler(counter)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        with mock.patch.object(lacosmic_adapter, "_quiet_astropy_log", contextlib.nullcontext):
            yield counter
    finally:
        logger.removeHandler(counter)
        for handler in saved[2]:
            logger.addHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


@click.command()
@click.option("--detector", "-d", "name", type=click.Choice(sorted(COARSE_SWEEPS)), default="lacosmic",
              show_default=True)
@click.option("--dataset", default="sim_lco_1m", show_default=True, help="Data set (size small, split test).")
@click.option("--images", type=click.IntRange(min=1), default=1, show_default=True, help="First N test images.")
def main(name, dataset, images):
    data, _ = build_dataset(dataset, size="small")
    samples = [data.load_sample("test", sample_id) for sample_id in data.sample_ids("test")[:images]]
    detector = build_detector(name, LEADERBOARD_PARAMS[name])
    detector.apply_protocol(data.card.protocol_for(name))
    operating = detector.operating_point
    inputs = [prepare_input(sample, detector=detector) for sample in samples]
    megapixels = sum(sample.image.size for sample in samples) / 1e6
    grids = {"coarse": sorted({*COARSE_SWEEPS[name], operating}), "leaderboard": detector.sweep_values()}
    values = sorted(set(grids["coarse"]) | set(grids["leaderboard"]))
    click.echo(f"{name} on {dataset}: {len(samples)} image(s), {megapixels:.2f} Mpix, operating value {operating}, "
               f"load average {os.getloadavg()}")
    cost = {}
    counting = _counting_iterations() if name == "lacosmic" else contextlib.nullcontext()
    with counting as counter:
        for value in values:
            detector.params[detector.sweep_parameter] = value
            if counter is not None:
                counter.count = 0
            start = time.process_time()
            flagged = sum(int(np.count_nonzero(detector.detect(image, meta=meta))) for image, meta in inputs)
            cost[value] = (time.process_time() - start) / megapixels
            iterations = f"  iterations/image {counter.count / len(inputs):.2f}" if counter is not None else ""
            click.echo(f"  {value:7.3f}  {cost[value]:6.2f} CPU s/MP  flagged {flagged / (megapixels * 1e6):.2e}"
                       f"{iterations}")
    for label, grid in grids.items():
        total = sum(cost[value] for value in grid)
        click.echo(f"{label} grid ({len(grid)} values): {total:.2f} CPU s/MP, {total / len(grid):.2f} per value")


if __name__ == "__main__":
    main()
