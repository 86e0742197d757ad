"""``crbench run --executor dask`` on real clusters (issue 17): the record is the local executor's.

One test starts a ``LocalCluster`` through ``--executor dask --jobs 2``;
the other starts ``dask scheduler`` and two ``dask worker`` processes on
127.0.0.1 as separate OS processes and points ``--scheduler`` at them.
A third kills a worker mid-run. Each costs a few seconds of process start-up.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from crbench.cache import ENTRY_SUFFIX
from crbench.cli import main
from crbench.records import load_record
from crbench.testing.record_results import record_results_text

pytest.importorskip("distributed")

REPO = Path(__file__).resolve().parents[2]

def _run(tmp_path, name, *options):
    """``crbench run`` on tiny (the random detector unless ``options`` name one; a fresh cache per run).

    Returns the record as a dict.
    """
    results = tmp_path / name
    detector = [] if "--detector" in options else ["--detector", "random"]
    outcome = CliRunner().invoke(main, ["run", "--quiet", *detector, "--dataset", "tiny", "--output", str(results),
                                        "--cache-dir", str(tmp_path / f"cache-{name}"), *options])
    assert outcome.exit_code == 0, outcome.output
    [path] = list(results.glob("run__*.json"))
    return load_record(path).to_dict()


def test_a_local_cluster_gives_the_local_executors_record_bit_for_bit(tmp_path):
    local = _run(tmp_path, "local")
    dask = _run(tmp_path, "dask", "--executor", "dask", "--jobs", "2")
    assert local["runtime"]["executor"] == "local" and local["runtime"]["isolated"] is False
    assert dask["runtime"]["executor"] == "dask" and dask["runtime"]["jobs"] == 2 and dask["runtime"]["isolated"]
    assert dask["uncertainty"]["n_resamples"] == 1000 and dask["objects"]["per_image"]
    # compared as JSON text: floats bit for bit, per-image rows in the same order
    assert record_results_text(dask) == record_results_text(local)


def test_an_adaptive_sweep_on_a_local_cluster_gives_the_local_record_and_history(tmp_path):
    # every round's images go to the cluster as chunk tasks; the planning between rounds stays in this process
    detector = ["--detector", "astroscrappy", "--adaptive-sweep"]
    local = _run(tmp_path, "local", *detector)
    dask = _run(tmp_path, "dask", "--executor", "dask", "--jobs", "2", *detector)
    assert dask["runtime"]["executor"] == "dask" and dask["runtime"]["jobs"] == 2
    refinement = dask["sweep_refinement"]
    assert len(refinement["rounds"]) >= 2 and refinement["added_values"]  # the test needs a real refinement
    assert refinement["final_values"] == local["sweep_refinement"]["final_values"]
    assert record_results_text(dask) == record_results_text(local)


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(*arguments):
    environment = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", *arguments], cwd=REPO, env=environment,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


@pytest.fixture
def scheduler_with_two_workers():
    """The address of a ``dask scheduler`` with two single-threaded ``dask worker`` processes, all stopped after."""
    from distributed import Client

    address = f"tcp://127.0.0.1:{_free_port()}"
    processes = [_start("distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                        "--no-dashboard")]
    try:
        for _ in range(2):
            processes.append(_start("distributed.cli.dask_worker", address, "--nthreads", "1", "--nworkers", "1",
                                    "--no-dashboard", "--host", "127.0.0.1"))
        deadline = time.monotonic() + 60
        while True:  # the scheduler takes a moment to listen
            try:
                with Client(address, timeout="5s") as client:
                    client.wait_for_workers(2, timeout=60)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def test_a_separately_started_scheduler_and_two_workers_give_the_same_record(tmp_path, scheduler_with_two_workers):
    local = _run(tmp_path, "local")
    dask = _run(tmp_path, "remote", "--executor", "dask", "--scheduler", scheduler_with_two_workers)
    assert dask["runtime"]["executor"] == "dask" and dask["runtime"]["jobs"] == 2  # the cluster's two workers
    assert record_results_text(dask) == record_results_text(local)
    # the score maps of all three images are in the cache directory the workers share with this process
    assert len(list((tmp_path / "cache-remote").rglob("*" + ENTRY_SUFFIX))) == 3


def test_the_scheduler_option_needs_the_dask_executor(tmp_path):
    outcome = CliRunner().invoke(main, ["run", "--quiet", "--detector", "random", "--dataset", "tiny",
                                        "--scheduler", "tcp://127.0.0.1:1", "--output", str(tmp_path)])
    assert outcome.exit_code == 2 and "add --executor dask" in outcome.output


def test_a_worker_killed_mid_run_is_replaced_and_the_record_is_complete_and_identical(tmp_path):
    marker = tmp_path / "exited"
    detector = ["--detector", "tests.commands.faulty_detectors:ExitsOnceOnTall", "--detector-args", f"marker={marker}"]
    dask = _run(tmp_path, "dask", "--executor", "dask", "--jobs", "2", *detector)
    assert marker.exists()  # a worker did die on the tall frame; Dask ran its chunk again on a new worker
    assert dask["status"] == "complete" and dask["failures"] == [] and len(dask["per_image"]) == 3
    local = _run(tmp_path, "local", *detector)  # the marker exists now: no exit
    assert record_results_text(dask) == record_results_text(local)


def _malloc_trim_threshold():
    return os.environ.get("MALLOC_TRIM_THRESHOLD_")


def test_local_cluster_workers_keep_glibcs_adaptive_malloc(monkeypatch):
    # Dask's default MALLOC_TRIM_THRESHOLD_=65536 doubled a U-Net's time per patch (docs/scaling.md)
    from crbench.executors import dask_client

    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    with dask_client(n_workers=1) as client:
        assert list(client.run(_malloc_trim_threshold).values()) == [None]
