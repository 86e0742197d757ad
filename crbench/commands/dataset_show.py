"""``crbench datasets show``: a PNG of one sample of any data set, with a detector's prediction on request."""

import click

from .options import device_option, output_option

__all__ = ["show"]


@click.command()
@click.argument("name")
@output_option(type=click.Path(dir_okay=False), required=True, help="PNG file to write.")
@click.option("--size", default=None, help="Size of simulated data sets (small | full).")
@click.option("--split", default="test", show_default=True)
@click.option("--index", type=click.IntRange(min=0), default=None,
              help="Index of the sample in the split (default: the first sample with CR pixels).")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Where a real data set lives.")
@click.option("--detector", "detector_name", default=None,
              help="Overlay this detector's true-positive, false-positive and missed CR pixels at its "
                   "operating point.")
@click.option("--detector-args", default="", help="Detector parameters as k=v,k2=v2 (values read as YAML).")
@device_option()
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
              help="Cache root for score maps (default $CRBENCH_CACHE or ~/.cache/crbench).")
def show(name, output, size, split, index, data_dir, detector_name, detector_args, device, cache_dir):
    """Save a PNG of one sample of data set NAME (any kind): zscale image, CR truth, defects or ignored pixels.

    NAME is a registered name, a stack folder or a user card (as for 'crbench run --dataset').
    """
    from ..errors import CRBenchError
    from ..jobs.show import show_sample
    from .options import parse_key_values

    if detector_args and detector_name is None:
        raise click.UsageError("--detector-args needs --detector")
    try:
        report = show_sample(name, output=output, size=size, split=split, index=index, data_dir=data_dir,
                             detector=detector_name, detector_params=parse_key_values(detector_args),
                             cache_dir=cache_dir, device=device)
    except CRBenchError as err:
        raise click.ClickException(str(err)) from err
    if report.note:
        click.echo(report.note, err=True)
    if report.parameter_note:
        click.echo(f"note: {report.parameter_note}", err=True)
    if report.counts is not None:
        counts = report.counts
        click.echo(f"{detector_name} at {report.operating_point:g}: {counts['true_positive']} true-positive, "
                   f"{counts['false_positive']} false-positive, {counts['missed']} missed CR pixels")
    click.echo(f"wrote {output}")
