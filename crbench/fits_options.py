"""FITS inputs named on the command line: header numbers given as KEY or VALUE, and one image HDU read safely.

Shared by ``crbench datasets from-stack`` (:mod:`crbench.stack.fits_input`)
and ``crbench detect`` (:mod:`crbench.jobs.detect_files`), so that both
accept ``--gain GAIN`` and ``--gain 1.6`` alike, name the missing keyword in
the same words and refuse hostile or damaged files in the same way.
"""

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import CorruptFileError, InputError
from .safe_files import check_fits_file

__all__ = ["HeaderValue", "FitsImage", "read_fits_image", "read_fits_float64", "frame_name", "parse_ext",
           "FITS_SUFFIXES"]

FITS_SUFFIXES = (".fits.fz", ".fits.gz", ".fits", ".fit", ".fts")


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

    def resolve(self, header, path, *, fallback=None):
        """Return the number for one file, raising :class:`InputError` naming the fix when missing.

        Parameters
        ----------
        header : astropy.io.fits.Header or mapping
            Header of the image HDU, searched first.
        path : path-like
            Named in error messages.
        fallback : astropy.io.fits.Header or mapping, optional
            Searched when ``header`` lacks the keyword (the primary header
            of a multi-extension file, where instruments often keep it).
        """
        if self.keyword is None:
            return self.value
        holder = header
        if self.keyword not in header and fallback is not None and self.keyword in fallback:
            holder = fallback
        if self.keyword not in holder:
            where = "header" if fallback is None else "image header and primary header"
            raise InputError(
                f"{path}: {where} has no {self.keyword!r} keyword; pass {self.option} KEY naming the keyword "
                f"that holds it, or {self.option} VALUE with the number"
            )
        try:
            return float(holder[self.keyword])
        except (TypeError, ValueError):
            raise InputError(f"{path}: header {self.keyword}={holder[self.keyword]!r} is not a number; pass "
                             f"{self.option} VALUE") from None

    def describe(self):
        """Return the JSON-ready provenance of the value."""
        return {"keyword": self.keyword} if self.keyword is not None else {"value": self.value}


@dataclass(frozen=True)
class FitsImage:
    """One 2-D image HDU of a FITS file, as astropy presents it.

    Attributes
    ----------
    data : ndarray, shape (ny, nx)
        The pixels with astropy's scaling applied (``BSCALE``/``BZERO``;
        decompressed for a ``CompImageHDU``), in their own dtype.
    header : astropy.io.fits.Header
        A copy of the image HDU's header (of the uncompressed image for a
        compressed HDU).
    primary_header : astropy.io.fits.Header
        A copy of the primary header (the same as ``header`` when the image
        is the primary HDU).
    index : int
        Position of the HDU in the file.
    name : str
        Its ``EXTNAME`` (astropy's ``"PRIMARY"`` for the primary HDU).
    """

    data: np.ndarray
    header: object
    primary_header: object
    index: int
    name: str


def parse_ext(text):
    """Return an HDU index for ``"1"``, a name for ``"SCI"``, None for None or ``""``."""
    if text is None or str(text).strip() == "":
        return None
    text = str(text).strip()
    return int(text) if text.lstrip("-").isdigit() else text


def frame_name(path):
    """Return the file name of ``path`` without its FITS suffix (the sample id)."""
    name = Path(path).name
    for suffix in FITS_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _pick_hdu(hdus, ext, path):
    """The HDU ``ext`` names, or (``ext`` None) the first one holding a 2-D image."""
    if ext is None:
        for index, hdu in enumerate(hdus):
            if hdu.is_image and hdu.header.get("NAXIS", 0) == 2:
                return index, hdu
        described = [(h.name, h.header.get("NAXIS", 0)) for h in hdus]
        raise InputError(f"{path}: no HDU holds a 2-D image (name, NAXIS: {described}); pass --ext")
    try:
        hdu = hdus[ext]
    except (KeyError, IndexError):
        names = [h.name for h in hdus]
        raise InputError(f"{path}: no extension {ext!r}; it has {names}; pass --ext") from None
    return hdus.index_of(ext) if not isinstance(ext, int) else ext % len(hdus), hdu


def read_fits_image(path, ext=0):
    """Read one 2-D image HDU after the safety checks of :func:`crbench.safe_files.check_fits_file`.

    Parameters
    ----------
    path : path-like
    ext : int, str or None
        HDU index or ``EXTNAME``; None picks the first HDU holding a 2-D
        image (the first extension of a ``.fits.fz`` file).

    Returns
    -------
    FitsImage

    Raises
    ------
    InputError
        A missing extension, or an HDU without a 2-D image (the message names
        the HDUs there are and ``--ext``).
    CorruptFileError
        A file that is not readable FITS (truncated, damaged header or data).
    UnsafeFileError
        Not a regular file, or declared sizes beyond the limits.
    FileNotFoundError
    """
    from astropy.io import fits
    from astropy.utils.exceptions import AstropyUserWarning

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", AstropyUserWarning)  # astropy reports truncation as a warning
            check_fits_file(path)  # regular file, declared sizes within limits
            # the handle is ours, so it is closed even when astropy fails half-way through a header
            with open(path, "rb") as handle, fits.open(handle, memmap=False, lazy_load_hdus=False) as hdus:
                index, hdu = _pick_hdu(hdus, ext, path)
                data = hdu.data
                if data is not None:
                    data = np.array(data)  # detached from the file, in astropy's (scaled) dtype
                image = FitsImage(data=data, header=hdu.header.copy(), primary_header=hdus[0].header.copy(),
                                  index=index, name=hdu.name)
    except (InputError, FileNotFoundError):  # our own messages (UnsafeFileError is one), or a missing file
        raise
    except (OSError, ValueError, TypeError, EOFError, AstropyUserWarning) as err:
        raise CorruptFileError(f"{path}: cannot read as FITS ({err.__class__.__name__}: {err})") from err
    if image.data is None or image.data.ndim != 2:
        shape = None if image.data is None else image.data.shape
        where = ext if ext is not None else image.index
        raise InputError(f"{path}: extension {where!r} holds no 2-D image (shape {shape}); pass --ext")
    return image


def read_fits_float64(path, ext):
    """Return ``(data as float64, header)`` of HDU ``ext`` of ``path`` (read as :func:`read_fits_image` does)."""
    image = read_fits_image(path, ext)
    return np.asarray(image.data, dtype=np.float64), image.header
