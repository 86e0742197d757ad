"""Run many jobs as one Dask task graph: every (detector, data set, chunk of images) task on one cluster.

A leaderboard rebuild or ``crbench check --rerun`` with ``--executor dask``
hands all its jobs to :func:`run_jobs_on_dask`. Each job's images are split
into chunk tasks (:func:`crbench.executors.chunk_ids`) that go to the one
cluster at once, with a Dask priority from the job's estimated cost
(:func:`crbench.jobs.plan.job_seconds`): the scheduler starts the ready
chunks of the most expensive job first and fills the workers with cheaper
jobs' chunks, so no worker idles while one long job runs on the other.

Each job has a driver: a task on the cluster itself, which leaves its
worker's thread pool at once (``distributed.worker_client``), submits the
job's chunks and waits. An adaptive sweep's rounds depend on every image of
the round before, so its driver plans each round and submits that round's
chunks (:mod:`crbench.adaptive_sweep`). When a job's chunks are done its
driver scores the cached outputs and writes the record, exactly as
``crbench run --executor dask`` would: so every record is the one a single
run writes (tested). The drivers, and so the scoring, spread over the
workers: scoring in the submitting process alone would stop scaling from
about 50 workers on (docs/scaling.md, "Projection"). While a driver scores,
its worker also runs a chunk: the scoring is about 5-10 % of the detection
work (0.15 CPU s/Mpix against 1.5-7 per sweep value).

Resuming: the chunks write each image's output to the score cache before
they return, and a later rebuild with the same ``--cache-dir`` reads them
instead of detecting again.
"""

from ..executors import dask_client, total_threads
from .plan import job_seconds
from .run import JobTally, _run_job_safely

__all__ = ["priorities", "run_jobs_on_dask"]


def priorities(jobs, seconds):
    """Dask priority of each job: its rank by estimated ``seconds``, the most expensive highest.

    Ties keep the jobs' order (the earlier job ranks higher).

    Examples
    --------
    >>> from crbench.jobs import Job
    >>> jobs = [Job("a", "x"), Job("b", "x"), Job("c", "x")]
    >>> ranks = priorities(jobs, {"a@x/None/test": 1.0, "b@x/None/test": 9.0, "c@x/None/test": 1.0})
    >>> [ranks[job.key] for job in jobs]
    [1, 2, 0]
    """
    order = sorted(range(len(jobs)), key=lambda index: (seconds.get(jobs[index].key, 0.0), -index))
    return {jobs[index].key: rank for rank, index in enumerate(order)}


def _drive_job(job, results_dir, cache_dir, sensitivity, priority):
    """A driver task: run ``job`` with its chunks on this cluster, from outside the worker's thread pool."""
    from distributed import worker_client

    # seceded: the worker's thread runs chunks (of this or other jobs) while this driver waits and scores
    with worker_client() as client:
        return _run_job_safely(job, results_dir, cache_dir, sensitivity, executor="dask", scheduler=client,
                               priority=priority)


def run_jobs_on_dask(jobs, *, results_dir, cache_dir=None, scheduler=None, n_workers=2, progress=True,
                     sensitivity=()):
    """Run ``jobs`` on one Dask cluster as one task graph, most expensive first; one failing job never stops the others.

    Parameters
    ----------
    jobs : list of Job
    results_dir : path-like
        Where the run records go (on a cluster of several machines: a path
        every worker and this process see, like the cache).
    cache_dir : path-like, optional
        Score cache root the workers write to (None: the default cache).
    scheduler : str or distributed.Client, optional
        A scheduler address or a connected client (default
        ``$DASK_SCHEDULER_ADDRESS``, else a LocalCluster of ``n_workers``
        single-threaded worker processes).
    n_workers : int
        Workers of the LocalCluster started when no scheduler is named.
    progress : bool
        One bar over the jobs.
    sensitivity : collection of str
        Job keys whose records also get protocol-sensitivity rows.

    Returns
    -------
    paths, failures : dict of str to str
        As :func:`crbench.jobs.run.run_jobs`.
    """
    tally = JobTally(len(jobs), progress=progress)
    # a job that cannot even be planned (a bad name) ranks last and fails in its driver, like any other failure
    ranks = priorities(jobs, job_seconds(jobs, strict=False)[0])
    ordered = sorted(jobs, key=lambda job: -ranks[job.key])
    from distributed import as_completed  # imported here: only Dask runs need it

    with dask_client(scheduler=scheduler, n_workers=n_workers) as client:
        tally.bar.set_postfix_str(f"{total_threads(client)} dask worker(s)")
        # every driver first (above every chunk), so that all jobs' chunks are on the scheduler together
        futures = {client.submit(_drive_job, job, str(results_dir), None if cache_dir is None else str(cache_dir),
                                 job.key in sensitivity, ranks[job.key], pure=False,
                                 priority=len(jobs) + ranks[job.key], key=f"crbench-job-{index}-{job.key}"): job
                   for index, job in enumerate(ordered)}
        for future in as_completed(futures):
            job = futures[future]
            try:
                _, path, error = future.result()
            except Exception as error:  # noqa: BLE001 - a driver whose worker died every time: that job fails
                path, error = None, f"{type(error).__name__}: {error}"
            tally.add(job, path, error)
    return tally.close()
