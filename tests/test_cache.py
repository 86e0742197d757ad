import hashlib

import numpy as np
import pytest

from crbench.cache import ScoreCache, cache_root, detection_input_sha256
from crbench.datasets import SampleMeta
from crbench.errors import CacheChangedError


def _cache(root, **identity):
    return ScoreCache(root, **{"detector_name": "d", "identity_hash": "0123", "params_hash": "abc", **identity})


def test_cache_root_follows_environment(isolated_cache):
    assert cache_root() == isolated_cache


def test_score_and_mask_round_trip(tmp_path):
    cache = _cache(tmp_path)
    scores = np.random.default_rng(0).uniform(size=(5, 7)).astype(np.float32)
    digest = cache.save("img#1", scores)
    assert cache.has("img#1")
    loaded, loaded_digest = cache.load("img#1", shape=(5, 7), kind="score")
    np.testing.assert_array_equal(loaded, scores)
    assert loaded_digest == digest == hashlib.sha256(cache.path("img#1").read_bytes()).hexdigest()
    masks = np.random.default_rng(1).uniform(size=(3, 5, 7)) > 0.5
    cache.save("m", masks)
    np.testing.assert_array_equal(cache.load("m", shape=(5, 7), kind="mask")[0], masks)


def test_stale_entry_is_detected(tmp_path):
    cache = _cache(tmp_path)
    cache.save("x", np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match="expected"):
        cache.load("x", shape=(5, 4), kind="score")


def test_no_temporary_files_left_behind(tmp_path):
    cache = _cache(tmp_path)
    cache.save("x", np.zeros((4, 4), np.float32))
    assert [path.name for path in cache.path("x").parent.iterdir()] == ["x.npy"]


def test_entries_are_write_once(tmp_path):
    # two runs computing one entry (e.g. with different torch thread counts, whose outputs differ in the
    # last bits) must both score the first-written bytes
    cache = _cache(tmp_path)
    first = cache.save("x", np.full((4, 4), 0.25, np.float32))
    second = cache.save("x", np.full((4, 4), 0.75, np.float32))
    assert second == first
    np.testing.assert_array_equal(cache.load("x", shape=(4, 4), kind="score")[0], 0.25)


def test_fresh_save_replaces_and_a_changed_entry_is_never_scored(tmp_path):
    cache = _cache(tmp_path)
    first = cache.save("x", np.full((4, 4), 0.25, np.float32))
    replaced = cache.save("x", np.full((4, 4), 0.75, np.float32), replace=True)
    assert replaced != first
    np.testing.assert_array_equal(cache.load("x", shape=(4, 4), kind="score", expected_sha256=replaced)[0], 0.75)
    with pytest.raises(CacheChangedError, match="changed while this run was using it"):
        cache.load("x", shape=(4, 4), kind="score", expected_sha256=first)


def test_key_separates_detector_identities(tmp_path):
    one, other = _cache(tmp_path, identity_hash="aaaa"), _cache(tmp_path, identity_hash="bbbb")
    one.save("x", np.zeros((2, 2), np.float32))
    assert not other.has("x")


def test_input_hash_depends_on_metadata_the_detector_sees():
    meta = SampleMeta(instrument="i", units="adu", gain=2.0, read_noise=5.0, saturation=6e4)
    same = detection_input_sha256("ab" * 32, meta)
    assert same == detection_input_sha256("ab" * 32, SampleMeta(**meta.to_dict()))
    assert same != detection_input_sha256("cd" * 32, meta)
    assert same != detection_input_sha256("ab" * 32, SampleMeta(**{**meta.to_dict(), "gain": 4.0}))
