import json
import os

import numpy as np
import pytest

from crbench.atomic import atomic_path, save_npy_atomic, write_json_atomic


def test_json_is_written_whole_and_readable_by_others(tmp_path):
    path = tmp_path / "sub" / "r.json"
    write_json_atomic(path, {"a": 1})
    assert json.loads(path.read_text()) == {"a": 1}
    assert os.stat(path).st_mode & 0o044  # group/other can read, as with open()


def test_nan_is_refused_and_nothing_is_left(tmp_path):
    path = tmp_path / "r.json"
    with pytest.raises(ValueError):
        write_json_atomic(path, {"a": float("nan")})
    assert list(tmp_path.iterdir()) == []


def test_interrupted_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "a.npy"
    save_npy_atomic(path, np.arange(3))
    with pytest.raises(RuntimeError):
        with atomic_path(path) as tmp:
            tmp.write_bytes(b"partial")
            raise RuntimeError("interrupted")
    np.testing.assert_array_equal(np.load(path), np.arange(3))
    assert [p.name for p in tmp_path.iterdir()] == ["a.npy"]
