"""``crbench detect``: cosmic rays in one's own FITS files, written beside them as mask (and score) HDUs."""

import glob
from pathlib import Path

import click

from .options import backend_option, device_option, header_number_options

__all__ = ["detect"]


def _expand(patterns):
    """Files named by ``patterns`` (globs expanded, sorted; duplicates once), UsageError for a miss."""
    paths, seen = [], set()
    for pattern in patterns:
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not matches:
            raise click.UsageError(f"{pattern!r} matches no file")
        for match in matches:
            if not Path(match).is_file():
                raise click.UsageError(f"no such file: {match!r}")
            if Path(match).resolve() not in seen:
                seen.add(Path(match).resolve())
                paths.append(Path(match))
    return paths


@click.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE_OR_GLOB...")
@click.option("--detector", "detector_name", required=True, help="Registry name or 'package.module:Class'.")
@click.option("--ext", default=None,
              help="HDU index or EXTNAME holding the image (default: the first HDU with a 2-D image).")
@header_number_options(gain_note=" Keywords are looked up in the image HDU, then the primary header.",
                       saturation_note=" 'inf' when there is none.")
@click.option("--units", type=click.Choice(["adu", "electron"]), default=None,
              help="Units of the pixels (default: from BUNIT, ADU when it is absent).")
@click.option("--sky-subtracted", is_flag=True, help="The images are sky-subtracted.")
@click.option("--threshold", type=click.FloatRange(0, 1), default=None,
              help="Score threshold of a score detector (default: its operating point). Mask detectors: set their "
                   "parameters with --detector-args.")
@click.option("--detector-args", default="",
              help="Detector parameters as k=v,k2=v2 (values read as YAML); astroscrappy and lacosmic otherwise "
                   "run at their upstream defaults.")
@click.option("--output", type=click.Path(file_okay=False), default=None,
              help="Folder for the <stem>_crbench.fits files (default: beside each input).")
@click.option("--overwrite", is_flag=True, help="Replace existing <stem>_crbench.fits files.")
@device_option()
@backend_option()
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes (each sets the detector up once; at most the number of CPUs).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def detect(files, detector_name, ext, gain, read_noise, saturation, units, sky_subtracted, threshold, detector_args,
           output, overwrite, device, jobs, quiet):
    """Detect cosmic rays in FITS FILES with DETECTOR; write <stem>_crbench.fits for each.

    Each output holds the image unchanged (HDU 0, with its header), the score map CRPROB (float32, score
    detectors) and the mask CRMASK (uint8, 1 = cosmic ray), with the detector, its version and parameters,
    the threshold, the crbench version and the input's sha256 in their headers. A file that fails is
    reported and the others go on; the exit code is 1 when any failed. See docs/detect.md.
    """
    import warnings

    from ..detection import prepare_detector
    from ..errors import CRBenchError, WorkersCappedWarning
    from ..fits_options import HeaderValue, parse_ext
    from ..jobs.detect_files import FitsDetectOptions, detect_files
    from ..runner import capped_workers
    from .options import parse_key_values

    paths = _expand(files)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", WorkersCappedWarning)
        jobs = capped_workers(jobs)
    for warning in caught:
        click.echo(f"warning: {warning.message}", err=True)
    options = FitsDetectOptions(
        ext=parse_ext(ext), gain=HeaderValue.parse("--gain", gain),
        read_noise=HeaderValue.parse("--read-noise", read_noise),
        saturation=HeaderValue.parse("--saturation", saturation), units=units, sky_subtracted=sky_subtracted,
        output_dir=output, overwrite=overwrite,
    )
    in_workers = jobs > 1 and len(paths) > 1
    try:
        params = parse_key_values(detector_args)
        # in this process: names and parameters are checked before any file is read, and the note printed
        setup = prepare_detector(detector_name, params=params, threshold=threshold, device=device,
                                 set_up=not in_workers)
        click.echo(f"{setup.detector.name} {setup.detector.version}: {setup.parameter_note}", err=True)
        if setup.threshold is not None:
            click.echo(f"threshold: score >= {setup.threshold:g}", err=True)
        if output is not None:
            Path(output).mkdir(parents=True, exist_ok=True)
        outcomes = detect_files(paths, options, detector=detector_name, params=params, threshold=threshold,
                                device=device, jobs=jobs, progress=not quiet,
                                setup=None if in_workers else setup)
    except CRBenchError as error:
        raise click.ClickException(str(error)) from error
    failed = [outcome for outcome in outcomes if outcome.error is not None]
    for outcome in outcomes:
        if outcome.error is None:
            click.echo(f"{outcome.path} -> {outcome.output}: {outcome.n_flagged} CR pixels "
                       f"({outcome.n_flagged / outcome.n_pixels:.3%})")
        else:
            click.echo(f"FAILED {outcome.path}: {outcome.error}", err=True)
    if failed:
        click.echo(f"{len(failed)} of {len(outcomes)} file(s) failed", err=True)
        raise SystemExit(1)
