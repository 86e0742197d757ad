"""Full-size builds and runs tell their disk and time first, and refuse when the disk would fill (issue 17)."""

import collections
import shutil

import pytest
from click.testing import CliRunner

import crbench.jobs.footprint as footprint_module
from crbench.cli import main
from crbench.datasets import DATASETS
from crbench.errors import StorageError
from crbench.jobs import Job
from crbench.jobs.footprint import (
    DATASET_MB_PER_MPIX,
    GENERATE_SECONDS_PER_MPIX,
    SCORE_BYTES_PER_PIXEL,
    build_footprint,
    require_disk,
    run_footprint,
)

_Usage = collections.namedtuple("_Usage", "total used free")


def _free(monkeypatch, free_bytes):
    monkeypatch.setattr(shutil, "disk_usage", lambda path: _Usage(10**13, 10**13 - free_bytes, free_bytes))


def test_build_footprint_counts_the_missing_samples_of_each_split(isolated_cache):
    dataset = DATASETS.get("sim_lco_1m")(size="full")
    footprint = build_footprint(dataset, ["test"], jobs=2)
    megapixels = 153 * 4096 * 4096 / 1e6
    assert footprint.needs == {isolated_cache: int(megapixels * DATASET_MB_PER_MPIX * 1e6)}
    assert footprint.seconds == pytest.approx(megapixels * GENERATE_SECONDS_PER_MPIX / 2)
    assert "2567 Mpix to generate" in footprint.summary()


def test_run_footprint_adds_the_score_cache_to_the_data(isolated_cache):
    footprint = run_footprint(Job("deepcr", "sim_decam", size="full"))
    megapixels = 8192 * 256 * 256 / 1e6
    expected = int(megapixels * DATASET_MB_PER_MPIX * 1e6) + int(megapixels * 1e6 * SCORE_BYTES_PER_PIXEL)
    assert footprint.needs == {isolated_cache: expected}
    assert "8192 images" in footprint.summary()


def test_require_disk_refuses_when_the_disk_would_fill(tmp_path, monkeypatch):
    footprint = footprint_module.Footprint({tmp_path / "a": 600, tmp_path / "b" / "c": 500}, 1.0, ())
    _free(monkeypatch, 1000)
    with pytest.raises(StorageError, match="need ~ 0.00 GB"):
        require_disk(footprint)  # 1100 bytes on one file system: they add up
    _free(monkeypatch, 1100)
    require_disk(footprint)


def test_full_size_build_prints_its_cost_and_refuses_on_a_small_disk(isolated_cache, monkeypatch):
    _free(monkeypatch, 10**8)
    built = []
    monkeypatch.setattr(DATASETS.get("sim_decam"), "build", lambda self, *args, **kwargs: built.append(args))
    result = CliRunner().invoke(main, ["datasets", "build", "sim_decam", "--size", "full", "--split", "test"])
    assert result.exit_code != 0
    assert "537 Mpix to generate" in result.output and "not enough disk" in result.output
    assert built == []  # refused before generating anything


def test_full_size_run_prints_its_cost_and_refuses_on_a_small_disk(isolated_cache, monkeypatch):
    _free(monkeypatch, 10**8)
    result = CliRunner().invoke(main, ["run", "--quiet", "--detector", "oracle", "--dataset", "sim_decam",
                                       "--size", "full", "--output", str(isolated_cache / "out")])
    assert result.exit_code != 0
    assert "8192 images" in result.output and "needs ~ 4." in result.output and "not enough disk" in result.output
    assert not (isolated_cache / "datasets").exists()  # nothing generated
    assert not (isolated_cache / "out").exists()  # no record


def test_small_runs_are_not_estimated(isolated_cache, monkeypatch):
    _free(monkeypatch, 0)  # a small run never asks
    result = CliRunner().invoke(main, ["run", "--quiet", "--detector", "oracle", "--dataset", "tiny",
                                       "--output", str(isolated_cache / "out")])
    assert result.exit_code == 0, result.output
    assert "needs ~" not in result.output
