"""``crbench compare``: paired bootstrap comparison of two run records."""

import json
from pathlib import Path

import click
from tabulate import tabulate

from ..errors import CRBenchError, InputError
from ..records import RecordError, load_record
from ..uncertainty import DEFAULT_LEVEL, compare_records

__all__ = ["compare", "find_record"]


def find_record(results_dir, *, detector, dataset, size=None, split="test"):
    """The one run record of ``detector`` on ``dataset`` in ``results_dir``.

    Raises
    ------
    InputError
        When none or several match (the message lists them and how to choose).
    """
    directory = Path(results_dir)
    if not directory.is_dir():
        raise InputError(f"results directory {directory} does not exist; pass --results DIR")
    matches = []
    for path in sorted(directory.glob(f"run__{dataset}__*__{split}__{detector}__*.json")):
        try:
            record = load_record(path)
        except RecordError:
            continue
        if record.detector.name == detector and record.dataset.name == dataset and (
                size is None or record.dataset.size == size) and record.dataset.split == split:
            matches.append(path)
    if len(matches) != 1:
        listing = "".join(f"\n  {path}" for path in matches)
        hint = "pass --size, or the two record files" if matches else "run it first, or pass --results DIR"
        raise InputError(f"{len(matches)} run records of {detector} on {dataset}/{size or '*'}/{split} in "
                         f"{directory}{listing}\n({hint})")
    return matches[0]


def _number(value, digits=4):
    return "n/a" if value is None else f"{value:.{digits}f}"


@click.command()
@click.argument("records", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--detector", "detectors", multiple=True, help="Detector name (twice: A, then B).")
@click.option("--dataset", default=None, help="Data set of the two records (with --detector).")
@click.option("--size", default=None, help="Data set size (with --detector; default: any, if one matches).")
@click.option("--split", default="test", show_default=True)
@click.option("--results", "results_dir", type=click.Path(file_okay=False), default="leaderboard/records",
              show_default=True, help="Where --detector looks for records.")
@click.option("--level", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=DEFAULT_LEVEL,
              show_default=True, help="Confidence level of the difference intervals.")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def compare(records, detectors, dataset, size, split, results_dir, level, as_json):
    """Compare run records A and B metric by metric on the same bootstrap resamples.

    Give two record files, or --detector A --detector B --dataset NAME. Prints
    A - B with its paired bootstrap interval and P(A better), P(B better).
    """
    try:
        if records and detectors:
            raise InputError("give either two record files or --detector twice, not both")
        if detectors:
            if len(detectors) != 2 or dataset is None:
                raise InputError("--detector needs exactly two names and --dataset")
            paths = [find_record(results_dir, detector=name, dataset=dataset, size=size, split=split)
                     for name in detectors]
        else:
            if len(records) != 2:
                raise InputError(f"give two run record files (got {len(records)}), or --detector A --detector B "
                                 "--dataset NAME")
            paths = [Path(path) for path in records]
        a, b = (load_record(path) for path in paths)
        results = compare_records(a, b, level=level)
    except CRBenchError as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        click.echo(json.dumps({"a": str(paths[0]), "b": str(paths[1]), "level": level,
                               "metrics": [row.to_dict() for row in results]}, indent=2))
        return
    click.echo(f"A = {a.detector.label(with_hash=True)}  B = {b.detector.label(with_hash=True)}  on "
               f"{a.dataset.name} ({a.dataset.size}/{a.dataset.split}, {a.uncertainty.n_images} images, "
               f"{a.uncertainty.n_resamples} paired resamples)")
    rows = [
        [row.metric, _number(row.a), _number(row.b),
         f"{_number(row.difference)} [{_number(row.low)}, {_number(row.high)}]",
         _number(row.p_a_better, 3), _number(row.p_b_better, 3), row.n_undefined,
         "yes" if row.higher_is_better else "no"]
        for row in results
    ]
    click.echo(tabulate(rows, headers=["metric", "A", "B", f"A - B [{level:.0%} interval]", "P(A better)",
                                       "P(B better)", "undefined", "higher is better"], tablefmt="github",
                           disable_numparse=True))
