"""Where the detect stage runs: in this process, in crbench's worker processes, or on a Dask cluster.

Three executors map the same work, "detect these images and cache their
outputs", and return the same :class:`~crbench.runner.ImageOutcome` list;
scoring then runs in the calling process from the cached outputs, so the
record's metrics do not depend on the executor.

* ``local``: one image after another in this process (``--jobs 1``).
* ``processes``: crbench's :class:`~crbench.isolation.WorkerPool`
  (``--jobs N``, ``--isolate``, ``--timeout``).
* ``dask``: a ``dask.distributed`` client. Without a scheduler address it
  starts a ``LocalCluster`` of ``n_workers`` processes with one thread each;
  with one (``--scheduler`` or ``$DASK_SCHEDULER_ADDRESS``) it connects to a
  running cluster. Tasks are chunks of image ids (:func:`chunk_ids`); each
  worker process builds and sets up the detector once and keeps it for the
  tasks that follow (the runner's task function). Score maps are written by the
  workers into the score cache directory, which every worker must see: on a
  ``LocalCluster`` it is this machine's disk; on a cluster of several
  machines it must be a shared file system mounted at the same path.

A Dask worker that dies is restarted by its nanny and its chunk rescheduled;
a chunk that kills ``distributed.scheduler.allowed-failures`` + 1 workers
(default 4) fails its images (:data:`KILLED_TEXT`), like a worker death in
the ``processes`` executor.
"""

import contextlib
import itertools
import os
from dataclasses import dataclass

from .errors import InputError

__all__ = ["DaskTarget", "EXECUTORS", "KILLED_TEXT", "LOCAL_CLUSTER_CONFIG", "MAX_CHUNK_IMAGES", "SCHEDULER_VARIABLE",
           "choose_executor", "chunk_ids", "dask_client", "default_dask_workers", "detect_on_dask", "gpu_resources",
           "is_client", "map_chunks_on_dask", "scheduler_address", "total_threads"]

#: Names of the executors, as ``--executor`` takes them.
EXECUTORS = ("local", "processes", "dask")

#: The environment variable Dask itself reads for a scheduler address.
SCHEDULER_VARIABLE = "DASK_SCHEDULER_ADDRESS"

#: Most images in one Dask task. A task costs about 2 ms of scheduler time
#: (docs/scaling.md); 8 patches of 256x256 are about 0.8 s of deepcr_pretrained,
#: so the overhead stays well below 1 %, while large frames (seconds each)
#: still spread over the workers.
MAX_CHUNK_IMAGES = 8

#: The failure message of an image whose chunk killed too many Dask workers.
KILLED_TEXT = "dask worker died running this image's chunk (KilledWorker: its task was retried and killed every time)"


@dataclass(frozen=True)
class DaskTarget:
    """Where a run's Dask tasks go: a scheduler (address, connected client or None) and their priority."""

    scheduler: object = None
    priority: int = 0


def scheduler_address(scheduler=None):
    """``scheduler``, else ``$DASK_SCHEDULER_ADDRESS``, else None (start a LocalCluster)."""
    return scheduler or os.environ.get(SCHEDULER_VARIABLE) or None


def choose_executor(executor, *, jobs, isolate=False, timeout=None):
    """The executor a run uses: ``executor``, or the one ``jobs``, ``isolate`` and ``timeout`` imply.

    Parameters
    ----------
    executor : {"local", "processes", "dask"} or None
        None: ``processes`` with ``jobs > 1``, ``isolate`` or a ``timeout``, else ``local``.
    jobs : int
    isolate : bool
    timeout : float or None

    Raises
    ------
    InputError
        For an unknown name, ``local`` with options that need worker
        processes, or ``dask`` with a ``timeout`` (Dask cannot kill one task).
    """
    needs_workers = jobs > 1 or bool(isolate) or timeout is not None
    if executor is None:
        return "processes" if needs_workers else "local"
    if executor not in EXECUTORS:
        raise InputError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")
    if executor == "local" and needs_workers:
        given = [name for name, used in (("--jobs N", jobs > 1), ("--isolate", isolate), ("--timeout", timeout is not None))
                 if used]
        raise InputError(f"--executor local runs in this process: drop {' and '.join(given)}, "
                         "or use --executor processes")
    if executor == "dask" and timeout is not None:
        raise InputError("--timeout needs crbench's own worker processes (Dask cannot kill one task): "
                         "use --executor processes")
    return executor


