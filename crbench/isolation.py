"""Detection in worker processes that can be killed: per-image timeouts and crash isolation.

A :class:`WorkerPool` keeps ``n_workers`` long-lived child processes (spawn
start method: forking a process that holds torch/OpenMP threads can
deadlock). Each child runs an initializer once (the runner's: build the
detector, set it up, load nothing else), then serves one task at a time
over a pipe, so weights are loaded once per worker, not once per image.

The parent hands out tasks and waits on the pipes and the clock:

* a task that returns is a result;
* a task that does not return within ``timeout`` seconds has its worker
  killed; the task fails with ``"timed out after <timeout> s"``;
* a worker that dies during a task (a segfault, ``os._exit``, the OOM
  killer) fails that task with ``"worker died with signal 11 (SIGSEGV)"``
  or ``"worker exited with code 3"``.

Either way the dead worker is replaced (and sets the detector up again)
before the next task, and every other task still runs. Failed tasks are
handed to the caller's ``on_failure``, which turns them into a per-image
failure; the pool never decides whether a run fails.

An exception a task raises (crbench's own: an unreadable sample, a score
cache that cannot be written) and an error of the initializer (a plug-in
whose ``setup()`` raises) stop :meth:`WorkerPool.map` with that exception,
as they would in the parent process.
"""

import collections
import faulthandler
import multiprocessing
import multiprocessing.connection
import pickle
import signal
import time

from .errors import PluginError

__all__ = ["WorkerPool", "describe_exit", "timeout_text"]

#: Seconds a worker asked to stop may take before it is killed.
_STOP_GRACE_SECONDS = 2.0

#: Seconds between checks of the workers' exit codes while waiting for results.
_LIVENESS_SECONDS = 1.0


def describe_exit(exitcode):
    """How a worker process ended, from its ``exitcode`` (negative: killed by that signal).

    Examples
    --------
    >>> describe_exit(-11)
    'worker died with signal 11 (SIGSEGV)'
    >>> describe_exit(3)
    'worker exited with code 3'
    """
    if exitcode is None:
        return "worker closed its pipe without exiting"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = "unknown signal"
        return f"worker died with signal {-exitcode} ({name})"
    if exitcode == 0:
        return "worker exited with code 0 before returning a result"
    return f"worker exited with code {exitcode}"


def timeout_text(seconds):
    """The failure message of a task killed after ``seconds``, e.g. ``"timed out after 2 s"``."""
    return f"timed out after {seconds:g} s"


def _portable(error):
    """``error`` if it survives pickling, else a RuntimeError holding its text (the parent must be able to load it)."""
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:  # noqa: BLE001 - any pickling failure: send the text instead
        return RuntimeError(f"{type(error).__name__}: {error}")


def _serve(connection, initializer, initargs):
    """A worker's life: initialize once, then run ``(function, args)`` tasks until told to stop or orphaned."""
    faulthandler.enable()  # a segfaulting detector leaves its Python stack on stderr
    # Ctrl-C reaches the whole process group: the parent handles it and kills the workers
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        initializer(*initargs)
    except Exception as error:  # noqa: BLE001 - reported to the parent, which raises it
        connection.send(("setup_error", _portable(error)))
        return
    connection.send(("ready", None))
    while True:
        try:
            task = connection.recv()
        except EOFError:  # the parent is gone
            return
        if task is None:
            return
        function, args = task
        try:
            message = ("result", function(*args))
        except Exception as error:  # noqa: BLE001 - crbench's own errors stop the run in the parent
            message = ("error", _portable(error))
        connection.send(message)


class _Worker:
    """One child process, its pipe and the task it holds."""

    def __init__(self, context, initializer, initargs):
        self.connection, child_end = context.Pipe()
        self.process = context.Process(target=_serve, args=(child_end, initializer, initargs))
        self.process.start()
        child_end.close()  # so that the child's death reads as EOF here
        self.ready = False
        self.task = None
        self.deadline = None

    def kill(self):
        self.process.kill()
        self.process.join()
        self.connection.close()

    def stop(self):
        """Ask the worker to exit; return without waiting."""
        try:
            self.connection.send(None)
        except OSError:  # already dead
            pass


