"""``crbench datasets build | verify`` for the simulated data sets (``show`` works on every set: dataset_show)."""

import time

import click

from ..executors import choose_executor
from .options import check_scheduler, executor_jobs, executor_option, scheduler_option

__all__ = ["build", "verify"]

_SPLITS = ("train", "val", "test")


def _open(name, size):
    from ..datasets import get_dataset_class
    from ..datasets.sim import SimDataset
    from ..errors import InputError

    name, _, version = name.partition("@")
    cls = get_dataset_class(name)
    if not issubclass(cls, SimDataset):
        raise click.UsageError(f"{name!r} is not a simulated data set; build and verify work on sim_* data sets")
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
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (the result does not depend on it). Default 1; with --executor dask (and no "
                   "scheduler), the number of CPUs.")
@executor_option(work="sample generation", default_rule="--jobs > 1",
                 outcome="The files are byte-identical")
@scheduler_option(shared="the data set cache ($CRBENCH_CACHE) at the same path")
def build(name, size, splits, jobs, executor, scheduler):
    """Generate (or complete) the cache of simulated data set NAME and write its manifests."""
    from ..errors import InputError

    check_scheduler(scheduler, executor)
    jobs = executor_jobs(jobs, executor)
    try:
        choose_executor(executor, jobs=jobs)
    except InputError as err:
        raise click.UsageError(str(err)) from err
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
        manifest = dataset.build(split, progress=True, jobs=jobs, executor=executor, scheduler=scheduler)
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
