"""Check, before a long run, that the folder its results go to can be written.

A run that discovers a read-only ``--output`` only after detection has
thrown its work away; :func:`check_writable_directory` creates the folder
and writes and removes a probe file first, so the run fails in a second
with the path and the fix.
"""

import os
import tempfile
from pathlib import Path

from .errors import StorageError

__all__ = ["check_writable_directory", "storage_error"]


def storage_error(error, *, path, what, fix):
    """A :class:`~crbench.errors.StorageError` for an ``OSError`` met while writing ``path``.

    Parameters
    ----------
    error : OSError
        What the write raised.
    path : path-like
        The file or folder being written.
    what : str
        What was being written, e.g. ``"run records"``.
    fix : str
        The next step, e.g. ``"pass --output DIR"``.
    """
    reason = error.strerror or str(error)
    where = error.filename or path
    return StorageError(f"cannot write {what} to {path}: {reason} ({where}); {fix}")


def check_writable_directory(path, *, what, fix):
    """Create ``path`` if needed and write and remove a probe file in it.

    Parameters
    ----------
    path : path-like
    what, fix : str
        See :func:`storage_error`.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    StorageError
        When the folder cannot be created or written (read-only, a file in
        the path, full disk).
    """
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".crbench-probe-", dir=path)
        try:
            os.write(fd, b"probe")
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as error:
        raise storage_error(error, path=path, what=what, fix=fix) from error
    return path
