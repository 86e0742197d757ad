"""Reading the frames of a stack from FITS files, with header numbers or explicit values."""

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import CorruptFileError, InputError, ShapeMismatchError
from ..hashing import file_sha256
from ..safe_files import check_fits_file

__all__ = ["StackFrame", "HeaderValue", "read_stack_frames", "frame_name"]

_FITS_SUFFIXES = (".fits.fz", ".fits.gz", ".fits", ".fit", ".fts")


@dataclass(frozen=True)
class HeaderValue:
    """A number given either directly or as the header keyword that holds it.

    Attributes
    ----------
    option : str
        The command-line option it came from (for error messages), e.g. ``"--gain"``.
    keyword : str or None
        Header keyword to read.
    value : float or None
        Fixed value (when ``keyword`` is None).
    """

    option: str
    keyword: str | None = None
    value: float | None = None

    @classmethod
    def parse(cls, option, text):
        """Return a fixed value when ``text`` is a number, else a header keyword."""
        try:
            return cls(option, value=float(text))
        except ValueError:
            return cls(option, keyword=str(text).strip().upper())

    def resolve(self, header, path):
        """Return the number for one file, raising :class:`InputError` naming the fix when missing."""
        if self.keyword is None:
            return self.value
        if self.keyword not in header:
            raise InputError(
                f"{path}: header has no {self.keyword!r} keyword; pass {self.option} KEY naming the keyword "
                f"that holds it, or {self.option} VALUE with the number"
            )
        try:
            return float(header[self.keyword])
        except (TypeError, ValueError):
            raise InputError(f"{path}: header {self.keyword}={header[self.keyword]!r} is not a number; pass "
                             f"{self.option} VALUE") from None

    def describe(self):
        """Return the JSON-ready provenance of the value."""
        return {"keyword": self.keyword} if self.keyword is not None else {"value": self.value}


@dataclass(frozen=True)
class StackFrame:
    """One input frame with the numbers the builder needs.

    Attributes
    ----------
    name : str
        Sample id (file name without its FITS suffix).
    path : pathlib.Path
    sha256 : str
        Of the input file's bytes.
    image : ndarray of float64
    gain, read_noise, saturation : float
    group : str or None
        Value of the ``--group`` keyword.
    header : dict
        ``FILTER``, ``EXPTIME``, ``INSTRUME`` when present.
    """

    name: str
    path: Path
    sha256: str
    image: np.ndarray
    gain: float
    read_noise: float
    saturation: float
    group: str | None
    header: dict


def frame_name(path):
    """Return the file name of ``path`` without its FITS suffix (the sample id)."""
    name = Path(path).name
    for suffix in _FITS_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _read_hdu(path, ext):
    from astropy.io import fits
    from astropy.utils.exceptions import AstropyUserWarning

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", AstropyUserWarning)  # astropy reports truncation as a warning
            check_fits_file(path)  # regular file, declared sizes within limits
            # the handle is ours, so it is closed even when astropy fails half-way through a header
            with open(path, "rb") as handle, fits.open(handle, memmap=False, lazy_load_hdus=False) as hdus:
                try:
                    hdu = hdus[ext]
                except (KeyError, IndexError):
                    names = [h.name for h in hdus]
                    raise InputError(f"{path}: no extension {ext!r}; it has {names}; pass --ext") from None
                data = hdu.data
                header = hdu.header.copy()
                if data is not None:
                    data = np.array(data, dtype=np.float64)
    except (InputError, FileNotFoundError):  # our own messages (UnsafeFileError is one), or a missing file
        raise
    except (OSError, ValueError, TypeError, EOFError, AstropyUserWarning) as err:
        raise CorruptFileError(f"{path}: cannot read as FITS ({err.__class__.__name__}: {err})") from err
    if data is None or data.ndim != 2:
        shape = None if data is None else data.shape
        raise InputError(f"{path}: extension {ext!r} holds no 2-D image (shape {shape}); pass --ext")
    return data, header


def read_stack_frames(paths, *, ext=0, gain, read_noise, saturation, group=None):
    """Read aligned frames from FITS files.

    Parameters
    ----------
    paths : sequence of path-like
    ext : int or str, optional
        HDU index or name holding the image.
    gain, read_noise, saturation : HeaderValue
        Where each number comes from (:meth:`HeaderValue.parse`).
    group : str, optional
        Header keyword whose value groups the frames (e.g. the night).

    Returns
    -------
    list of StackFrame
        In the order of ``paths``.

    Raises
    ------
    InputError
        Fewer than two files, a missing keyword or extension, duplicate names.
    ShapeMismatchError
        Frames of different shapes.
    CorruptFileError
        A file that is not readable FITS.
    """
    paths = [Path(path) for path in paths]
    if len(paths) < 2:
        raise InputError(f"a stack needs at least 2 FITS files, got {len(paths)}")
    frames = []
    for path in paths:
        data, header = _read_hdu(path, ext)
        if group is not None and group.upper() not in header:
            raise InputError(f"{path}: header has no {group.upper()!r} keyword for --group")
        frames.append(StackFrame(
            name=frame_name(path),
            path=path,
            sha256=file_sha256(path),
            image=data,
            gain=gain.resolve(header, path),
            read_noise=read_noise.resolve(header, path),
            saturation=saturation.resolve(header, path),
            group=None if group is None else str(header[group.upper()]),
            header={key: header[key] for key in ("FILTER", "EXPTIME", "INSTRUME") if key in header},
        ))
    shape = frames[0].image.shape
    for frame in frames[1:]:
        if frame.image.shape != shape:
            raise ShapeMismatchError(
                f"{frame.path}: image shape {frame.image.shape} differs from {frames[0].path}'s {shape}; "
                "from-stack needs frames aligned on one pixel grid (--aligned)"
            )
    names = [frame.name for frame in frames]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise InputError(f"two input files share the name {duplicates[0]!r}; frame names are the sample ids")
    return frames
