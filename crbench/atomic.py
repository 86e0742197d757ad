"""Atomic file writes: a reader never sees a half-written result file."""

import contextlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["atomic_path", "write_json_atomic", "save_npy_atomic"]


@contextlib.contextmanager
def atomic_path(path, *, overwrite=True):
    """Yield a temporary path next to ``path`` and rename it into place on success.

    The temporary file lives in the destination directory so that the final
    ``os.replace`` is a same-filesystem rename (atomic on POSIX). On an
    exception the temporary file is removed and ``path`` is left untouched.
    With ``overwrite=False`` the file is hard-linked into place instead,
    which fails with :class:`FileExistsError` (and leaves the existing file
    as it is) when ``path`` already exists: the first writer wins.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp_name)
    # mkstemp creates 0600 files; give results the permissions a plain open() would
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)
    try:
        yield tmp_path
        if overwrite:
            os.replace(tmp_path, path)
        else:
            os.link(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_json_atomic(path, payload, *, indent=2):
    """Write ``payload`` as strict JSON (no NaN/inf) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=indent, allow_nan=False, sort_keys=False) + "\n")


def save_npy_atomic(path, array):
    """Save ``array`` in ``.npy`` format to ``path`` atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.save(handle, array, allow_pickle=False)
