"""``crbench datasets build --executor local|processes|dask`` (issue 17, item 1): the same files from every executor.

The data set is sim_decam_sharp's small val split (16 patches of 256x256)
with its real layout: the workers are fresh processes that would not see a
layout shrunk by the test.
"""

import hashlib
import json

import pytest
from click.testing import CliRunner

from crbench.cli import main
from crbench.datasets.sim import SimDecamSharp

pytest.importorskip("distributed")

EXECUTORS = {
    "local": ["--executor", "local"],
    "processes": ["--executor", "processes", "--jobs", "2"],
    "dask": ["--executor", "dask", "--jobs", "2"],  # a LocalCluster(processes=True) of 2 workers
}


def _digests(root):
    """``{relative path: sha256}`` of every file under ``root``."""
    return {path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(root.rglob("*")) if path.is_file()}


def _build(tmp_path, monkeypatch, name, *options):
    cache = tmp_path / name
    monkeypatch.setenv("CRBENCH_CACHE", str(cache))
    outcome = CliRunner().invoke(main, ["datasets", "build", "sim_decam_sharp", "--split", "val", *options])
    assert outcome.exit_code == 0, outcome.output
    return cache


def test_every_executor_writes_byte_identical_files(tmp_path, monkeypatch):
    # the Dask build starts from a partly built split: cached samples are read by the workers, not regenerated
    monkeypatch.setenv("CRBENCH_CACHE", str(tmp_path / "dask"))
    ids = SimDecamSharp().sample_ids("val")
    for sample_id in ids[:3]:
        SimDecamSharp().load_sample("val", sample_id)
    cached = {path: path.stat().st_mtime_ns for path in (tmp_path / "dask").rglob("*.npz")}
    assert len(cached) == 3
    built = {name: _build(tmp_path, monkeypatch, name, *options) for name, options in EXECUTORS.items()}
    digests = {name: _digests(cache) for name, cache in built.items()}
    assert len(digests["local"]) == len(ids) + 1  # every sample and the manifest
    assert digests["processes"] == digests["local"]
    assert digests["dask"] == digests["local"]
    assert {path: path.stat().st_mtime_ns for path in cached} == cached  # not written again
    # the manifest lists the samples in the split's order, whichever worker generated which
    [manifest] = built["dask"].rglob("manifest.json")
    assert list(json.loads(manifest.read_text())["samples"]) == ids


@pytest.mark.parametrize("options, message", [
    (["--scheduler", "tcp://127.0.0.1:1"], "add --executor dask"),
    (["--executor", "local", "--jobs", "2"], "--executor local runs in this process: drop --jobs N, or"),
])
def test_executor_options_that_do_not_fit_are_usage_errors(tmp_path, monkeypatch, options, message):
    monkeypatch.setenv("CRBENCH_CACHE", str(tmp_path / "unused"))
    outcome = CliRunner().invoke(main, ["datasets", "build", "sim_decam_sharp", "--split", "val", *options])
    assert outcome.exit_code == 2 and message in outcome.output
    assert not (tmp_path / "unused").exists()
