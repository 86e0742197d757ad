"""The worker pool of :mod:`crbench.isolation`: one set-up per worker, replaced after a crash or a timeout."""

import os
import time

import pytest

from crbench.isolation import WorkerPool, describe_exit, timeout_text

_STATE = {}


def _initializer(tag):
    _STATE["tag"] = tag


def _task(action):
    """Runs in a worker: returns (its pid, the initializer's tag), or misbehaves."""
    if action == "exit":
        os._exit(7)
    if action == "hang":
        time.sleep(3600)
    if action == "raise":
        raise ValueError("bad sample")
    if action == "fork_and_exit":
        # a grandchild that outlives the worker holds a copy of the worker's pipe
        if os.fork() == 0:
            time.sleep(20)
            os._exit(0)
        os._exit(5)
    return os.getpid(), _STATE["tag"]


def _failed(index, message):
    return ("failed", index, message)


def test_a_worker_serves_many_tasks_and_is_replaced_after_it_dies_or_hangs():
    with WorkerPool(1, initializer=_initializer, initargs=("set up",), timeout=1) as pool:
        results = pool.map(_task, [("ok",), ("ok",), ("exit",), ("ok",), ("hang",), ("ok",)], on_failure=_failed)
    first, second, died, third, hung, fourth = results
    assert first[1] == "set up" and first == second  # one worker, set up once, for both tasks
    assert died == ("failed", 2, "worker exited with code 7")
    assert third[1] == "set up" and third[0] != first[0]  # a new worker, set up again
    assert hung == ("failed", 4, timeout_text(1)) == ("failed", 4, "timed out after 1 s")
    assert fourth[0] not in (first[0], third[0])
    assert first[0] != os.getpid()


def test_an_error_a_task_raises_stops_the_map_with_that_error():
    with WorkerPool(2, initializer=_initializer, initargs=("x",)) as pool:
        with pytest.raises(ValueError, match="bad sample"):
            pool.map(_task, [("ok",), ("raise",)], on_failure=_failed)


@pytest.mark.parametrize("exitcode, text", [
    (-11, "worker died with signal 11 (SIGSEGV)"),
    (-9, "worker died with signal 9 (SIGKILL)"),
    (3, "worker exited with code 3"),
    (0, "worker exited with code 0 before returning a result"),
])
def test_exit_descriptions_name_the_signal_or_code(exitcode, text):
    assert describe_exit(exitcode) == text


def test_a_worker_whose_pipe_outlives_it_is_still_seen_dying():
    start = time.monotonic()
    with WorkerPool(1, initializer=_initializer, initargs=("x",)) as pool:
        [result] = pool.map(_task, [("fork_and_exit",)], on_failure=_failed)
    assert result == ("failed", 0, "worker exited with code 5")
    assert time.monotonic() - start < 15  # not after the grandchild's 20 s
