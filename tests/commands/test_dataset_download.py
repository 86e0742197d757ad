"""``crbench datasets download`` end to end against a local mirror on 127.0.0.1."""

import hashlib
import tarfile

import pytest
from click.testing import CliRunner

from crbench.cli import main
from crbench.datasets.lco import LCO0m4Dataset, LCO1mDataset, LCO2mDataset

from ..datasets.fixtures import write_lco_tree
from ..local_http import serve

pytestmark = pytest.mark.network


@pytest.fixture(autouse=True)
def isolated_locations(tmp_path, monkeypatch):
    monkeypatch.setenv("CRBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CRBENCH_DATA", raising=False)
    monkeypatch.delenv("CRBENCH_DOWNLOAD_MIRROR", raising=False)


@pytest.fixture
def lco_archive(tmp_path):
    source = tmp_path / "source"
    write_lco_tree(source, test_counts={"0m4": 1, "1m0": 1, "2m0": 1}, train_counts={})
    archive = tmp_path / "LCO_CR_dataset.tar.gz"
    with tarfile.open(archive, "w:gz") as handle:
        handle.add(source / "LCO_CR_dataset", arcname="LCO_CR_dataset")
    return archive.read_bytes()


def _registry(data, name="LCO_CR_dataset.tar.gz"):
    return f"{name} sha256:{hashlib.sha256(data).hexdigest()}\n".encode()


def test_download_from_a_mirror_then_load(tmp_path, lco_archive):
    files = {"/lco/registry.txt": _registry(lco_archive), "/lco/LCO_CR_dataset.tar.gz": lco_archive}
    data_dir = tmp_path / "data" / "lco"
    with serve(files) as server:
        args = ["datasets", "download", "lco", "--mirror", f"{server.url}/lco", "--data-dir", str(data_dir),
                "--no-progress"]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        assert "verified (sha256)" in result.output
        assert "lco_1m: 1 test sequences (paper: 51)" in result.output
        for dataset_class in (LCO0m4Dataset, LCO1mDataset, LCO2mDataset):
            dataset = dataset_class(data_dir=data_dir)
            sample = dataset.load_sample("test", dataset.sample_ids("test")[1]).validated()
            assert sample.image.shape == (48, 64)
        # a second run verifies nothing new and downloads nothing
        n_requests = len(server.requests)
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0 and "already downloaded and verified" in result.output
        assert len(server.requests) == n_requests + 1  # only registry.txt


def test_a_corrupt_mirror_fails_clearly_and_writes_no_data(tmp_path, lco_archive):
    corrupted = bytearray(lco_archive)
    corrupted[len(corrupted) // 2] ^= 0xFF
    files = {"/registry.txt": _registry(lco_archive), "/LCO_CR_dataset.tar.gz": bytes(corrupted)}
    data_dir = tmp_path / "data" / "lco"
    with serve(files) as server:
        result = CliRunner().invoke(
            main, ["datasets", "download", "lco_2m", "--mirror", server.url, "--data-dir", str(data_dir), "--no-progress"]
        )
    assert result.exit_code == 1
    assert "does not match its known hash" in result.output
    assert not data_dir.exists()
    downloads = tmp_path / "cache" / "downloads" / "lco"
    assert [path for path in downloads.rglob("*") if path.is_file()] == []


def test_dry_run_lists_files_without_downloading(tmp_path, lco_archive):
    with serve({"/registry.txt": _registry(lco_archive)}) as server:
        result = CliRunner(env={"CRBENCH_DOWNLOAD_MIRROR": server.url}).invoke(
            main, ["datasets", "download", "lco", "--dry-run"]
        )
        assert [entry["path"] for entry in server.requests] == ["/registry.txt"]
    assert result.exit_code == 0, result.output
    assert "LCO_CR_dataset.tar.gz" in result.output and "sha256:" in result.output


def test_local_registry_file(tmp_path, lco_archive):
    registry = tmp_path / "registry.txt"
    with serve({"/files/LCO_CR_dataset.tar.gz": lco_archive}) as server:
        registry.write_bytes(_registry(lco_archive).rstrip(b"\n") + f" {server.url}/files/LCO_CR_dataset.tar.gz\n".encode())
        result = CliRunner().invoke(
            main, ["datasets", "download", "lco", "--registry", str(registry), "--data-dir", str(tmp_path / "d"),
                   "--no-progress"]
        )
    assert result.exit_code == 0, result.output
    assert LCO0m4Dataset(data_dir=tmp_path / "d").is_available()


def test_decam_explains_that_it_cannot_be_downloaded(tmp_path):
    result = CliRunner().invoke(main, ["datasets", "download", "decam", "--data-dir", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "not publicly downloadable" in result.output and "--data-dir" in result.output


def test_unreachable_mirror_is_reported(tmp_path):
    with serve({}) as server:
        result = CliRunner().invoke(main, ["datasets", "download", "lco", "--mirror", server.url, "--no-progress"])
    assert result.exit_code == 1 and "registry.txt" in result.output and "404" in result.output