class WorkerPool:
    """Long-lived worker processes that run tasks with a per-task timeout and survive crashes.

    Parameters
    ----------
    n_workers : int
        Worker processes (at least 1).
    initializer : callable
        Module-level function run once in every worker (and again in every
        replacement worker); an exception it raises stops :meth:`map`.
    initargs : tuple
        Picklable arguments of ``initializer``.
    timeout : float, optional
        Seconds one task may take in its worker (None: no limit).

    Examples
    --------
    >>> with WorkerPool(2, initializer=setup, initargs=(), timeout=5) as pool:  # doctest: +SKIP
    ...     results = pool.map(work, [(1,), (2,)], on_failure=lambda index, message: message)
    """

    def __init__(self, n_workers, *, initializer, initargs=(), timeout=None):
        self.n_workers = max(1, int(n_workers))
        self.initializer, self.initargs, self.timeout = initializer, initargs, timeout
        self._context = multiprocessing.get_context("spawn")
        self._workers = [None] * self.n_workers

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close(kill=exc_info[0] is not None)

    def map(self, function, arguments, *, on_failure, on_done=None):
        """Run ``function(*args)`` in the workers for every ``args`` of ``arguments``; return the results in order.

        Parameters
        ----------
        function : callable
            A module-level function (pickled by reference).
        arguments : list of tuple
        on_failure : callable
            ``on_failure(index, message)`` returns the result of a task
            whose worker timed out or died; ``message`` says which
            (:func:`timeout_text`, :func:`describe_exit`).
        on_done : callable, optional
            Called with no argument after each task (progress bars).

        Raises
        ------
        Exception
            What a task or a worker's initializer raised.
        PluginError
            When a worker dies while the initializer runs (a crash in ``setup()``).
        """
        results = [None] * len(arguments)
        queue = collections.deque(range(len(arguments)))
        remaining = len(arguments)

        def finish(index, value):
            nonlocal remaining
            results[index] = value
            remaining -= 1
            if on_done is not None:
                on_done()

        try:
            while remaining:
                self._dispatch(queue, function, arguments)
                for worker in self._wait():
                    finished = self._receive(worker)
                    if finished is not None:
                        index, value = finished
                        finish(index, on_failure(index, value.message) if isinstance(value, _Failed) else value)
                for worker in self._overdue():
                    index = worker.task
                    self._retire(worker)
                    finish(index, on_failure(index, timeout_text(self.timeout)))
                for worker in self._dead_without_message():
                    finished = self._bury(worker)
                    if finished is not None:
                        index, value = finished
                        finish(index, on_failure(index, value.message))
        except BaseException:
            self.close(kill=True)
            raise
        return results

    # ------------------------------------------------------------------ internals
    def _dispatch(self, queue, function, arguments):
        """Start missing workers while tasks wait; hand a task to every ready idle worker."""
        for slot, worker in enumerate(self._workers):
            if worker is None and queue:
                self._workers[slot] = _Worker(self._context, self.initializer, self.initargs)
        for worker in self._workers:
            if worker is not None and worker.ready and worker.task is None and queue:
                worker.task = queue.popleft()
                worker.deadline = None if self.timeout is None else time.monotonic() + self.timeout
                worker.connection.send((function, arguments[worker.task]))

    def _wait(self):
        """Workers with a message or an EOF, waiting at most until the nearest deadline or the next liveness check."""
        live = [worker for worker in self._workers if worker is not None]
        deadlines = [worker.deadline for worker in live if worker.deadline is not None]
        # a grandchild that inherited the pipe (a detector that forks) keeps a dead worker's EOF from arriving,
        # so the workers' exit codes are also checked every _LIVENESS_SECONDS (_dead_without_message)
        wait_for = min([_LIVENESS_SECONDS] + [max(0.0, deadline - time.monotonic()) for deadline in deadlines])
        ready = multiprocessing.connection.wait([worker.connection for worker in live], timeout=wait_for)
        return [worker for worker in live if worker.connection in ready]

    def _receive(self, worker):
        """Handle one message of ``worker``; return ``(index, result)`` when a task ended, else None."""
        try:
            kind, payload = worker.connection.recv()
        except (EOFError, OSError):
            worker.process.join()
            return self._bury(worker)
        if kind == "ready":
            worker.ready = True
            return None
        if kind in ("setup_error", "error"):
            raise payload
        index = worker.task
        worker.task = worker.deadline = None
        return index, payload

    def _bury(self, worker):
        """Retire a worker that died; return ``(index, _Failed)`` for its task, if it held one.

        Raises
        ------
        PluginError
            When it died before it was ready (a crash in the initializer).
        """
        message = describe_exit(worker.process.exitcode)
        index, ready = worker.task, worker.ready
        self._retire(worker)
        if index is not None:
            return index, _Failed(message)
        if not ready:
            raise PluginError(f"the detector's {message} while setting the detector up (in setup() or while "
                              "loading its weights); try 'crbench mock-run' to see the error")
        return None

    def _overdue(self):
        now = time.monotonic()
        return [worker for worker in self._workers
                if worker is not None and worker.deadline is not None and now >= worker.deadline]

    def _dead_without_message(self):
        # a worker that died is normally seen as an EOF by _wait; this catches one whose pipe stayed open
        return [worker for worker in self._workers
                if worker is not None and worker.process.exitcode is not None and not worker.connection.poll()]

    def _retire(self, worker):
        worker.kill()
        self._workers[self._workers.index(worker)] = None

    def close(self, *, kill=False):
        """Stop every worker (``kill``: at once, else after they finish their current task)."""
        workers = [worker for worker in self._workers if worker is not None]
        self._workers = [None] * self.n_workers
        if not kill:
            for worker in workers:
                worker.stop()
            deadline = time.monotonic() + _STOP_GRACE_SECONDS
            for worker in workers:
                worker.process.join(max(0.0, deadline - time.monotonic()))
        for worker in workers:
            worker.kill()


class _Failed:
    """Marks a task whose worker died (converted by :meth:`WorkerPool.map` through ``on_failure``)."""

    def __init__(self, message):
        self.message = message
