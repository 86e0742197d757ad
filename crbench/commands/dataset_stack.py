"""``crbench datasets from-stack``: a labelled data set from aligned repeated exposures."""

import glob
from pathlib import Path

import click

from .options import header_number_options

__all__ = ["from_stack"]


@click.command("from-stack")
@click.argument("name")
@click.option("--images", "patterns", multiple=True, required=True,
              help="FITS files of the stack: a glob pattern (quote it) or a path; repeat for several.")
@click.option("--ext", default="0", show_default=True, help="HDU index or name holding the image.")
@header_number_options(saturation_note=" For sky-subtracted frames: above the subtracted sky.")
@click.option("--group", default=None,
              help="Header keyword grouping the frames (e.g. the night): each frame is compared only with "
                   "frames of its own group, so sources that varied between groups are not taken for CRs.")
@click.option("--aligned/--align", default=True, show_default=True,
              help="--aligned trusts that the frames share one pixel grid. --align (registration) is not "
                   "implemented: resample the frames onto one grid first (e.g. with reproject or SWarp).")
@click.option("--units", type=click.Choice(["adu", "electron"]), default="adu", show_default=True)
@click.option("--sky-subtracted", is_flag=True, help="State in the metadata that the frames are sky-subtracted.")
@click.option("--instrument", default=None, help="Card instrument (default: header INSTRUME, lower case).")
@click.option("--family", default=None, help="Card family matched against detectors' training data (default: NAME).")
@click.option("--output", type=click.Path(file_okay=False), default=None,
              help="Folder that receives NAME/ (default: $CRBENCH_DATA, else $CRBENCH_CACHE/data).")
def from_stack(name, patterns, ext, gain, read_noise, saturation, group, aligned, units, sky_subtracted,
               instrument, family, output):
    """Build data set NAME with cosmic-ray truth from aligned repeated exposures of one field.

    Each frame is compared with the median of the other frames (see docs/real_data.md); the result is
    NAME/crbench_dataset.json, NAME/manifest.json and NAME/frames/<frame>.fits with HDUs IMAGE, TRUTH,
    IGNORE, IGNORE_REASON, CLEANED and SIGNIFICANCE (ds9 -multiframe). Run it afterwards with
    'crbench run --dataset OUTPUT/NAME'.
    """
    from ..datasets.locations import data_root
    from ..errors import CRBenchError
    from ..fits_options import HeaderValue, parse_ext
    from ..stack.from_fits import build_stack_dataset

    if not aligned:
        raise click.UsageError("--align is not implemented: crbench does not register frames. Resample them "
                               "onto one pixel grid first (e.g. reproject or SWarp), then use --aligned")
    paths = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not matches:
            raise click.UsageError(f"--images {pattern!r} matches no file")
        paths.extend(matches)
    missing = [path for path in paths if not Path(path).is_file()]
    if missing:
        raise click.UsageError(f"--images: no such file {missing[0]!r}")
    try:
        folder = build_stack_dataset(
            name, paths, output=Path(output) if output else data_root(), ext=parse_ext(ext),
            gain=HeaderValue.parse("--gain", gain), read_noise=HeaderValue.parse("--read-noise", read_noise),
            saturation=HeaderValue.parse("--saturation", saturation), group=group, units=units,
            sky_subtracted=sky_subtracted, instrument=instrument, family=family, progress=True,
        )
    except CRBenchError as err:
        raise click.ClickException(str(err)) from err
    from ..stack.folder import read_stack_folder

    info, _ = read_stack_folder(folder)
    n_pixels = sum(entry["diagnostics"]["n_truth_pixels"] for entry in info["samples"].values())
    n_objects = sum(entry["diagnostics"]["n_truth_objects"] for entry in info["samples"].values())
    click.echo(f"{name}: {len(info['samples'])} frames, {n_objects} CR objects ({n_pixels} pixels) -> {folder}")
