"""``crbench list``: what detectors and data sets exist, and what is missing."""

import json

import click
from tabulate import tabulate

from ..datasets import DATASETS
from ..detectors import DETECTORS
from ..errors import CRBenchError

__all__ = ["list_command", "detector_rows", "dataset_rows"]


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


def dataset_rows():
    """Return one dict per registered data set with its availability."""
    rows = []
    for entry in DATASETS.entries():
        row = {"name": entry.name, "source": entry.source, "version": "", "status": "available", "fix": "", "description": ""}
        try:
            dataset_cls = entry.load()
            card = dataset_cls.card
            row.update(version=card.version, description=card.description)
            try:
                dataset_cls().check_available()
            except CRBenchError as error:
                command = getattr(dataset_cls, "download_command", None)
                row.update(
                    status="not downloaded",
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
@click.option("--long", "long_format", is_flag=True, help="Add descriptions and the full reason for anything missing.")
def list_command(what, as_json, long_format):
    """List registered detectors or data sets and how to fix what is missing."""
    rows = detector_rows() if what == "detectors" else dataset_rows()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    columns = ["name", "kind" if what == "detectors" else "version", "status", "fix"]
    click.echo(tabulate([[row[column] for column in columns] for row in rows], headers=columns, tablefmt="github"))
    if long_format:
        for row in rows:
            click.echo(f"\n{row['name']}: {row['description']}")
            if row.get("details"):
                click.echo(f"  {row['details']}")
