"""``crbench run --device`` (issue 17, item 5): the device is resolved in the process that detects.

This machine has no GPU. The per-worker resolution is shown by making the
parent process believe that it has one (``cuda_available`` patched here
only): worker processes (crbench's, or a Dask LocalCluster's) are fresh
interpreters that see the real hardware, so their images must come back
labelled "cpu" (``--device auto``) or fail (``--device cuda``). Mixed
CPU/GPU runs are built from outcomes in the test.
"""

import json
import re

import pytest
from click.testing import CliRunner

import crbench.device as device_module
from crbench.cli import main
from crbench.jobs import Job, JobOutput, build_dataset, build_detector
from crbench.records import build_run_record, load_record
from crbench.runner import run_detector

#: options of the executors, each with 2 worker processes where it has workers
EXECUTORS = {
    "local": [],
    "processes": ["--executor", "processes", "--jobs", "2"],
    "dask": ["--executor", "dask", "--jobs", "2"],
}


def _invoke(tmp_path, name, *options):
    results = tmp_path / name
    outcome = CliRunner().invoke(main, ["run", "--quiet", "--detector", "random", "--dataset", "tiny", "--output",
                                        str(results), "--cache-dir", str(tmp_path / f"cache-{name}"),
                                        "--bootstrap", "0", "--no-objects", *options])
    return outcome, results


@pytest.fixture
def parent_sees_a_gpu(monkeypatch):
    """This process believes PyTorch sees a GPU; worker processes see the real (GPU-less) machine."""
    monkeypatch.setattr(device_module, "cuda_available", lambda: True)


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_auto_is_resolved_in_each_worker_and_every_image_records_its_device(tmp_path, executor, parent_sees_a_gpu):
    outcome, results = _invoke(tmp_path, executor, "--device", "auto", *EXECUTORS[executor])
    assert outcome.exit_code == 0, outcome.output
    [path] = results.glob("run__*.json")
    record = load_record(path)
    # resolved in the parent, "auto" would have read "cuda" (the patched answer); the workers have no GPU
    assert [row.device for row in record.per_image] == ["cpu", "cpu", "cpu"]
    assert record.runtime.devices == {"cpu": 3} and record.runtime.device == "cpu"
    assert not record.runtime.mixes_cpu_and_gpu and "MIXED" not in outcome.output
    assert json.loads(path.read_text())["per_image"][0]["device"] == "cpu"


def test_the_local_executor_resolves_in_this_process(tmp_path):
    outcome, results = _invoke(tmp_path, "local", "--device", "auto")
    assert outcome.exit_code == 0, outcome.output
    record = load_record(next(results.glob("run__*.json")))
    assert [row.device for row in record.per_image] == ["cpu"] * 3 and record.runtime.devices == {"cpu": 3}


def test_cached_images_name_no_device(tmp_path):
    _invoke(tmp_path, "cached")
    outcome, results = _invoke(tmp_path, "cached")  # every score map now comes from the cache
    assert outcome.exit_code == 0, outcome.output
    record = load_record(next(results.glob("run__*.json")))
    assert all(row.from_cache and row.device is None for row in record.per_image)
    assert record.runtime.devices == {} and record.runtime.device == "cpu"


@pytest.mark.parametrize("executor", ["local", "processes"])
def test_cuda_without_a_gpu_stops_the_run_with_a_clear_error(tmp_path, executor, monkeypatch):
    if executor == "local":
        monkeypatch.setattr(device_module, "cuda_available", lambda: False)
    else:  # the parent believes in a GPU: only the workers' own resolution can refuse
        monkeypatch.setattr(device_module, "cuda_available", lambda: True)
    outcome, results = _invoke(tmp_path, executor, "--device", "cuda", *EXECUTORS[executor])
    assert outcome.exit_code == 1
    assert "device 'cuda' requested but PyTorch sees no CUDA device" in outcome.output
    assert "--device auto" in outcome.output  # the fix
    assert not list(results.glob("run__*.json"))


