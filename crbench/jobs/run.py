"""Run jobs: one detector on one data set split, scored, with its record written.

This is the one place that turns names into a finished run record; ``crbench
run``, ``crbench check --rerun`` and ``crbench leaderboard rebuild`` all call
:func:`run_job` or :func:`run_jobs`.
"""

import concurrent.futures
import concurrent.futures.process
import contextlib
import multiprocessing
import os
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from ..environment import THREAD_VARIABLES
from ..errors import InputError
from ..executors import EXECUTORS
from ..leaderboard.sensitivity import RECORD_SECTION as SENSITIVITY_SECTION
from ..records import build_run_record, write_record
from ..runner import run_detector
from ..uncertainty import BootstrapSettings
from ..writable import check_writable_directory
from .build import build_dataset, build_detector
from .sensitivity import sensitivity_rows

#: The protocol whose runs get sensitivity rows: crbench's own.
DEFAULT_PRESET = "crbench"

__all__ = ["SENSITIVITY_SECTION", "Job", "JobOutput", "JobTally", "run_job", "run_jobs", "limited_threads", "shard_job"]


@dataclass(frozen=True)
class Job:
    """One detector on one data set split.

    Attributes
    ----------
    detector : str
        Registry name or ``"package.module:Class"``.
    dataset : str
        Registry name.
    size : str or None
        Data set size, e.g. ``"small"`` (None: the data set's default).
    split : str
    params : dict or None
        Detector parameters (None: the detector's defaults plus the card's
        protocol).
    data_dir : str or None
        Where a real data set lives.
    """

    detector: str
    dataset: str
    size: str | None = None
    split: str = "test"
    params: dict | None = field(default=None, hash=False, compare=False)
    data_dir: str | None = None

    @property
    def key(self):
        """``detector@dataset/size/split``, the form of a baseline entry key."""
        return f"{self.detector}@{self.dataset}/{self.size}/{self.split}"


@dataclass
class JobOutput:
    """What :func:`run_job` produced."""

    job: Job
    result: object
    record: dict
    path: Path


