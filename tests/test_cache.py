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
    assert [path.name for path in cache.path("x").parent.iterdir()] == ["x.npy.zst"]


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


def _near_binary_map(shape, seed):
    """A score map like a U-Net's: most pixels within 1e-6 of 0, a few near 1, full float32 mantissas."""
    rng = np.random.default_rng(seed)
    scores = rng.uniform(0, 1e-6, size=shape)
    hits = rng.uniform(size=shape) < 0.01
    scores[hits] = 1 - rng.uniform(0, 1e-3, size=int(hits.sum()))
    return scores.astype(np.float32)


def test_compressed_entries_give_back_the_exact_bytes(tmp_path):
    cache = _cache(tmp_path)
    scores = _near_binary_map((256, 256), seed=3)
    scores[0, :3] = [0.0, 1.0, np.nextafter(np.float32(0), np.float32(1))]  # edges and a subnormal
    cache.save("s", scores)
    loaded = cache.load("s", shape=scores.shape, kind="score")[0]
    assert loaded.dtype == np.float32 and loaded.tobytes() == scores.tobytes()
    masks = np.random.default_rng(4).uniform(size=(5, 33, 17)) < 0.02  # a pixel count not a multiple of 8
    cache.save("m", masks)
    loaded_masks = cache.load("m", shape=(33, 17), kind="mask")[0]
    assert loaded_masks.dtype == bool and np.array_equal(loaded_masks, masks)
    single = masks[0]
    cache.save("one", single)
    assert np.array_equal(cache.load("one", shape=(33, 17), kind="mask")[0], single[np.newaxis])
    assert cache.path("m").name.endswith(".npy.zst")
    packed_bytes = 5 * -(-33 * 17 // 8)
    assert cache.path("m").stat().st_size < packed_bytes  # sparse masks compress


def _save_legacy(cache, key, array):
    path = cache.legacy_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, array)
    return path


def test_uncompressed_entries_of_older_versions_are_read_and_kept(tmp_path):
    cache = _cache(tmp_path)
    scores = _near_binary_map((8, 8), seed=5)
    legacy = _save_legacy(cache, "old", scores)
    assert cache.has("old") and cache.stored_path("old") == legacy
    loaded, digest = cache.load("old", shape=(8, 8), kind="score")
    assert loaded.tobytes() == scores.tobytes()
    assert digest == hashlib.sha256(legacy.read_bytes()).hexdigest()
    # an existing entry wins over a new save, whatever its format
    assert cache.save("old", np.zeros((8, 8), np.float32)) == digest
    assert not cache.path("old").exists()
    masks = np.random.default_rng(6).uniform(size=(2, 8, 8)) < 0.3
    _save_legacy(cache, "old-mask", np.packbits(masks.reshape(2, -1), axis=1))
    assert np.array_equal(cache.load("old-mask", shape=(8, 8), kind="mask")[0], masks)


def test_fresh_save_supersedes_an_uncompressed_entry(tmp_path):
    cache = _cache(tmp_path)
    legacy = _save_legacy(cache, "old", np.full((4, 4), 0.25, np.float32))
    cache.save("old", np.full((4, 4), 0.75, np.float32), replace=True)
    assert not legacy.exists() and cache.stored_path("old") == cache.path("old")
    np.testing.assert_array_equal(cache.load("old", shape=(4, 4), kind="score")[0], 0.75)
    cache.discard("old")
    assert not cache.has("old")


def test_saves_record_their_data_set_in_the_index(tmp_path):
    cache = _cache(tmp_path)
    cache.save("a", np.zeros((2, 2), np.float32), dataset="tiny")
    cache.save("a", np.zeros((2, 2), np.float32), dataset="sim_decam")  # existing entry, another data set
    cache.save("b", np.zeros((2, 2), np.float32))
    index = (cache.directory / "datasets.tsv").read_text().splitlines()
    assert index == ["a\ttiny", "a\tsim_decam"]