def test_cuda_on_dask_workers_without_a_gpu_fails_their_images_naming_the_worker(tmp_path, parent_sees_a_gpu):
    outcome, results = _invoke(tmp_path, "dask", "--device", "cuda", *EXECUTORS["dask"])
    assert outcome.exit_code == 1
    assert "failed on 3 of 3 images" in outcome.output  # each image, with the worker it was sent to
    assert "on dask worker tcp://127.0.0.1:" in outcome.output
    assert "PyTorch sees no CUDA device" in outcome.output
    assert not list(results.glob("run__*.json"))


def _tiny_result(tmp_path):
    detector = build_detector("random")
    dataset, dataset_kwargs = build_dataset("tiny")
    return run_detector(detector, dataset, progress=False, dataset_kwargs=dataset_kwargs, cache_dir=tmp_path / "cache",
                        object_scores=False)


def _mixed_record(tmp_path):
    """The record of a tiny run whose images, as if run on a mixed cluster, ran on the CPU and on GPU 0."""
    result = _tiny_result(tmp_path)
    for outcome, device in zip(result.outcomes, ["cuda:0", "cpu", "cuda:0"]):
        outcome.device = device
    result.device = "cpu,cuda:0"
    return result, build_run_record(result)


def test_a_mixed_run_records_its_device_set_and_each_images_device(tmp_path):
    result, record = _mixed_record(tmp_path)
    assert record.runtime.devices == {"cpu": 1, "cuda:0": 2}
    assert [row.device for row in record.per_image] == ["cuda:0", "cpu", "cuda:0"]
    assert record.runtime.mixes_cpu_and_gpu


def test_a_mixed_run_is_flagged_in_the_printed_summary(tmp_path, monkeypatch):
    import crbench.commands.run as run_command

    result, record = _mixed_record(tmp_path)
    monkeypatch.setattr(run_command, "run_job",
                        lambda *args, **kwargs: JobOutput(job=Job("random", "tiny"), result=result, record=record, path=tmp_path / "r.json"))
    outcome = CliRunner().invoke(main, ["run", "--quiet", "--detector", "random", "--dataset", "tiny"])
    assert outcome.exit_code == 0, outcome.output
    assert "on cpu (1 images), cuda:0 (2 images)" in outcome.output
    assert "MIXED DEVICES: images ran on the CPU and on a GPU" in outcome.output


def test_a_run_on_one_device_is_not_flagged(tmp_path, monkeypatch):
    import crbench.commands.run as run_command

    result = _tiny_result(tmp_path)
    record = build_run_record(result)
    monkeypatch.setattr(run_command, "run_job",
                        lambda *args, **kwargs: JobOutput(job=Job("random", "tiny"), result=result, record=record, path=tmp_path / "r.json"))
    outcome = CliRunner().invoke(main, ["run", "--quiet", "--detector", "random", "--dataset", "tiny"])
    assert outcome.exit_code == 0, outcome.output
    assert "s/Mpix on cpu\n" in outcome.output and "MIXED" not in outcome.output


@pytest.fixture
def cluster_with_one_gpu_worker():
    """A real cluster of two worker processes, one started with the resource GPU=1 (this machine has no GPU)."""
    from distributed import Client, Nanny, Scheduler, SpecCluster

    workers = {"gpu": {"cls": Nanny, "options": {"nthreads": 1, "resources": {"GPU": 1}}},
               "cpu": {"cls": Nanny, "options": {"nthreads": 1}}}
    scheduler = {"cls": Scheduler, "options": {"dashboard_address": "127.0.0.1:0", "host": "127.0.0.1"}}
    with SpecCluster(workers=workers, scheduler=scheduler) as cluster, Client(cluster) as client:
        client.wait_for_workers(2, timeout=60)
        [gpu_worker] = [address for address, worker in client.scheduler_info()["workers"].items()
                        if worker["resources"].get("GPU")]
        yield cluster.scheduler_address, gpu_worker


def test_cuda_tasks_go_only_to_workers_that_declare_a_gpu(tmp_path, cluster_with_one_gpu_worker):
    address, gpu_worker = cluster_with_one_gpu_worker
    outcome, _ = _invoke(tmp_path, "gpu", "--device", "cuda", "--executor", "dask", "--scheduler", address)
    assert outcome.exit_code == 1
    # every image went to the GPU worker (which, on this machine, then finds no CUDA device)
    named = re.findall(r"on dask worker (tcp://[\d.]+:\d+)", outcome.output)
    assert len(named) == 3 and set(named) == {gpu_worker}