def chunk_ids(ids, *, n_workers, max_chunk=MAX_CHUNK_IMAGES):
    """Split ``ids`` into consecutive chunks: at most ``max_chunk`` images, at least 4 chunks per worker when possible.

    Examples
    --------
    >>> chunk_ids(list("abcdefghij"), n_workers=1)
    [['a', 'b'], ['c', 'd'], ['e', 'f'], ['g', 'h'], ['i', 'j']]
    >>> [len(chunk) for chunk in chunk_ids(list(range(100)), n_workers=2)]
    [8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 4]
    """
    size = max(1, min(max_chunk, len(ids) // (4 * max(1, n_workers))))
    return [list(ids[start:start + size]) for start in range(0, len(ids), size)]


#: Dask settings of the LocalCluster crbench starts (read by the nannies and passed on to their workers).
LOCAL_CLUSTER_CONFIG = {
    # Dask's nannies give workers MALLOC_TRIM_THRESHOLD_=65536, which stops glibc from raising its mmap threshold:
    # every large temporary array is then mapped and unmapped again, which doubled deepcr_pretrained's time per
    # 256x256 patch (0.143 vs 0.072 s, docs/scaling.md). None unsets it.
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    # A worker's own threads take CPU from the detector running beside them: the statistical profiler samples
    # the running task's stack every 10 ms, the system monitor polls every 0.5 s. crbench reads neither; without
    # them a worker's other threads used 3.0-5.3 % instead of 4.3-9.3 % of the task's CPU time
    # (benchmarks/dask_worker_overhead.py, docs/scaling.md). The dashboard still works, with 2 s resolution.
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.admin.system-monitor.gil.enabled": False,
}


def is_client(scheduler):
    """True when ``scheduler`` is a connected ``distributed.Client`` (not an address)."""
    return hasattr(scheduler, "submit") and hasattr(scheduler, "nthreads")


@contextlib.contextmanager
def dask_client(*, scheduler=None, n_workers=1):
    """A ``distributed.Client``: on ``scheduler`` or on a new LocalCluster of ``n_workers`` processes.

    ``scheduler`` may be an address, or a connected client (e.g. the one
    client of a leaderboard rebuild that runs many jobs on one cluster),
    which is yielded as is and left open.

    The LocalCluster has one thread per worker (detectors are not thread
    safe, and BLAS/torch threads are the detector's business); its HTTP
    endpoints listen on a free port of 127.0.0.1; it is closed on exit. A
    client of an existing cluster only disconnects.
    """
    if is_client(scheduler):
        yield scheduler
        return
    import dask
    from distributed import Client, LocalCluster  # imported here: only Dask runs need it

    address = scheduler_address(scheduler)
    if address is not None:
        with Client(address, timeout="30s") as client:
            yield client
        return
    with dask.config.set(LOCAL_CLUSTER_CONFIG):
        # the scheduler always serves HTTP (health checks): on a free port, not the default 8787 another cluster may hold
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                               dashboard_address="127.0.0.1:0")
    with cluster, Client(cluster) as client:
        yield client


def total_threads(client):
    """Worker threads of the cluster ``client`` is connected to (at least 1)."""
    return max(1, sum(client.nthreads().values()))


def map_chunks_on_dask(client, function, *, args, items, on_killed=None, on_done=None, resources=None, priority=0,
                       max_chunk=MAX_CHUNK_IMAGES):
    """Run ``function(*args, chunk)`` on ``client``'s workers for chunks of ``items``; return one result per item, in order.

    Parameters
    ----------
    client : distributed.Client
    function : callable
        A module-level function (pickled by reference) that returns one
        result per item of its chunk, in order.
    args : tuple
        Picklable arguments before the chunk.
    items : list
        Split by :func:`chunk_ids` over the cluster's worker threads.
    on_killed : callable, optional
        ``on_killed(item, message)`` returns the result of an item whose
        chunk killed its workers (:data:`KILLED_TEXT`); without it the
        ``KilledWorker`` error is raised.
    on_done : callable, optional
        Called with the number of items of each finished chunk (progress bars).
    resources : dict, optional
        Dask worker resources every task needs (e.g. ``{"GPU": 1}``: only
        workers started with ``--resources GPU=1`` run them).
    priority : int
        Dask task priority: when several runs share one cluster (a
        leaderboard rebuild), the scheduler starts the ready tasks of higher
        priority first.
    max_chunk : int
        Most items in one task.

    Raises
    ------
    Exception
        What a task raised.
    """
    from distributed import KilledWorker, as_completed

    chunks = chunk_ids(items, n_workers=total_threads(client), max_chunk=max_chunk)
    starts = itertools.accumulate((len(chunk) for chunk in chunks), initial=0)  # each chunk's first index in items
    # pure=False: a re-run must compute again (e.g. with --fresh), never reuse a result the scheduler still holds
    futures = {client.submit(function, *args, chunk, pure=False, resources=resources, priority=priority): (start, chunk)
               for start, chunk in zip(starts, chunks)}
    done = [None] * len(items)
    try:
        for future in as_completed(futures):
            start, chunk = futures[future]
            try:
                results = future.result()
            except KilledWorker:
                if on_killed is None:
                    raise
                results = [on_killed(item, KILLED_TEXT) for item in chunk]
            done[start:start + len(chunk)] = results
            if on_done is not None:
                on_done(len(chunk))
    finally:
        for future in futures:
            future.cancel()
    return done


def detect_on_dask(client, function, *, args, ids, on_failure, on_done=None, priority=0, resources=None):
    """Run ``function(*args, chunk)`` on ``client``'s workers for chunks of ``ids``; return one outcome per id, in order.

    Parameters
    ----------
    client : distributed.Client
    function : callable
        A module-level function (pickled by reference) that returns one
        outcome per image id of its chunk, in order; it sets its worker up
        on first use and keeps that state for later chunks.
    args : tuple
        Picklable arguments before the chunk.
    ids : list of str
    on_failure : callable
        ``on_failure(sample_id, message)`` returns the outcome of an image
        whose chunk killed its workers (:data:`KILLED_TEXT`).
    on_done : callable, optional
        Called with the number of images of each finished chunk (progress bars).
    priority : int
        Dask task priority: when several runs share one cluster (a
        leaderboard rebuild), the scheduler starts the ready tasks of higher
        priority first.
    resources : dict, optional
        Worker resources each task needs (:func:`gpu_resources`).

    Raises
    ------
    Exception
        What a task raised (a detector whose setup fails, a cache that cannot be written).
    """
    return map_chunks_on_dask(client, function, args=args, items=ids, on_killed=on_failure, on_done=on_done,
                              resources=resources, priority=priority)


def gpu_resources(client, device):
    """``{"GPU": 1}`` when ``device`` asks for CUDA and a worker of ``client``'s cluster declares a ``GPU`` resource, else None.

    Workers started with ``dask worker ... --resources GPU=1`` (or
    ``dask cuda worker --resources GPU=1``) then get every task of a
    ``--device cuda`` run, and the CPU-only workers of the same cluster
    none; a cluster whose workers declare no resources runs tasks anywhere.
    """
    if not str(device).startswith("cuda"):
        return None
    workers = client.scheduler_info().get("workers", {}).values()
    if any(worker.get("resources", {}).get("GPU") for worker in workers):
        return {"GPU": 1}
    return None


def default_dask_workers():
    """Workers of a LocalCluster when ``--jobs`` is not given: the CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1

