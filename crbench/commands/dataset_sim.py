"""``crbench datasets build | verify | show`` for the simulated data sets."""

import time

import click

from .options import output_option

__all__ = ["build", "verify", "show"]

_SPLITS = ("train", "val", "test")


def _open(name, size):
    from ..datasets import get_dataset_class
    from ..datasets.sim import SimDataset
    from ..errors import InputError

    name, _, version = name.partition("@")
    cls = get_dataset_class(name)
    if not issubclass(cls, SimDataset):
        raise click.UsageError(f"{name!r} is not a simulated data set; build/verify/show work on sim_* data sets")
    try:
        return cls(size=size, version=version or None)
    except InputError as err:
        raise click.UsageError(str(err)) from err


def _split_option(default):
    return click.option(
        "--split", "splits", multiple=True, type=click.Choice(_SPLITS), default=default, show_default=True,
        help="Split(s) to process; repeat the option for several.",
    )


@click.command()
@click.argument("name")
@click.option("--size", type=click.Choice(["small", "full"]), default="small", show_default=True)
@_split_option(_SPLITS)
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes (the result does not depend on it).")
def build(name, size, splits, jobs):
    """Generate (or complete) the cache of simulated data set NAME and write its manifests."""
    dataset = _open(name, size)
    if size == "full":
        from ..errors import StorageError
        from ..jobs.footprint import build_footprint, require_disk

        # paper scale: say what it costs and refuse before filling the disk
        footprint = build_footprint(dataset, splits, jobs=jobs)
        click.echo(footprint.summary(), err=True)
        try:
            require_disk(footprint)
        except StorageError as err:
            raise click.ClickException(str(err)) from err
    for split in splits:
        start = time.perf_counter()
        manifest = dataset.build(split, progress=True, jobs=jobs)
        click.echo(
            f"{name} {size} {split}: {len(manifest)} samples in {time.perf_counter() - start:.1f} s "
            f"-> {dataset.manifest_path(split)}"
        )


@click.command()
@click.argument("name")
@click.option("--size", type=click.Choice(["small", "full"]), default="small", show_default=True)
@_split_option(("test",))
@click.option("--regenerate/--no-regenerate", default=True, show_default=True,
              help="Also regenerate every sample and compare it with the manifest (proves determinism).")
def verify(name, size, splits, regenerate):
    """Check the cached samples of NAME against their sha256 manifest."""
    from ..errors import CRBenchError

    dataset = _open(name, size)
    failed = False
    for split in splits:
        try:
            problems = dataset.verify(split, regenerate=regenerate, progress=True)
        except CRBenchError as err:  # no manifest, or a damaged one (named, with the fix)
            raise click.ClickException(str(err)) from err
        for problem in problems:
            click.echo(f"MISMATCH {name} {split} {problem}", err=True)
        failed |= bool(problems)
        status = "FAILED" if problems else "OK"
        click.echo(f"{name} {size} {split}: {len(dataset.sample_ids(split))} samples {status}")
    if failed:
        raise click.ClickException(f"{name}: cached data do not match the manifest; delete "
                                   f"{dataset.cache_dir(splits[0]).parent} and rebuild")


@click.command()
@click.argument("name")
@output_option(type=click.Path(dir_okay=False), required=True, help="PNG file to write.")
@click.option("--size", type=click.Choice(["small", "full"]), default="small", show_default=True)
@click.option("--split", type=click.Choice(_SPLITS), default="test", show_default=True)
@click.option("--index", type=int, default=0, show_default=True, help="Index of the sample in the split.")
def show(name, output, size, split, index):
    """Save a PNG of one sample of NAME (zscale) with the truth contour."""
    from ..atomic import atomic_path
    from ..simulate.plotting import plot_sample

    dataset = _open(name, size)
    ids = dataset.sample_ids(split)
    if not 0 <= index < len(ids):
        raise click.UsageError(f"--index must be in [0, {len(ids) - 1}] for {name} {split}")
    sample = dataset.load_sample(split, ids[index])
    figure = plot_sample(sample, title=f"{name} {size} {split} {sample.sample_id}")
    with atomic_path(output) as tmp:
        figure.savefig(tmp, format="png", dpi=110)
    click.echo(f"wrote {output}")
