"""Damaged cached samples and manifests of the simulated data sets (issue 16)."""

import pytest
from click.testing import CliRunner

from crbench.commands.datasets import datasets
from crbench.datasets import sample_sha256
from crbench.datasets.sim import SimLco1m
from crbench.errors import CorruptFileError, CorruptFileWarning

TINY_LAYOUT = {"shape": (96, 96), "counts": {"train": 2, "val": 1, "test": 3}}


@pytest.fixture
def dataset(monkeypatch):
    monkeypatch.setattr(SimLco1m, "layouts", {"small": TINY_LAYOUT, "full": SimLco1m.layouts["full"]})
    dataset = SimLco1m()
    dataset.build("test")
    return dataset


def _damaged(good, how):
    if how == "zero-length":
        return b""
    if how == "truncated":
        return good[: len(good) // 2]
    flipped = bytearray(good)
    flipped[len(good) // 3] ^= 0xFF  # inside the compressed image: a CRC or zlib error
    return bytes(flipped)


DAMAGES = ("zero-length", "truncated", "bit-flipped")


@pytest.mark.parametrize("how", DAMAGES)
def test_a_damaged_sample_is_named_removed_and_regenerated(dataset, how):
    path = dataset.cache_dir("test") / "test-00001.npz"
    expected = dataset.manifest("test")["test-00001"]
    path.write_bytes(_damaged(path.read_bytes(), how))
    with pytest.warns(CorruptFileWarning, match=str(path)):
        sample = dataset.load_sample("test", "test-00001")
    assert sample_sha256(sample) == expected
    assert sample_sha256(dataset.load_sample("test", "test-00001")) == expected  # the cache holds it again


@pytest.mark.parametrize("how", DAMAGES)
def test_verify_names_a_damaged_sample_and_the_fix(dataset, how):
    path = dataset.cache_dir("test") / "test-00002.npz"
    path.write_bytes(_damaged(path.read_bytes(), how))
    problems = dataset.verify("test")
    assert len(problems) == 1 and str(path) in problems[0] and "regenerated" in problems[0]
    result = CliRunner().invoke(datasets, ["verify", "sim_lco_1m", "--no-regenerate"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert str(path) in result.output and "rebuild" in result.output


@pytest.mark.parametrize("content", ["{", '{"samples": ["abc"]}', '{"samples": {"test-00000": 5}}', "[1]", ""])
def test_a_damaged_manifest_is_named_by_verify_and_rebuilt_by_runs(dataset, content):
    path = dataset.manifest_path("test")
    expected = dataset.manifest("test")
    path.write_text(content)
    with pytest.raises(CorruptFileError, match=str(path)):
        dataset.stored_manifest("test")
    result = CliRunner().invoke(datasets, ["verify", "sim_lco_1m", "--no-regenerate"])
    assert result.exit_code == 1 and result.exception.__class__ is SystemExit, result.output
    assert str(path) in result.output and "crbench datasets build sim_lco_1m" in result.output
    with pytest.warns(CorruptFileWarning, match=str(path)):
        assert dataset.manifest("test") == expected
    assert dataset.stored_manifest("test") == expected
