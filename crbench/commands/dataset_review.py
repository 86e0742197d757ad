"""``crbench datasets review``: PNG galleries for checking a data set's truth (and a detector's errors) by eye."""

import click

from .options import device_option, output_option

__all__ = ["review"]


@click.command()
@click.argument("name")
@output_option(type=click.Path(file_okay=False), required=True, help="Directory for the PNG pages and index.csv.")
@click.option("--split", default="test", show_default=True)
@click.option("--size", default=None, help="Size of simulated data sets (small | full).")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Where a real data set lives.")
@click.option("--detector", "detector_name", default=None,
              help="Also show this detector's false-positive clusters and missed CR objects.")
@click.option("--detector-args", default="", help="Detector parameters as k=v,k2=v2 (values read as YAML).")
@click.option("--threshold", type=float, default=None,
              help="Cut the detector's output here (a score in [0, 1], or one of a mask detector's sweep values) "
                   "instead of at its operating point under the card's protocol.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Review only the first N images.")
@click.option("--cutout", type=click.IntRange(min=4), default=32, show_default=True,
              help="Side of each panel's window in pixels.")
@click.option("--grid", type=click.IntRange(min=1), default=6, show_default=True, help="Panels per page side.")
@device_option()
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
              help="Cache root for score maps (default $CRBENCH_CACHE or ~/.cache/crbench).")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def review(name, output, split, size, data_dir, detector_name, detector_args, threshold, limit, cutout, grid, device,
           cache_dir, quiet):
    """Write galleries of every truth CR object of NAME (and a detector's errors) for review by eye.

    One panel per truth CR object (8-connected component of the undilated
    truth); with --detector also one per false-positive cluster and per
    missed CR object, as the object-level scores define them. index.csv
    lists every panel (page, panel, sample id, object id, x, y, pixels,
    peak) with an empty verdict column.
    """
    from ..errors import CRBenchError
    from ..jobs.review import review_dataset
    from .options import parse_key_values

    try:
        report = review_dataset(name, out=output, split=split, size=size, data_dir=data_dir, detector=detector_name,
                                detector_params=parse_key_values(detector_args), threshold=threshold, limit=limit,
                                cutout=cutout, grid=grid, cache_dir=cache_dir, device=device, progress=not quiet)
    except CRBenchError as error:
        raise click.ClickException(str(error)) from error
    panels = ", ".join(f"{count} {kind}" for kind, count in report.counts.items() if kind == "truth" or detector_name)
    at = f" ({detector_name} at {report.operating_point:g})" if detector_name else ""
    click.echo(f"{name} {split}: {report.n_images} image(s){at}: {panels} panel(s)")
    for failure in report.failures:
        click.echo(f"not reviewed, the detector failed: {failure}", err=True)
    for path in report.paths:
        click.echo(f"wrote {path}")