def run_job(job, *, results_dir, cache_dir=None, device="cpu", workers=1, limit=None, ignore_policy=None,
            keep_going=False, fresh=False, progress=False, object_scores=True, protocol="crbench", bootstrap=None,
            sensitivity=False, isolate=False, timeout=None, shard=None, executor=None, scheduler=None, priority=0):
    """Build the job's detector and data set, run and score it, write its record.

    Parameters
    ----------
    job : Job
    results_dir : path-like
        Where the run record goes.
    cache_dir : path-like, optional
        Score cache root (default :func:`crbench.cache.cache_root`).
    device : {"cpu", "cuda", "auto"}
    workers : int
        Worker processes for the detect stage (1 = this process).
    limit : int, optional
        Score only the first ``limit`` images.
    ignore_policy : {"exclude", "negative", "zero"}, optional
        Default: the data set card's (crbench protocol only).
    keep_going : bool
        Score the images that worked if some fail (record marked partial).
    fresh : bool
        Ignore cached detector outputs.
    progress : bool
    object_scores : bool
        Also write the record's object-level section (:mod:`crbench.object_pass`).
    protocol : str
        Evaluation protocol preset (:mod:`crbench.scoring.presets`).
    bootstrap : crbench.uncertainty.BootstrapSettings, optional
        Default: the defaults (intervals on); ``n_resamples=0`` = off.
    sensitivity : bool
        Also score the run's cached maps under every protocol preset, without
        file subsampling (so rows differ by rules only), and store the rows
        in the record's ``protocol_sensitivity`` section (crbench protocol
        runs only; the leaderboard's protocol-sensitivity table reads it).
    isolate : bool
        Detect in worker processes even with one worker, so that a crash
        fails only its image (:func:`crbench.runner.run_detector`).
    timeout : float, optional
        Seconds per image before its worker is killed and the image fails
        (implies ``isolate``); recorded as ``runtime.timeout_seconds``.
    shard : crbench.sharding.Shard, optional
        Score only this shard of the split's images: the record's status is
        ``"shard"`` and ``dataset.shard`` holds ``index``, ``count`` and the
        ``job`` (everything :func:`crbench.jobs.merge.merge_shards` needs to
        rebuild the whole run). Not with ``limit`` or ``sensitivity``.
    executor : {"local", "processes", "dask"}, optional
        Where the detect stage runs (:mod:`crbench.executors`; default from
        ``workers``, ``isolate`` and ``timeout``); recorded as ``runtime.executor``.
    scheduler : str or distributed.Client, optional
        Dask scheduler address or connected client (``executor="dask"``;
        default ``$DASK_SCHEDULER_ADDRESS``, else a LocalCluster of ``workers`` processes).
    priority : int
        Priority of the run's Dask tasks on a cluster shared with other jobs
        (:mod:`crbench.jobs.graph`).

    Returns
    -------
    JobOutput

    Raises
    ------
    StorageError
        When ``results_dir`` cannot be written (checked before anything runs).
    CRBenchError
        On bad names or parameters, missing data, a run that scored no
        image, or (without ``keep_going``) a detector that failed on some image.
    """
    check_writable_directory(results_dir, what="run records", fix="pass --output DIR that you can write")
    if shard is not None and sensitivity:
        raise InputError("protocol-sensitivity rows need the whole run: they cannot be computed per shard")
    detector = build_detector(job.detector, job.params)
    dataset, dataset_kwargs = build_dataset(job.dataset, size=job.size, data_dir=job.data_dir)
    result = run_detector(
        detector, dataset, split=job.split, limit=limit, device=device, ignore_policy=ignore_policy, jobs=workers,
        cache_dir=cache_dir, keep_going=keep_going, progress=progress, dataset_kwargs=dataset_kwargs, fresh=fresh,
        object_scores=object_scores,
        protocol=protocol,
        bootstrap=bootstrap,
        isolate=isolate,
        timeout=timeout,
        shard=shard,
        executor=executor,
        scheduler=scheduler,
        priority=priority,
    )
    record = build_run_record(result)
    if shard is not None:
        record.dataset.extra["shard"]["job"] = shard_job(job, ignore_policy=ignore_policy, protocol=protocol,
                                                         object_scores=object_scores, bootstrap=bootstrap)
    if sensitivity and result.protocol == DEFAULT_PRESET and result.scores is not None:
        rows = sensitivity_rows(result, detector, dataset, job=job, cache_dir=cache_dir, subsample=False)
        record.extra[SENSITIVITY_SECTION] = {"subsample": False, "rows": rows}
    return JobOutput(job=job, result=result, record=record, path=write_record(record, results_dir))


def shard_job(job, *, ignore_policy, protocol, object_scores, bootstrap):
    """The ``dataset.shard.job`` section of a shard record: the run every shard is part of.

    Holds the job's names and parameters and the scoring options, so that
    ``crbench merge`` can rebuild and re-score the whole run and check that
    all shards belong to the same one.
    """
    bootstrap = bootstrap if bootstrap is not None else BootstrapSettings()
    return {
        "detector": job.detector,
        "params": dict(job.params or {}),
        "dataset": job.dataset,
        "size": job.size,
        "split": job.split,
        "data_dir": None if job.data_dir is None else str(job.data_dir),
        "ignore_policy": ignore_policy,
        "protocol": protocol,
        "object_scores": bool(object_scores),
        "bootstrap": {"n_resamples": bootstrap.n_resamples, "seed": bootstrap.seed, "level": bootstrap.level,
                      "max_state_bytes": bootstrap.max_state_bytes},
    }


def _run_job_safely(job, results_dir, cache_dir, sensitivity=False, **executor_options):
    try:
        output = run_job(job, results_dir=results_dir, cache_dir=cache_dir, keep_going=True, sensitivity=sensitivity,
                         **executor_options)
        return job, str(output.path), None
    except Exception as error:  # noqa: BLE001 - any failure of one job is reported, the others go on
        return job, None, f"{type(error).__name__}: {error}"


