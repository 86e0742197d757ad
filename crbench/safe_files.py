"""Checks a data file must pass before any reader opens it.

Every FITS and ``.npy`` reader of crbench calls :func:`check_fits_file` or
:func:`check_npy_file` first, so that a hostile or damaged file fails with a
:class:`~crbench.errors.UnsafeFileError` naming the file and the fix instead
of hanging or exhausting memory:

* **Regular files only.** A FIFO, a device (a link to ``/dev/zero``) or a
  folder would make a reader block or read forever.
* **Declared sizes.** The header's shape x element size is what a reader
  allocates; it must stay within a limit (:func:`max_array_bytes`, default
  4 GiB per array, ``$CRBENCH_MAX_ARRAY_BYTES``) and, for data stored as
  is (plain FITS HDUs, ``.npy``), within the file's own size. A compressed
  FITS image (``ZNAXISn``) or a gzip-compressed FITS file is checked against
  the limit only: its bytes are compressed.

Only headers are read; the checks cost well under a millisecond per HDU.
"""

import math
import os
import stat
import warnings
from pathlib import Path

from .errors import CorruptFileError, InputError, UnsafeFileError

__all__ = ["MAX_ARRAY_BYTES_ENV", "max_array_bytes", "check_regular_file", "check_fits_file", "check_npy_file"]

MAX_ARRAY_BYTES_ENV = "CRBENCH_MAX_ARRAY_BYTES"
_DEFAULT_MAX_ARRAY_BYTES = 4 << 30
_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


def max_array_bytes():
    """The largest array a data file may declare, in bytes (``$CRBENCH_MAX_ARRAY_BYTES``, default 4 GiB)."""
    text = os.environ.get(MAX_ARRAY_BYTES_ENV)
    if not text:
        return _DEFAULT_MAX_ARRAY_BYTES
    try:
        return int(float(text))
    except ValueError as err:
        raise InputError(f"${MAX_ARRAY_BYTES_ENV}={text!r} is not a number of bytes") from err


def check_regular_file(path):
    """Raise unless ``path`` is (or links to) a regular file; return its size in bytes.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    UnsafeFileError
        ``path`` is a FIFO, device, socket or folder: reading it would block
        or never end.
    """
    mode = os.stat(path).st_mode  # follows links: a link to /dev/zero is a device
    if not stat.S_ISREG(mode):
        kind = next((label for test, label in _KINDS if test(mode)), "not a regular file")
        raise UnsafeFileError(f"{path} is {kind}, not a regular file; refusing to read it (replace it by "
                              "the data file itself)")
    return os.stat(path).st_size


def _check_declared(path, where, *, n_bytes, limit, fix):
    if n_bytes > limit:
        raise UnsafeFileError(
            f"{path}: {where} declares {n_bytes / 2**30:.1f} GiB of data, above the limit of "
            f"{limit / 2**30:.1f} GiB; refusing to read it ({fix})"
        )


def _header_int(path, header, key, *, default=None):
    value = header.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise UnsafeFileError(f"{path}: header keyword {key} is {value!r}, not a non-negative integer")
    return value


def _bytes_per_pixel(path, header, key):
    value = header.get(key)
    if value not in (8, 16, 32, 64, -32, -64):
        raise UnsafeFileError(f"{path}: header keyword {key} is {value!r}, not one of 8, 16, 32, 64, -32, -64")
    return abs(value) // 8


def check_fits_file(path, *, limit=None):
    """Check a FITS file's type and declared array sizes before reading it.

    Parameters
    ----------
    path : path-like
    limit : int, optional
        Largest declared array per HDU in bytes (default :func:`max_array_bytes`).

    Raises
    ------
    UnsafeFileError
        Not a regular file; an HDU declares more than ``limit`` bytes, or
        more uncompressed bytes than the file holds; a size keyword is not
        a non-negative integer.
    CorruptFileError
        The headers cannot be parsed as FITS.
    """
    from astropy.utils.exceptions import AstropyUserWarning

    path = Path(path)
    file_size = check_regular_file(path)
    limit = max_array_bytes() if limit is None else limit
    fix = f"a damaged or hostile file; if it is genuine, raise ${MAX_ARRAY_BYTES_ENV}"
    try:
        # the compressed images stay binary tables here, so their raw ZNAXISn keywords are visible;
        # astropy's truncation warning is replaced by the clearer size check below
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyUserWarning)
            _check_fits_headers(path, file_size=file_size, limit=limit, fix=fix)
    except UnsafeFileError:
        raise
    except (OSError, ValueError, TypeError, KeyError, IndexError, EOFError) as err:
        raise CorruptFileError(f"{path}: cannot read as FITS ({err.__class__.__name__}: {err})") from err


