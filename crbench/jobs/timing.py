"""Timing jobs: ``crbench bench`` on one detector, isolated in its own process."""

import multiprocessing

from ..errors import CRBenchError
from ..timing import PAPER_SHAPE, benchmark_detector, write_bench_record
from .build import build_detector

__all__ = ["BenchTimeoutError", "bench_job", "bench_jobs"]


class BenchTimeoutError(CRBenchError):
    """A timing run took longer than its time limit."""


def _timed_worker(detector_name, params, shape, device, repeats, seed, refresh_peak):
    return benchmark_detector(build_detector(detector_name, params), shape=shape, device=device, repeats=repeats,
                              seed=seed, refresh_peak=refresh_peak)


def bench_job(detector_name, *, params=None, shape=PAPER_SHAPE, device="cpu", repeats=3, seed=0, isolate=True,
              timeout=None, output=None, progress=None, refresh_peak=False):
    """Time one detector on a synthetic frame; optionally write its bench record.

    Parameters
    ----------
    detector_name : str
        Registry name or ``"package.module:Class"``.
    params : dict, optional
    shape : tuple of int
    device : str
        A resolved device (``"cpu"`` or ``"cuda"``).
    repeats, seed : int
        See :func:`crbench.timing.benchmark_detector`.
    isolate : bool
        Time in a fresh spawned process, so that the peak memory and setup
        time are this detector's alone.
    timeout : float, optional
        Seconds; an isolated run still going then is killed.
    output : path-like, optional
        Directory for the ``bench__*.json`` record.
    progress : callable, optional
        Receives progress messages (in-process runs only).
    refresh_peak : bool
        Measure the machine's FLOP peak again instead of reading its cache.

    Returns
    -------
    record : dict
    path : Path or None
        Where the record was written.

    Raises
    ------
    BenchTimeoutError
    """
    params = dict(params or {})
    if isolate:
        build_detector(detector_name, params)  # bad names or parameters fail here, not in a child
        context = multiprocessing.get_context("spawn")  # fork + torch/OpenMP threads can deadlock
        with context.Pool(processes=1) as pool:
            pending = pool.apply_async(_timed_worker, (detector_name, params, tuple(shape), device, repeats, seed,
                                                         refresh_peak))
            try:
                record = pending.get(timeout=timeout)
            except multiprocessing.TimeoutError as error:
                pool.terminate()
                raise BenchTimeoutError(f"timing {detector_name} timed out after {timeout} s") from error
    else:
        record = benchmark_detector(build_detector(detector_name, params), shape=shape, device=device,
                                    repeats=repeats, seed=seed, progress=progress, refresh_peak=refresh_peak)
    path = write_bench_record(output, record) if output is not None else None
    return record, path


def bench_jobs(detector_names, *, output, shape=(2048, 2048), repeats=3, timeout=1800, params=None):
    """Time detectors one after another (each isolated); failures are reported, not raised.

    Parameters
    ----------
    detector_names : list of str
    output : path-like
        Directory for the bench records.
    shape : tuple of int
    repeats : int
    timeout : float
        Seconds per detector.
    params : dict of str to dict, optional
        Detector name -> parameters.

    Returns
    -------
    ran : list of str
        Detectors timed.
    failures : dict of str to str
        Detector -> error.
    """
    ran, failures = [], {}
    for name in detector_names:
        try:
            bench_job(name, params=(params or {}).get(name), shape=shape, device="cpu", repeats=repeats,
                      timeout=timeout, output=output)
        except Exception as error:  # noqa: BLE001 - one detector's failure is reported, the others are timed
            failures[name] = f"{type(error).__name__}: {error}"
        else:
            ran.append(name)
    return ran, failures
