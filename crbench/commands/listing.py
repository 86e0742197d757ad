"""``crbench list``: what detectors and data sets exist, and what is missing."""

import json

import click
from tabulate import tabulate

from ..datasets import DATASETS
from ..detectors import DETECTORS
from ..errors import CRBenchError

__all__ = ["list_command", "detector_rows", "dataset_rows", "NEEDS_DOWNLOAD"]


def detector_rows():
    """Return one dict per registered detector with its availability."""
    rows = []
    for entry in DETECTORS.entries():
        row = {"name": entry.name, "source": entry.source, "kind": "", "status": "available", "fix": "", "description": ""}
        try:
            detector_cls = entry.load()
            row.update(kind=detector_cls.output_kind, description=detector_cls.description)
            missing = detector_cls.missing_requirements()
            if missing:
                row.update(status=f"missing {', '.join(missing)}",
                           fix=detector_cls.install_hint or f"pip install {' '.join(missing)}")
        except ImportError as error:
            row.update(status=f"cannot import ({error})", fix="pip install 'crbench[all]'")
        rows.append(row)
    return rows


#: ``status`` of a data set whose files are missing (the row's ``fix`` names how to get them)
NEEDS_DOWNLOAD = "needs download"


def dataset_rows():
    """Return one dict per registered data set with its kind, availability and caveat.

    Returns
    -------
    list of dict
        Keys ``name``, ``source``, ``kind`` (``"standard"``, ``"stress"``
        or ``"real"``), ``version``, ``status`` (``"available"`` or
        :data:`NEEDS_DOWNLOAD`), ``fix``, ``description``, ``caveat``, and
        ``details`` (the full reason) when files are missing.
    """
    rows = []
    for entry in DATASETS.entries():
        row = {"name": entry.name, "source": entry.source, "kind": "", "version": "", "status": "available", "fix": "",
               "description": "", "caveat": ""}
        try:
            dataset_cls = entry.load()
            card = dataset_cls.card
            row.update(kind=card.kind, version=card.version, description=card.description, caveat=card.caveat)
            try:
                dataset_cls().check_available()
            except CRBenchError as error:
                command = getattr(dataset_cls, "download_command", None)
                row.update(
                    status=NEEDS_DOWNLOAD,
                    fix=command or "not public: pass --data-dir PATH or set CRBENCH_DATA (crbench list datasets --long)",
                    details=str(error),
                )
        except ImportError as error:
            row.update(status=f"cannot import ({error})")
        rows.append(row)
    return rows


@click.command("list")
@click.argument("what", type=click.Choice(["detectors", "datasets"]))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--long", "long_format", is_flag=True,
              help="Add descriptions, data set caveats and the full reason for anything missing.")
def list_command(what, as_json, long_format):
    """List registered detectors or data sets and how to fix what is missing.

    Data sets show their kind: standard (ranked), stress (one hard
    condition) or real (real pixels, shown apart on the leaderboard).
    """
    rows = detector_rows() if what == "detectors" else dataset_rows()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    columns = ["name", "kind", "status", "fix"] if what == "detectors" else ["name", "kind", "version", "status", "fix"]
    click.echo(tabulate([[row[column] for column in columns] for row in rows], headers=columns, tablefmt="github"))
    if long_format:
        for row in rows:
            click.echo(f"\n{row['name']}: {row['description']}")
            if row.get("caveat"):
                click.echo(f"  caveat: {row['caveat']}")
            if row.get("details"):
                click.echo(f"  {row['details']}")