def _check_fits_headers(path, *, file_size, limit, fix):
    from astropy.io import fits

    with open(path, "rb") as handle:
        # a whole-file compressed FITS (.fits.gz, .fits.bz2, zip) holds fewer bytes than it declares
        stored_as_is = not handle.read(3).startswith((b"\x1f\x8b", b"BZh", b"PK"))
    with open(path, "rb") as handle, fits.open(handle, memmap=False, lazy_load_hdus=True,
                                               disable_image_compression=True) as hdus:
        for index, hdu in enumerate(hdus):
            header = hdu.header
            where = f"HDU {index} ({hdu.name})"
            if header.get("ZIMAGE") is True:
                n_axes = _header_int(path, header, "ZNAXIS")
                shape = [_header_int(path, header, f"ZNAXIS{axis}") for axis in range(1, n_axes + 1)]
                item = _bytes_per_pixel(path, header, "ZBITPIX")
                _check_declared(path, f"{where} (compressed image of shape {shape[::-1]})",
                                n_bytes=math.prod(shape) * item, limit=limit, fix=fix)
            n_axes = _header_int(path, header, "NAXIS")
            shape = [_header_int(path, header, f"NAXIS{axis}") for axis in range(1, n_axes + 1)]
            item = _bytes_per_pixel(path, header, "BITPIX")
            groups = _header_int(path, header, "GCOUNT", default=1)
            heap = _header_int(path, header, "PCOUNT", default=0)
            n_bytes = item * groups * (heap + math.prod(shape)) if n_axes else 0
            _check_declared(path, where, n_bytes=n_bytes, limit=limit, fix=fix)
            start = hdu.fileinfo()["datLoc"]
            if stored_as_is and start + n_bytes > file_size:
                raise UnsafeFileError(
                    f"{path}: cannot read as FITS: {where} declares {n_bytes} bytes of data from byte {start}, but the file "
                    f"has {file_size} bytes (truncated or a forged header); re-download or rebuild it"
                )


def check_npy_file(path, *, limit=None, mmap=False):
    """Check a ``.npy`` file's type and declared size before reading it.

    Parameters
    ----------
    path : path-like
    limit : int, optional
        Largest declared array in bytes when the array is read into memory
        (default :func:`max_array_bytes`).
    mmap : bool
        The caller memory-maps the file: only the file-size check applies,
        since the array is never allocated as a whole.

    Raises
    ------
    UnsafeFileError
        Not a regular file, a header that is not a ``.npy`` header, Python
        objects, or a declared array larger than ``limit`` or than the file.
    """
    import numpy as np

    path = Path(path)
    file_size = check_regular_file(path)
    limit = max_array_bytes() if limit is None else limit
    try:
        with open(path, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, _, dtype = read_header(handle)
            offset = handle.tell()
    except (OSError, ValueError, SyntaxError, EOFError) as err:
        raise UnsafeFileError(f"{path}: cannot read as a .npy file ({err.__class__.__name__}: {err})") from err
    if dtype.hasobject:
        raise UnsafeFileError(f"{path}: holds Python objects (dtype {dtype}), which crbench never unpickles; "
                              "replace it by a numeric array")
    n_bytes = math.prod(shape) * dtype.itemsize
    if not mmap:
        _check_declared(path, f"its header (shape {shape}, {dtype})", n_bytes=n_bytes, limit=limit,
                        fix=f"a damaged or hostile file; if it is genuine, raise ${MAX_ARRAY_BYTES_ENV}")
    if offset + n_bytes > file_size:
        raise UnsafeFileError(f"{path}: cannot read: its header declares shape {shape} of {dtype} ({n_bytes} bytes) but the "
                              f"file holds {file_size - offset} bytes of data (truncated or forged); re-download it")
