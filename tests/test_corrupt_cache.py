"""Damaged score-cache entries and killed writers: detected, named, removed and recomputed (issue 16)."""

import io
import os
import time

import numpy as np
import pytest
import zstandard
from click.testing import CliRunner

import crbench.atomic
from crbench.atomic import atomic_path, remove_orphaned_temporaries
from crbench.cache import ScoreCache
from crbench.cli import main
from crbench.errors import CorruptFileError, CorruptFileWarning
from crbench.records import load_record


def _cache(root):
    return ScoreCache(root, detector_name="d", identity_hash="0123", params_hash="abc")


def _read_entry(path):
    """The array in an entry, compressed (``.npy.zst``) or older uncompressed (``.npy``)."""
    payload = path.read_bytes()
    if path.name.endswith(".zst"):
        payload = zstandard.ZstdDecompressor().decompress(payload)
    return np.load(io.BytesIO(payload))


def _write_entry(path, array):
    """Overwrite an entry in its own format (a valid file holding ``array``)."""
    buffer = io.BytesIO()
    np.save(buffer, array)
    payload = buffer.getvalue()
    if path.name.endswith(".zst"):
        payload = zstandard.ZstdCompressor().compress(payload)
    path.write_bytes(payload)


def _damage_zero_length(path):
    path.write_bytes(b"")


def _damage_nan(path):
    array = _read_entry(path)
    array[0, 0] = np.nan
    _write_entry(path, array)


def _damage_out_of_range(path):
    array = _read_entry(path)
    array[1, 1] = 7.0
    _write_entry(path, array)


def _damage_truncated(path):
    path.write_bytes(path.read_bytes()[:100])


def _damage_flipped_bit(path):
    # one bit in the middle of the compressed stream: caught by the frame's checksum at the latest
    payload = bytearray(path.read_bytes())
    payload[len(payload) // 2] ^= 0x01
    path.write_bytes(bytes(payload))


def _damage_huge_declared_size(path):
    # a frame whose header claims far more bytes than a map of this shape holds
    path.write_bytes(zstandard.ZstdCompressor().compress(b"\0" * 10_000_000))


DAMAGES = {"zero-length": _damage_zero_length, "nan": _damage_nan, "out-of-range": _damage_out_of_range,
           "truncated": _damage_truncated, "flipped-bit": _damage_flipped_bit,
           "huge-declared-size": _damage_huge_declared_size}


def _save_legacy(cache, key, array):
    """Write an uncompressed entry as crbench stored them before issue 17."""
    path = cache.legacy_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, array)
    return path


_COMPRESSED_ONLY = ("flipped-bit", "huge-declared-size")


@pytest.mark.parametrize(("damage", "legacy"), [(damage, False) for damage in sorted(DAMAGES)]
                         + [(damage, True) for damage in sorted(DAMAGES) if damage not in _COMPRESSED_ONLY])
def test_a_damaged_entry_is_named_and_discarded(tmp_path, damage, legacy):
    cache = _cache(tmp_path)
    map_ = np.random.default_rng(0).uniform(size=(64, 64)).astype(np.float32)
    path = _save_legacy(cache, "x", map_) if legacy else (cache.save("x", map_), cache.path("x"))[1]
    DAMAGES[damage](path)
    with pytest.raises(CorruptFileError, match=str(path)):
        cache.load("x", shape=(64, 64), kind="score")
    with pytest.warns(CorruptFileWarning, match=str(path)):
        assert cache.load_valid("x", shape=(64, 64), kind="score") is None
    assert not path.exists()


def _run(output):
    result = CliRunner().invoke(main, ["run", "--quiet", "--detector", "oracle", "--dataset", "tiny",
                                       "--output", str(output)])
    (path,) = sorted(output.glob("run__*.json"))
    return result, load_record(path).to_dict()


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_rerun_over_a_damaged_entry_recomputes_it_and_scores_as_before(tmp_path, isolated_cache, damage):
    first, reference = _run(tmp_path / "first")
    assert first.exit_code == 0, first.output
    entries = sorted((isolated_cache / "scores").rglob("*.npy.zst"))
    DAMAGES[damage](entries[0])
    with pytest.warns(CorruptFileWarning, match=entries[0].name):
        second, again = _run(tmp_path / "second")
    assert second.exit_code == 0, second.output
    assert again["runtime"]["n_images_from_cache"] == len(entries) - 1
    assert again["metrics"] == reference["metrics"]
    assert _read_entry(entries[0]).dtype == np.float32  # regenerated


def test_writes_are_flushed_before_the_rename(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(crbench.atomic.os, "fsync", lambda fd: (synced.append(os.readlink(f"/proc/self/fd/{fd}")),
                                                                real_fsync(fd)))
    path = tmp_path / "a.bin"
    with atomic_path(path) as tmp:
        tmp.write_bytes(b"data")
        temporary = str(tmp)
    assert synced[0] == temporary  # the file's bytes, before it got its final name
    assert str(tmp_path) in synced[1:]  # then the folder holding the new name


def test_orphaned_temporaries_of_killed_writers_are_removed_and_live_ones_kept(tmp_path):
    cache = _cache(tmp_path)
    cache.save("x", np.full((4, 4), 0.5, np.float32))
    folder = cache.path("x").parent
    orphan, live, other = folder / ".x.npy.abc123.tmp", folder / ".y.npy.def456.tmp", folder / "notes.tmp"
    for path in (orphan, live, other):
        path.write_bytes(b"partial")
    old = time.time() - 2 * crbench.atomic.ORPHAN_AGE_SECONDS
    os.utime(orphan, (old, old))
    os.utime(other, (old, old))
    assert cache.remove_orphans() == [orphan]
    assert live.exists() and other.exists() and cache.path("x").exists()  # a live writer's file stays
    assert remove_orphaned_temporaries(tmp_path / "missing") == []


def test_a_run_removes_orphans_left_in_its_cache(tmp_path, isolated_cache):
    _run(tmp_path / "first")
    folder = sorted((isolated_cache / "scores").rglob("*.npy.zst"))[0].parent
    orphan = folder / ".dead.npy.x1.tmp"
    orphan.write_bytes(b"partial")
    old = time.time() - 2 * crbench.atomic.ORPHAN_AGE_SECONDS
    os.utime(orphan, (old, old))
    _run(tmp_path / "second")
    assert not orphan.exists()
