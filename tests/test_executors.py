"""The executor seam's choices and chunking (:mod:`crbench.executors`); real clusters are in tests/commands/test_run_dask.py."""

import pytest

from crbench.errors import InputError
from crbench.executors import (
    MAX_CHUNK_IMAGES,
    SCHEDULER_VARIABLE,
    choose_executor,
    chunk_ids,
    gpu_resources,
    map_chunks_on_dask,
    scheduler_address,
)
from crbench.records.parts import Runtime


@pytest.mark.parametrize("jobs, isolate, timeout, expected", [
    (1, False, None, "local"), (2, False, None, "processes"), (1, True, None, "processes"), (1, False, 5, "processes"),
])
def test_without_an_executor_the_options_choose_as_before(jobs, isolate, timeout, expected):
    assert choose_executor(None, jobs=jobs, isolate=isolate, timeout=timeout) == expected


@pytest.mark.parametrize("executor, options, message", [
    ("local", {"jobs": 2}, "--executor local runs in this process: drop --jobs N, or"),
    ("local", {"jobs": 1, "isolate": True}, "--executor local runs in this process: drop --isolate, or"),
    ("dask", {"jobs": 2, "timeout": 3}, "Dask cannot kill one task"),
    ("threads", {"jobs": 1}, "unknown executor 'threads'"),
])
def test_executors_that_cannot_honour_the_options_are_refused(executor, options, message):
    with pytest.raises(InputError, match=message):
        choose_executor(executor, **options)


def test_chunks_cover_every_image_once_in_order_and_are_bounded():
    for n_images in (0, 1, 3, 7, 64, 1000):
        ids = [f"img-{index}" for index in range(n_images)]
        for n_workers in (1, 2, 64):
            chunks = chunk_ids(ids, n_workers=n_workers)
            assert [sample_id for chunk in chunks for sample_id in chunk] == ids
            assert all(1 <= len(chunk) <= MAX_CHUNK_IMAGES for chunk in chunks)
            if n_images >= 4 * n_workers * MAX_CHUNK_IMAGES:
                assert {len(chunk) for chunk in chunks[:-1]} == {MAX_CHUNK_IMAGES}
            elif n_images >= 4 * n_workers:
                assert len(chunks) >= 4 * n_workers  # enough tasks to balance the workers


def test_the_scheduler_address_comes_from_the_option_then_the_environment(monkeypatch):
    monkeypatch.delenv(SCHEDULER_VARIABLE, raising=False)
    assert scheduler_address(None) is None
    monkeypatch.setenv(SCHEDULER_VARIABLE, "tcp://10.0.0.1:8786")
    assert scheduler_address(None) == "tcp://10.0.0.1:8786"
    assert scheduler_address("tcp://127.0.0.1:1") == "tcp://127.0.0.1:1"


def test_records_without_an_executor_read_and_write_back_unchanged():
    old = {"device": "cpu", "jobs": 1, "setup_seconds": 0.1, "isolated": False}
    runtime = Runtime.from_dict(old)
    assert runtime.executor is None and "executor" not in runtime.to_dict()
    new = Runtime.from_dict({**old, "executor": "dask"})
    assert new.executor == "dask" and new.to_dict() == {**runtime.to_dict(), "executor": "dask"}


class _FakeClient:
    """Answers ``scheduler_info()`` like a cluster whose workers declare ``resources``."""

    def __init__(self, *resources):
        self.workers = {f"tcp://10.0.0.{index}:1": {"resources": dict(item)} for index, item in enumerate(resources)}

    def scheduler_info(self, **kwargs):
        return {"workers": self.workers}


def test_cuda_tasks_ask_for_a_gpu_only_where_workers_declare_one():
    assert gpu_resources(_FakeClient({}, {"GPU": 1}), "cuda") == {"GPU": 1}
    assert gpu_resources(_FakeClient({}, {"GPU": 1}), "cuda:1") == {"GPU": 1}
    assert gpu_resources(_FakeClient({}, {}), "cuda") is None  # e.g. a dask-cuda cluster of GPU workers only
    assert gpu_resources(_FakeClient({"GPU": 1}), "auto") is None and gpu_resources(_FakeClient({"GPU": 1}), "cpu") is None


def _chunk_sums(offset, chunk):
    return [offset + item for item in chunk]


def test_chunks_mapped_on_a_local_cluster_come_back_in_order():
    from crbench.executors import dask_client

    done = []
    with dask_client(n_workers=2) as client:
        results = map_chunks_on_dask(client, _chunk_sums, args=(100,), items=list(range(37)), on_done=done.append)
    assert results == [100 + item for item in range(37)]
    assert sum(done) == 37 and len(done) == len(chunk_ids(list(range(37)), n_workers=2))
