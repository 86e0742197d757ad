"""The "Object-level scores" leaderboard table: detector x data set, from the records' ``objects`` sections.

Numbers are read from the records as they are (the metrics of the summed
per-image counts, :func:`crbench.scoring.objects.object_metrics`); records
without the optional section (written before it existed, or with
``--no-objects``) are left out and counted in a note.
"""

import pandas as pd

from .tables import NOT_AVAILABLE, Table, display_labels

__all__ = ["OBJECT_COLUMNS", "object_scores_frame", "object_scores_table"]

#: display column -> how to read it from an ObjectScores section
OBJECT_COLUMNS = {
    "object recall": lambda scores: scores.metric("object_recall"),
    "CR objects": lambda scores: scores.metric("n_objects"),
    "FP objects per Mpix": lambda scores: scores.metric("fp_objects_per_megapixel"),
    "recall, tracks (muons)": lambda scores: scores.stratum_recall("kind", "muon"),
    "recall, worms": lambda scores: scores.stratum_recall("kind", "worm"),
    "recall, spots": lambda scores: scores.stratum_recall("kind", "spot"),
    "recall within 2 FWHM of a source": lambda scores: (
        scores.metric("recall_near_star") if scores.options.get("near_star_fwhm") == 2.0 else None
    ),
    "objects within 2 FWHM": lambda scores: (
        scores.metric("n_objects_near_star") if scores.options.get("near_star_fwhm") == 2.0 else None
    ),
    "masked source flux (%)": lambda scores: (
        None if scores.metric("masked_source_flux_fraction") is None
        else 100 * scores.metric("masked_source_flux_fraction")
    ),
}

#: display column -> object metric whose bootstrap interval is shown in the cell
INTERVAL_COLUMNS = {
    "object recall": "object_recall",
    "FP objects per Mpix": "fp_objects_per_megapixel",
    "recall within 2 FWHM of a source": "recall_near_star",
}

_FORMATS = {
    "object recall": "{:.3f}",
    "CR objects": "{:d}",
    "FP objects per Mpix": "{:.2f}",
    "recall, tracks (muons)": "{:.3f}",
    "recall, worms": "{:.3f}",
    "recall, spots": "{:.3f}",
    "recall within 2 FWHM of a source": "{:.3f}",
    "objects within 2 FWHM": "{:d}",
    "masked source flux (%)": "{:.3g}",
}


def object_scores_frame(groups, *, real=False):
    """Numeric object-level scores of every record that has them.

    Parameters
    ----------
    groups : iterable of crbench.leaderboard.collect.RecordGroup
        Only current (comparable) groups are read.
    real : bool
        Read the real-data groups only (True) or every other group (False):
        real sets get their own table in their own section.

    Returns
    -------
    frame : pandas.DataFrame
        Columns ``detector``, ``data set`` and :data:`OBJECT_COLUMNS` (None
        where undefined), one row per record with an ``objects`` section.
    n_without : int
        Records of those groups without the section.
    """
    rows, n_without = [], 0
    for group in groups:
        if group.not_comparable is not None or group.is_real != real:
            continue
        for label, record in zip(display_labels(group), group.records):
            if record.objects is None:
                n_without += 1
                continue
            row = {"detector": label, "data set": group.key.dataset_label}
            row.update({column: read(record.objects) for column, read in OBJECT_COLUMNS.items()})
            row.update({_interval_key(column): record.objects.interval(metric)
                        for column, metric in INTERVAL_COLUMNS.items()})
            rows.append(row)
    interval_keys = [_interval_key(column) for column in INTERVAL_COLUMNS]
    return pd.DataFrame(rows, columns=["detector", "data set", *OBJECT_COLUMNS, *interval_keys]), n_without


def _interval_key(column):
    return f"{column} interval"


def _with_interval(text, interval, column):
    """``text [low, high]`` when the record has a bootstrap interval (an unbounded end prints as n/a)."""
    if text == NOT_AVAILABLE or not isinstance(interval, tuple):
        return text
    low, high = (_format(bound, column) for bound in interval)
    return f"{text} [{low}, {high}]"


def _format(value, column):
    if value is None or pd.isna(value):
        return NOT_AVAILABLE
    return _FORMATS[column].format(int(value) if _FORMATS[column] == "{:d}" else value)


def object_scores_table(collection, *, real=False):
    """The "Object-level scores" :class:`~crbench.leaderboard.tables.Table`, or None when no record has them.

    Parameters
    ----------
    collection : crbench.leaderboard.collect.Collection
    real : bool
        The table of the real-data sets ("Object-level scores, real data")
        instead of the simulated ones.

    Returns
    -------
    Table or None
    """
    frame, n_without = object_scores_frame(collection.groups, real=real)
    if frame.empty:
        return None
    frame = frame.sort_values(["data set", "detector"], kind="stable").reset_index(drop=True)
    display = frame[["detector", "data set"]].copy()
    for column in OBJECT_COLUMNS:
        display[column] = [_format(value, column) for value in frame[column]]
    for column in INTERVAL_COLUMNS:
        display[column] = [_with_interval(text, interval, column)
                           for text, interval in zip(display[column], frame[_interval_key(column)])]
    notes = [
        "A CR object (an 8-connected component of the undilated truth, not wholly ignored) is found when at "
        "least the record's found fraction (default 0.5) of its non-ignored pixels is flagged at the detector's operating point (after its output "
        "dilation). FP objects: 8-connected flagged components touching no 3x3-dilated truth pixel and not "
        "wholly ignored, per scored megapixel. Kinds are the simulator's event kinds; 'source' = a peak of the "
        "noiseless source model at >= 5 sky sigmas (stars and galaxies alike). Masked source flux: source-model "
        "flux under the false-positive pixels / source flux of the scored pixels. [low, high]: 95 % percentile "
        "bootstrap interval over images on the pixel bootstrap's resamples. Definitions: docs/objects.md.",
    ]
    if n_without:
        notes.append(f"{n_without} record(s) without object-level scores (written before the object pass, or "
                     "with --no-objects) are not shown.")
    if real:
        notes.append("Real data: the kind and source columns need the simulator's object table and source model, "
                     "so they are n/a here; with few CR objects, object recall moves in large steps.")
        notes += [f"Caveat, {group.key.dataset_label}: {group.caveat}" for group in collection.groups
                  if group.is_real and group.not_comparable is None and group.caveat]
    return Table(title="Object-level scores, real data" if real else "Object-level scores", frame=display,
                 notes=notes)
