"""``crbench datasets download``: fetch a real data set, verified, resumable, safely extracted.

Where the files come from:

- by default, the data set's DOI record, listed through pooch (for the LCO
  CR data set, Zenodo doi:10.5281/zenodo.5034763; Zenodo publishes an md5
  per file, which is what is verified);
- with ``--mirror URL`` (or ``CRBENCH_DOWNLOAD_MIRROR``), a folder served
  over HTTP holding the files and a pooch-format ``registry.txt``
  (``name hash`` per line, sha256 unless prefixed ``md5:``);
- with ``--registry FILE``, a local pooch-format registry (entries without a
  URL are looked up under ``--mirror``).
"""

import os

import click

from ..datasets.lco import EXPECTED_TEST_SEQUENCES, LCO_DOI, LCO_SIZE_NOTE
from ..datasets.locations import dataset_dir, download_dir
from ..errors import CRBenchError, DataNotAvailableError, InputError

__all__ = ["download", "DOWNLOADABLE", "resolve_files"]

# data set name -> (download group, DOI); the three LCO classes share one record
DOWNLOADABLE = {"lco": ("lco", LCO_DOI), "lco_0m4": ("lco", LCO_DOI), "lco_1m": ("lco", LCO_DOI), "lco_2m": ("lco", LCO_DOI)}
NOT_DOWNLOADABLE = ("decam",)
MIRROR_ENV = "CRBENCH_DOWNLOAD_MIRROR"


def resolve_files(doi, *, mirror=None, registry=None, timeout=60.0):
    """Return the :class:`~crbench.download.RemoteFile` list to fetch.

    Parameters
    ----------
    doi : str
        Record DOI used when neither ``mirror`` nor ``registry`` is given.
    mirror : str, optional
        Base URL of a folder with the files and a ``registry.txt``.
    registry : path-like, optional
        Local pooch-format registry file.
    """
    from ..download import list_doi_files, read_registry

    if registry is not None:
        with open(registry, encoding="utf-8") as handle:
            return read_registry(handle.read(), base_url=mirror or "")
    if mirror:
        import requests

        url = mirror.rstrip("/") + "/registry.txt"
        try:
            response = requests.get(url, timeout=timeout)
        except requests.exceptions.RequestException as err:
            raise InputError(f"cannot read the mirror's registry {url} ({err})") from err
        if response.status_code != 200:
            raise InputError(f"cannot read the mirror's registry {url}: HTTP {response.status_code}")
        return read_registry(response.text, base_url=mirror)
    return list_doi_files(doi, timeout=timeout)


def _report_lco(dest, echo):
    from ..datasets.lco import LCO0m4Dataset, LCO1mDataset, LCO2mDataset

    for dataset_class in (LCO0m4Dataset, LCO1mDataset, LCO2mDataset):
        dataset = dataset_class(data_dir=dest)
        expected = EXPECTED_TEST_SEQUENCES[dataset_class.telescope_class]
        try:
            n_files = len(dataset._split_files("test"))
        except DataNotAvailableError:
            n_files = 0
        note = "" if n_files == expected else "  <- differs from the paper's count"
        echo(f"  {dataset.name}: {n_files} test sequences (paper: {expected}){note}")


@click.command("download")
@click.argument("name", type=click.Choice(sorted([*DOWNLOADABLE, *NOT_DOWNLOADABLE])))
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Extract here instead of $CRBENCH_DATA/<set> (default ~/.cache/crbench/data/<set>).")
@click.option("--mirror", envvar=MIRROR_ENV, default=None,
              help=f"Base URL of a mirror folder holding the files and registry.txt (env {MIRROR_ENV}).")
@click.option("--registry", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Local pooch-format registry: 'name hash [url]' per line.")
@click.option("--dry-run", is_flag=True, help="List the files and their sizes; download nothing.")
@click.option("--keep-archives", is_flag=True, help="Keep the verified archives after extraction.")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show progress bars.")
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Network timeout in seconds.")
def download(name, data_dir, mirror, registry, dry_run, keep_archives, progress, timeout):
    """Download a real data set (NAME: lco, lco_0m4, lco_1m, lco_2m; decam explains why it cannot).

    Every file is checked against its published hash before it is kept;
    an interrupted download resumes where it stopped when run again;
    archives are extracted without letting any member escape the data folder.
    """
    if name in NOT_DOWNLOADABLE:
        from ..datasets.decam import DECamDataset

        try:
            DECamDataset(data_dir=data_dir).check_available()
        except DataNotAvailableError as err:
            raise click.ClickException(str(err)) from err
        click.echo(f"decam: data already present in {DECamDataset(data_dir=data_dir).folder()}; nothing to download")
        return
    group, doi = DOWNLOADABLE[name]
    dest = dataset_dir(group, data_dir)
    from ..download import download_files, format_size

    try:
        files = resolve_files(doi, mirror=mirror, registry=registry, timeout=timeout)
        sizes = [remote.size for remote in files]
        total = format_size(sum(sizes)) if all(size is not None for size in sizes) else "size not listed"
        source = mirror or (f"registry {registry}" if registry else f"doi:{doi}")
        click.echo(f"{group}: {len(files)} file(s) from {source}, {total}; destination {dest}")
        if group == "lco" and total == "size not listed":
            click.echo(f"  ({LCO_SIZE_NOTE})")
        for remote in files:
            click.echo(f"  {remote.name}  {format_size(remote.size)}  {remote.known_hash}")
        if dry_run:
            return
        download_files(
            files,
            dest=dest,
            archive_dir=download_dir(group),
            progress=progress,
            keep_archives=keep_archives,
            echo=click.echo,
        )
    except CRBenchError as err:
        raise click.ClickException(str(err)) from err
    except OSError as err:
        raise click.ClickException(f"{err.__class__.__name__}: {err}") from err
    click.echo(f"{group}: done; data in {dest}")
    if group == "lco":
        _report_lco(dest, click.echo)
    if data_dir is not None and os.environ.get("CRBENCH_DATA") is None:
        click.echo(f"use it with --data-dir {dest}")
