"""``crbench list``: what detectors and data sets exist, and what is missing."""

import json

import click
from tabulate import tabulate

from ..datasets import DATASETS
from ..detectors import DETECTORS
from ..errors import CRBenchError

__all__ = ["list_command", "detector_rows", "dataset_rows", "NEEDS_DOWNLOAD", "BUILT_IN"]


#: ``origin`` of a detector or data set that ships with crbench (else ``"plug-in"``)
BUILT_IN = "built-in"


def _origin(entry):
    return BUILT_IN if entry.source == BUILT_IN else "plug-in"


def detector_rows():
    """Return one dict per registered detector with its availability and metadata.

    Returns
    -------
    list of dict
        Keys ``name``, ``origin`` (``"built-in"`` or ``"plug-in"``),
        ``source`` (the entry point and distribution of a plug-in), ``kind``,
        ``status``, ``fix``, ``description``, ``training_datasets`` (data set
        families the detector was trained on; empty when none are declared),
        ``citation`` and ``license``.
    """
    rows = []
    for entry in DETECTORS.entries():
        row = {"name": entry.name, "origin": _origin(entry), "source": entry.source, "kind": "", "status": "available",
               "fix": "", "description": "", "training_datasets": [], "citation": "", "license": ""}
        try:
            detector_cls = entry.load()
            row.update(kind=detector_cls.output_kind, description=detector_cls.description,
                       training_datasets=list(detector_cls.training_datasets), citation=detector_cls.citation,
                       license=detector_cls.license)
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
        row = {"name": entry.name, "origin": _origin(entry), "source": entry.source, "kind": "", "version": "",
               "status": "available", "fix": "", "description": "", "caveat": ""}
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


def _detector_details(row):
    """The ``--long`` lines of one detector: what it is, what it was trained on, whom to cite, its terms."""
    training = ", ".join(row["training_datasets"]) or "none declared (classical, or not stated by the adapter)"
    origin = row["origin"] if row["origin"] == BUILT_IN else f"plug-in, {row['source']}"
    return [f"  training data: {training}", f"  citation: {row['citation'] or 'not stated'}",
            f"  licence: {row['license'] or 'not stated'}", f"  origin: {origin}"]


@click.command("list")
@click.argument("what", type=click.Choice(["detectors", "datasets"]))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--long", "long_format", is_flag=True,
              help="Add descriptions, training data, citations and licences of detectors, data set caveats, "
                   "whether each entry is built-in or a plug-in, and the full reason for anything missing.")
def list_command(what, as_json, long_format):
    """List registered detectors or data sets and how to fix what is missing.

    Data sets show their kind: standard (ranked), stress (one hard
    condition) or real (real pixels, shown apart on the leaderboard). A
    plug-in that claims a built-in name is reported on stderr.
    """
    registry = DETECTORS if what == "detectors" else DATASETS
    for claim in registry.shadowed():
        click.echo(f"warning: {registry.shadow_message(claim)}; using the name fails until then", err=True)
    rows = detector_rows() if what == "detectors" else dataset_rows()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    columns = ["name", "kind", "status", "fix"] if what == "detectors" else ["name", "kind", "version", "status", "fix"]
    if long_format:
        columns.insert(2, "origin")
    click.echo(tabulate([[row[column] for column in columns] for row in rows], headers=columns, tablefmt="github"))
    if long_format:
        for row in rows:
            click.echo(f"\n{row['name']}: {row['description']}")
            if what == "detectors":
                for line in _detector_details(row):
                    click.echo(line)
            if row.get("caveat"):
                click.echo(f"  caveat: {row['caveat']}")
            if row.get("details"):
                click.echo(f"  {row['details']}")
