"""Content hashes of files: the one helper every checksum in crbench goes through."""

import hashlib

__all__ = ["file_sha256"]


def file_sha256(path, *, chunk_bytes=1 << 20):
    """Return the hex sha256 of the file at ``path``, read in chunks of ``chunk_bytes``."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_bytes), b""):
            digest.update(chunk)
    return digest.hexdigest()
