"""``crbench cache info`` / ``crbench cache clear`` (issue 17)."""

import numpy as np
from click.testing import CliRunner

from crbench.cache import ScoreCache
from crbench.cache_usage import cache_usage, clear_cache
from crbench.cli import main


def _populate(root):
    """Three detectors' entries: two data sets, one input shared by both, and one pre-index (legacy) entry."""
    unet = ScoreCache(root, detector_name="unet", identity_hash="id1", params_hash="p1")
    sweep = ScoreCache(root, detector_name="scrappy.values", identity_hash="id2", params_hash="v1")
    for key in ("a", "b"):
        unet.save(key, np.full((8, 8), 0.5, np.float32), dataset="sim_decam")
    unet.save("c", np.full((8, 8), 0.5, np.float32), dataset="tiny")
    unet.save("a", np.full((8, 8), 0.5, np.float32), dataset="tiny")  # the same input in another data set
    sweep.save("a", np.zeros((1, 8, 8), bool), dataset="tiny")
    legacy = unet.legacy_path("old")
    legacy.parent.mkdir()
    np.save(legacy, np.zeros((8, 8), np.float32))
    return unet, sweep, legacy


def test_usage_is_grouped_by_detector_and_data_set(tmp_path):
    unet, _, _ = _populate(tmp_path)
    table = cache_usage(tmp_path).set_index(["detector", "dataset"])
    assert table["entries"].to_dict() == {("scrappy.values", "tiny"): 1, ("unet", "sim_decam"): 1,
                                          ("unet", "sim_decam+tiny"): 1, ("unet", "tiny"): 1,
                                          ("unet", "unknown"): 1}
    assert table.loc[("unet", "unknown"), "uncompressed entries"] == 1
    assert table.loc[("unet", "tiny"), "uncompressed entries"] == 0
    assert np.isclose(table.loc[("unet", "tiny"), "MB"], unet.path("c").stat().st_size / 1e6)


def test_info_prints_the_table(tmp_path):
    _populate(tmp_path)
    result = CliRunner().invoke(main, ["cache", "info", "--cache-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "| unet" in result.output and "sim_decam+tiny" in result.output and "unknown" in result.output
    assert "total: 5 entries" in result.output
    empty = CliRunner().invoke(main, ["cache", "info", "--cache-dir", str(tmp_path / "none")])
    assert empty.exit_code == 0 and "is empty" in empty.output


def test_clear_by_data_set_removes_its_entries_only(tmp_path):
    unet, sweep, legacy = _populate(tmp_path)
    assert clear_cache(tmp_path, dataset="sim_decam")[0] == 2  # "b", and "a" that tiny shares
    assert not unet.has("a") and not unet.has("b") and unet.has("c") and sweep.has("a") and legacy.exists()
    assert clear_cache(tmp_path, detector="unet", dataset="unknown")[0] == 1
    assert not legacy.exists() and unet.has("c")


def test_clear_by_detector_includes_its_sweep_values_and_asks_first(tmp_path):
    unet, sweep, _ = _populate(tmp_path)
    other = ScoreCache(tmp_path, detector_name="scrappy", identity_hash="id3", params_hash="p3")
    other.save("z", np.full((8, 8), 0.5, np.float32), dataset="tiny")
    declined = CliRunner().invoke(main, ["cache", "clear", "--detector", "scrappy", "--cache-dir", str(tmp_path)],
                                  input="n\n")
    assert declined.exit_code != 0 and "Remove 2 score-cache entries" in declined.output
    assert other.has("z") and sweep.has("a")
    result = CliRunner().invoke(main, ["cache", "clear", "--detector", "scrappy", "--yes",
                                       "--cache-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Removed 2 entries" in result.output
    assert not other.has("z") and not sweep.has("a") and unet.has("c")
    assert not sweep.directory.exists()  # nothing left of the configuration, index included
    everything = CliRunner().invoke(main, ["cache", "clear", "--yes", "--cache-dir", str(tmp_path)])
    assert everything.exit_code == 0 and "Removed 4 entries" in everything.output
    assert cache_usage(tmp_path).empty


def test_a_run_indexes_its_data_set_and_recomputes_after_clear(tmp_path, isolated_cache):
    def run():
        result = CliRunner().invoke(main, ["run", "--quiet", "--detector", "oracle", "--dataset", "tiny",
                                           "--output", str(tmp_path / "out")])
        assert result.exit_code == 0, result.output

    run()
    table = cache_usage(isolated_cache)
    assert table[["detector", "dataset", "entries"]].to_dict("records") == [
        {"detector": "oracle", "dataset": "tiny", "entries": 3}]
    result = CliRunner().invoke(main, ["cache", "clear", "--dataset", "tiny", "--yes"])
    assert result.exit_code == 0 and "Removed 3 entries" in result.output
    run()
    assert cache_usage(isolated_cache)["entries"].sum() == 3
