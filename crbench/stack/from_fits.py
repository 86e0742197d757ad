"""Build a labelled data set folder from a stack of aligned FITS frames (``crbench datasets from-stack``)."""

from pathlib import Path

from .. import __version__
from ..errors import InputError
from .fits_input import read_stack_frames
from .folder import STACK_SPLIT, write_stack_folder
from .params import StackParams
from .truth import build_stack_truth

__all__ = ["build_stack_dataset", "stack_card"]


def stack_card(name, *, family=None, instrument="unknown", truth_dilation=3, n_frames, description=None):
    """Return the :class:`~crbench.datasets.DatasetCard` of a data set built from a stack."""
    from ..datasets.base import DatasetCard

    return DatasetCard(
        name=name,
        version="1",
        family=family or name,
        description=description or (
            f"{n_frames} aligned repeated exposures with cosmic-ray truth from comparison with the other "
            "frames (crbench datasets from-stack); truth is complete only for CRs above the builder's "
            "seed threshold (docs/real_data.md)"
        ),
        instrument=instrument,
        truth_dilation=truth_dilation,
        ignore_policy="exclude",
        splits=(STACK_SPLIT,),
        source=f"built by crbench {__version__} datasets from-stack",
        kind="standard",
    )


def build_stack_dataset(name, paths, *, output, gain, read_noise, saturation, ext=0, group=None, units="adu",
                        sky_subtracted=False, instrument=None, family=None, truth_dilation=3,
                        params=None, progress=False):
    """Read aligned FITS frames, label their cosmic rays and write the data set folder.

    Parameters
    ----------
    name : str
        Data set name; the folder is ``output / name``.
    paths : sequence of path-like
        FITS files, one frame each, aligned on one pixel grid.
    output : path-like
    gain, read_noise, saturation : HeaderValue
        Where each number comes from (header keyword or value).
    ext : int or str, optional
        HDU holding the image.
    group : str, optional
        Header keyword grouping the frames (compare only within a group).
    units : {"adu", "electron"}, optional
    sky_subtracted : bool, optional
        Stated in the samples' metadata.
    instrument, family : str, optional
        Card fields (instrument default: header ``INSTRUME`` of the first frame, lower case).
    truth_dilation : int, optional
    params : StackParams, optional
        Thresholds; default ``StackParams()``.
    progress : bool, optional
        Show a progress bar while writing.

    Returns
    -------
    pathlib.Path
        The data set folder.
    """
    from ..datasets.base import SampleMeta

    params = StackParams() if params is None else params
    if not name or "/" in name or name.startswith("."):
        raise InputError(f"data set name {name!r} must be a plain folder name")
    if units not in ("adu", "electron"):
        raise InputError(f"units must be 'adu' or 'electron', not {units!r}")
    frames = read_stack_frames(paths, ext=ext, gain=gain, read_noise=read_noise, saturation=saturation, group=group)
    results = build_stack_truth([frame.image for frame in frames], gains=[frame.gain for frame in frames],
                                read_noises=[frame.read_noise for frame in frames],
                                saturations=[frame.saturation for frame in frames],
                                groups=None if group is None else [frame.group for frame in frames], params=params)
    instrument = instrument or str(frames[0].header.get("INSTRUME", "unknown")).strip().lower() or "unknown"
    card = stack_card(name, family=family, instrument=instrument, truth_dilation=truth_dilation,
                      n_frames=len(frames))
    samples = []
    for frame, result in zip(frames, results):
        meta = SampleMeta(
            instrument=instrument, units=units, gain=frame.gain, read_noise=frame.read_noise,
            saturation=frame.saturation,
            band=str(frame.header["FILTER"]) if "FILTER" in frame.header else None,
            exposure_time=float(frame.header["EXPTIME"]) if "EXPTIME" in frame.header else None,
            sky_subtracted=sky_subtracted, extra={"source_file": frame.path.name, "group": frame.group},
        )
        samples.append((frame.name, frame.image, meta, result))
    folder = Path(output) / name
    write_stack_folder(
        folder, card=card, samples=samples, params=params, progress=progress,
        builder_options={"aligned": True, "ext": ext, "group_keyword": group, "gain": gain.describe(),
                         "read_noise": read_noise.describe(), "saturation": saturation.describe()},
        inputs=[{"sample_id": frame.name, "file": frame.path.name, "sha256": frame.sha256} for frame in frames],
    )
    return folder
