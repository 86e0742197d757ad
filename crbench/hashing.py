"""Content hashes of files: the one helper every checksum in crbench goes through."""

import hashlib
import os
from pathlib import Path

__all__ = ["file_sha256", "preseeded_copy"]


def file_sha256(path, *, chunk_bytes=1 << 20):
    """Return the hex sha256 of the file at ``path``, read in chunks of ``chunk_bytes``.

    Raises
    ------
    UnsafeFileError
        ``path`` is a FIFO, device or folder (hashing it would block or never end).
    """
    from .safe_files import check_regular_file

    check_regular_file(path)
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_bytes), b""):
            digest.update(chunk)
    return digest.hexdigest()


def preseeded_copy(variable, relative_path, *, sha256, replace_with):
    """Return a verified copy of a file from the folder named by environment ``variable``, or None.

    Offline machines point ``variable`` (e.g. ``CRBENCH_WEIGHTS_DIR``) at a folder of verified
    copies. A copy found there is used only if its sha256 matches.

    Parameters
    ----------
    variable : str
        Environment variable naming the folder.
    relative_path : str
        Path of the file inside that folder.
    sha256 : str
        Expected hex digest.
    replace_with : str
        Where a correct copy comes from (for the error message).

    Returns
    -------
    pathlib.Path or None
        None when the variable is unset or the folder has no such file.

    Raises
    ------
    ChecksumError
        The copy does not match ``sha256``.
    """
    from .errors import ChecksumError

    folder = os.environ.get(variable)
    if not folder:
        return None
    candidate = Path(folder) / relative_path
    if not candidate.is_file():
        return None
    digest = file_sha256(candidate)
    if digest != sha256:
        raise ChecksumError(
            f"{candidate} (from {variable}) has sha256 {digest}, expected {sha256}; "
            f"replace it with {replace_with} or unset {variable}"
        )
    return candidate
