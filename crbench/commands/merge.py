"""``crbench merge``: make one run record of the shard records of a sharded run."""

import click

from ..errors import CRBenchError
from ..records import metrics_table

__all__ = ["merge"]


@click.command("merge")
@click.argument("records", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True))
@click.option("--output", type=click.Path(file_okay=False), default="results", show_default=True,
              help="Directory for the merged run record.")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
              help="The score cache the shards wrote (default $CRBENCH_CACHE or ~/.cache/crbench).")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Where a real data set lives (default: the path the shards used).")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def merge(records, output, cache_dir, data_dir, quiet):
    """Merge the shard RECORDS of one run ('crbench run --shard i/N') into its run record.

    Checks that they are the disjoint shards of one run covering the split
    (same detector, parameters, data set version, protocol and options), then
    re-scores every image from the score cache the shards wrote, without
    running the detector: the record is the one a single run would have
    written, metric for metric.
    """
    from ..jobs.merge import merge_shards

    try:
        merged = merge_shards(records, results_dir=output, cache_dir=cache_dir, data_dir=data_dir,
                              progress=not quiet)
    except CRBenchError as error:
        raise click.ClickException(str(error)) from error
    record = merged.record
    click.echo(f"{record.detector.name} on {record.dataset.name} ({record.dataset.size}/{record.dataset.split}): "
               f"merged {record.runtime.extra['shards']} shards, {record.dataset.n_images} images")
    click.echo(metrics_table(record))
    click.echo(f"record: {merged.path}")
