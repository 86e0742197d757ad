"""One fresh, timed ``run_detector`` call, shared by the executor and isolation overhead scripts."""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crbench.jobs.build import build_dataset, build_detector  # noqa: E402
from crbench.runner import run_detector  # noqa: E402
from crbench.uncertainty import BootstrapSettings  # noqa: E402

__all__ = ["fresh_run"]


def fresh_run(detector_name, dataset_name, *, size, limit, cache_dir, **run_options):
    """Detect every image afresh (nothing from the score cache), without object scores or bootstrap.

    Returns
    -------
    wall : float
        Seconds of the whole run (set-up, detection, scoring).
    detect : float
        Detect seconds summed over images, measured around ``detect`` in whichever process ran it.
    n_images : int
    scores : dict
        The run's metrics.
    """
    detector = build_detector(detector_name, None)
    dataset, dataset_kwargs = build_dataset(dataset_name, size=size)
    start = time.perf_counter()
    result = run_detector(detector, dataset, limit=limit, cache_dir=cache_dir, fresh=True, progress=False,
                          object_scores=False, bootstrap=BootstrapSettings(n_resamples=0),
                          dataset_kwargs=dataset_kwargs, **run_options)
    wall = time.perf_counter() - start
    assert not result.failures, result.failures
    return wall, sum(outcome.detect_seconds for outcome in result.outcomes), len(result.outcomes), result.scores
