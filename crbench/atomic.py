"""Atomic file writes: a reader never sees a half-written result file.

A write goes to a hidden temporary file ``.<name>.<random>.tmp`` beside the
destination, is flushed to disk (``fsync``) and only then renamed into
place, so that a crash or power loss leaves either the old file or the
complete new one, never a zero-length or truncated file under the final
name. A writer killed with ``SIGKILL`` cannot remove its temporary file;
:func:`remove_orphaned_temporaries` deletes such leftovers.
"""

import contextlib
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

__all__ = ["atomic_path", "write_json_atomic", "save_npy_atomic", "remove_orphaned_temporaries",
           "ORPHAN_AGE_SECONDS"]

#: A temporary file untouched for this long belongs to a killed writer. Writers
#: hold theirs only while writing bytes already computed (seconds), and the age
#: is measured from the last write, so a live writer is never this old.
ORPHAN_AGE_SECONDS = 3600.0


def _fsync_path(path, *, directory=False):
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        if directory:
            return  # some file systems do not open folders; the file itself is synced
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not directory:
            raise
    finally:
        os.close(fd)


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
        # flush the bytes before they get the final name: a crash after the
        # rename must not leave a zero-length or truncated file under that name
        _fsync_path(tmp_path)
        if overwrite:
            os.replace(tmp_path, path)
        else:
            os.link(tmp_path, path)
        _fsync_path(path.parent, directory=True)
    finally:
        tmp_path.unlink(missing_ok=True)


def remove_orphaned_temporaries(directory, *, max_age_seconds=ORPHAN_AGE_SECONDS, recursive=False, now=None):
    """Delete temporary files that killed writers of :func:`atomic_path` left behind.

    Only hidden ``.*.tmp`` files last modified more than ``max_age_seconds``
    ago are removed. The age test, not a process-id test, keeps this safe
    with concurrent writers, including writers on other machines sharing
    the folder: a live writer's temporary file is at most a few seconds old.

    Parameters
    ----------
    directory : path-like
        Folder to clean; a missing folder is not an error.
    max_age_seconds : float
        Minimum age (since last modification) of a removed file.
    recursive : bool
        Also clean sub-folders.
    now : float, optional
        Current time (``time.time()``); for tests.

    Returns
    -------
    list of pathlib.Path
        The files removed.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return []
    now = time.time() if now is None else now
    pattern = "**/.*.tmp" if recursive else ".*.tmp"
    removed = []
    for path in directory.glob(pattern):
        try:
            info = path.lstat()
            if path.is_file() and not path.is_symlink() and now - info.st_mtime > max_age_seconds:
                path.unlink()
                removed.append(path)
        except FileNotFoundError:
            continue  # its writer finished (renamed it) or another cleaner got there first
    return removed


def write_json_atomic(path, payload, *, indent=2):
    """Write ``payload`` as strict JSON (no NaN/inf) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=indent, allow_nan=False, sort_keys=False) + "\n")


def save_npy_atomic(path, array):
    """Save ``array`` in ``.npy`` format to ``path`` atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.save(handle, array, allow_pickle=False)