@contextlib.contextmanager
def limited_threads(threads):
    """Children spawned inside inherit these thread limits (read by BLAS/OpenMP/torch at import)."""
    saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    os.environ.update({name: str(threads) for name in THREAD_VARIABLES})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class JobTally:
    """Each finished job's record path or error, with a progress bar over the jobs."""

    def __init__(self, n_jobs, *, progress):
        self.paths, self.failures = {}, {}
        self.bar = tqdm(total=n_jobs, desc="runs", unit="run", disable=not progress)

    def add(self, job, path, error):
        """Count ``job`` as done: ``path`` of its record, or its ``error`` message."""
        if error:
            self.failures[job.key] = error
        else:
            self.paths[job.key] = path
        self.bar.set_postfix_str(job.key)
        self.bar.update()

    def close(self):
        """``(paths, failures)``: job key -> record path, job key -> error message."""
        self.bar.close()
        return self.paths, self.failures


def run_jobs(jobs, *, results_dir, cache_dir=None, processes=2, threads_per_process=1, progress=True,
             sensitivity=(), executor="processes", scheduler=None):
    """Run jobs in parallel; one failing job never stops the others.

    With the ``processes`` executor each job runs whole (detection and
    scoring) in one of ``processes`` worker processes; with ``dask`` all
    jobs' chunk tasks go to one Dask cluster as one task graph
    (:func:`crbench.jobs.graph.run_jobs_on_dask`); ``local`` runs the jobs
    here one after another. The records are the same either way.

    Parameters
    ----------
    jobs : list of Job
    results_dir : path-like
        Where the run records go.
    cache_dir : path-like, optional
        Score cache root (None: the default cache).
    processes : int
        Worker processes (1 runs the jobs in this process, one after
        another); with ``dask``, the workers of the LocalCluster it starts.
    threads_per_process : int
        Thread limit of each worker (BLAS, OpenMP, torch).
    progress : bool
    sensitivity : collection of str
        Job keys whose records also get protocol-sensitivity rows
        (:func:`run_job`'s ``sensitivity``).
    executor : {"processes", "local", "dask"}
    scheduler : str, optional
        Dask scheduler address (``dask``; default ``$DASK_SCHEDULER_ADDRESS``,
        else a LocalCluster of ``processes`` workers).

    Returns
    -------
    paths : dict of str to str
        Job key -> record path.
    failures : dict of str to str
        Job key -> error message.
    """
    if executor not in EXECUTORS:
        raise InputError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")
    if scheduler is not None and executor != "dask":
        raise InputError("a Dask scheduler address needs the dask executor: add --executor dask")
    if executor == "dask":
        from .graph import run_jobs_on_dask  # imported here: only Dask rebuilds need distributed

        return run_jobs_on_dask(jobs, results_dir=results_dir, cache_dir=cache_dir, scheduler=scheduler,
                                n_workers=processes, progress=progress, sensitivity=sensitivity)
    if executor == "local":
        processes = 1
    tally = JobTally(len(jobs), progress=progress)
    finished = tally.add

    if processes <= 1:
        for job in jobs:
            finished(*_run_job_safely(job, results_dir, cache_dir, job.key in sensitivity))
    else:
        context = multiprocessing.get_context("spawn")  # fork + torch/OpenMP threads can deadlock
        with limited_threads(threads_per_process):
            with concurrent.futures.ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
                futures = {pool.submit(_run_job_safely, job, str(results_dir), cache_dir, job.key in sensitivity): job
                           for job in jobs}
                for future in concurrent.futures.as_completed(futures):
                    try:
                        finished(*future.result())
                    except concurrent.futures.process.BrokenProcessPool as error:
                        # a worker died (out of memory, segfault in a C extension): say so per job
                        finished(futures[future], None, f"worker process died ({error}); re-run with --processes 1")
    return tally.close()
