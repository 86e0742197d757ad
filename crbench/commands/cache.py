"""``crbench cache info`` and ``crbench cache clear``: the score cache's disk use, and removing parts of it."""

from pathlib import Path

import click
from tabulate import tabulate

from ..cache import cache_root
from ..cache_usage import cache_usage, clear_cache

__all__ = ["cache_group"]

_CACHE_DIR = click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
                          help="Cache root (default $CRBENCH_CACHE or ~/.cache/crbench).")


@click.group("cache")
def cache_group():
    """The score cache: what it holds per detector and data set, and clearing it."""


@cache_group.command("info")
@_CACHE_DIR
def info(cache_dir):
    """Entries and megabytes per detector and data set (entries saved before issue 17 show as "unknown")."""
    root = Path(cache_dir) if cache_dir else cache_root()
    table = cache_usage(root)
    if table.empty:
        click.echo(f"The score cache {root / 'scores'} is empty.")
        return
    click.echo(f"Score cache {root / 'scores'}:")
    click.echo(tabulate(table, headers="keys", tablefmt="github", showindex=False, floatfmt=".3f"))
    click.echo(f"total: {int(table['entries'].sum())} entries, {table['MB'].sum():.3f} MB")


@cache_group.command("clear")
@click.option("--detector", default=None, help="Only this detector's entries (and its adaptive sweep's).")
@click.option("--dataset", default=None, help='Only entries saved for this data set ("unknown": entries saved '
                                              "before crbench indexed data sets).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@_CACHE_DIR
def clear(detector, dataset, yes, cache_dir):
    """Remove score maps from the cache (downloaded data and weights stay); they are recomputed when needed."""
    root = Path(cache_dir) if cache_dir else cache_root()
    table = cache_usage(root)
    if detector is not None:
        table = table[table["detector"].isin([detector, f"{detector}.values"])]
    if dataset is not None:
        table = table[table["dataset"].str.split("+").map(lambda names: dataset in names)]
    if table.empty:
        click.echo("Nothing to clear.")
        return
    what = " and ".join(part for part in (detector and f"detector {detector!r}",
                                          dataset and f"data set {dataset!r}") if part) or "every detector"
    prompt = (f"Remove {int(table['entries'].sum())} score-cache entries ({table['MB'].sum():.3f} MB) of {what} "
              f"from {root / 'scores'}?")
    if not yes:
        click.confirm(prompt, abort=True)
    removed, removed_bytes = clear_cache(root, detector=detector, dataset=dataset)
    click.echo(f"Removed {removed} entries ({removed_bytes / 1e6:.3f} MB).")
