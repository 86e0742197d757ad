"""``crbench protocols``: the same cached maps scored under every evaluation protocol preset."""

import click

from ..errors import CRBenchError
from ..scoring import preset_names
from .options import device_option, parse_key_values

__all__ = ["protocols"]


@click.command("protocols")
@click.option("--detector", "detectors", required=True, multiple=True, help="Registry name (repeatable).")
@click.option("--dataset", "datasets", required=True, multiple=True, help="Registry name (repeatable).")
@click.option("--size", default=None, help="Size of simulated data sets (small | full).")
@click.option("--split", default="test", show_default=True)
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Where a real data set lives.")
@click.option("--detector-args", default="", help="Detector parameters as k=v,k2=v2 (values read as YAML).")
@click.option("--protocol", "presets", multiple=True, type=click.Choice(preset_names()),
              help="Presets to score under (repeatable; default: all).")
@click.option("--no-subsample", is_flag=True,
              help="Score every image under every preset (xu2023 otherwise evaluates its 30 % subset).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the first N images.")
@device_option()
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
              help="Cache root for score maps (default $CRBENCH_CACHE or ~/.cache/crbench).")
@click.option("--markdown", "markdown_path", type=click.Path(dir_okay=False), default=None,
              help="Write the table as a Markdown section (for the leaderboard) to this file.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), default=None, help="Write the rows as CSV.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def protocols(detectors, datasets, size, split, data_dir, detector_args, presets, no_subsample, limit, device,
              cache_dir, markdown_path, csv_path, quiet):
    """Score DETECTOR on DATASET under every protocol preset, from the score cache.

    The detector runs only on images whose maps are not cached yet; every
    preset then scores the same maps. The table shows how much of a number
    is the evaluation protocol rather than the detector.
    """
    from ..jobs import Job
    from ..jobs.sensitivity import protocol_sensitivity
    from ..leaderboard.sensitivity import sensitivity_markdown, write_sensitivity

    params = parse_key_values(detector_args)
    rows = []
    try:
        for dataset in datasets:
            for detector in detectors:
                job = Job(detector, dataset, size=size, split=split, params=params, data_dir=data_dir)
                rows.extend(protocol_sensitivity(job, presets=presets or None, subsample=not no_subsample,
                                                 cache_dir=cache_dir, device=device, limit=limit,
                                                 progress=not quiet))
    except CRBenchError as error:
        raise click.ClickException(str(error)) from error
    click.echo(sensitivity_markdown(rows))
    for path in write_sensitivity(rows, markdown=markdown_path, csv=csv_path):
        click.echo(f"wrote {path}")
