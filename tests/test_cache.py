import numpy as np
import pytest

from crbench.cache import ScoreCache, cache_root


def _cache(root):
    return ScoreCache(root, detector_name="d", params_hash="abc", dataset_name="tiny", dataset_version="1",
                      dataset_size="default", split="test")


def test_cache_root_follows_environment(isolated_cache):
    assert cache_root() == isolated_cache


def test_score_and_mask_round_trip(tmp_path):
    cache = _cache(tmp_path)
    scores = np.random.default_rng(0).uniform(size=(5, 7)).astype(np.float32)
    cache.save("img#1", scores)
    assert cache.has("img#1")
    np.testing.assert_array_equal(cache.load("img#1", shape=(5, 7), kind="score"), scores)
    masks = np.random.default_rng(1).uniform(size=(3, 5, 7)) > 0.5
    cache.save("m", masks)
    np.testing.assert_array_equal(cache.load("m", shape=(5, 7), kind="mask"), masks)


def test_stale_entry_is_detected(tmp_path):
    cache = _cache(tmp_path)
    cache.save("x", np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match="expected"):
        cache.load("x", shape=(5, 4), kind="score")


def test_no_temporary_files_left_behind(tmp_path):
    cache = _cache(tmp_path)
    cache.save("x", np.zeros((4, 4), np.float32))
    assert [path.name for path in cache.directory.iterdir()] == ["x.npy"]
