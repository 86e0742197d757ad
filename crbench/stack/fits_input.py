"""Reading the frames of a stack from FITS files, with header numbers or explicit values.

:class:`HeaderValue` and :func:`frame_name` live in :mod:`crbench.fits_options` (shared with
``crbench detect``) and are re-exported here.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError, ShapeMismatchError
from ..fits_options import HeaderValue, frame_name, read_fits_float64
from ..hashing import file_sha256

__all__ = ["StackFrame", "HeaderValue", "read_stack_frames", "frame_name"]


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
        data, header = read_fits_float64(path, ext)
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
