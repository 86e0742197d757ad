"""Render the protocol-sensitivity table (rows from :func:`crbench.jobs.sensitivity.protocol_sensitivity`).

One row per (detector, data set, protocol preset); the same maps under each
preset, so the spread of a column is what the protocol alone does to a
number. Rendering only: this module reads rows and runs nothing.
"""

import pandas as pd

from ..atomic import atomic_path
from ..escaping import csv_row, markdown_cell

__all__ = ["RECORD_SECTION", "SENSITIVITY_COLUMNS", "collection_rows", "sensitivity_frame", "sensitivity_markdown",
           "sensitivity_section", "sensitivity_table", "write_sensitivity"]

#: Row key -> column header, in table order.
SENSITIVITY_COLUMNS = {
    "detector": "detector",
    "dataset": "data set",
    "version": "version",
    "protocol": "protocol",
    "n_images": "images",
    "tpr_at_fpr_1e-4": "TPR@1e-4",
    "tpr_at_fpr_1e-3": "TPR@1e-3",
    "purity_at_tpr_0.95": "purity@95%",
    "f1": "F1",
}


def sensitivity_frame(rows):
    """Return the rows as a :class:`pandas.DataFrame` with :data:`SENSITIVITY_COLUMNS`, in given order."""
    frame = pd.DataFrame(list(rows), columns=list(SENSITIVITY_COLUMNS))
    return frame.rename(columns=SENSITIVITY_COLUMNS)


def sensitivity_markdown(rows, *, digits=3):
    """Markdown (pipe) table of the rows; undefined values print as "n/a" (the protocol defines none).

    Examples
    --------
    >>> print(sensitivity_markdown([{"detector": "d", "dataset": "s", "version": "2", "protocol": "crbench",
    ...     "n_images": 2, "tpr_at_fpr_1e-4": 0.5, "tpr_at_fpr_1e-3": 0.75, "purity_at_tpr_0.95": None, "f1": 0.25}]))
    | detector   | data set   |   version | protocol   |   images |   TPR@1e-4 |   TPR@1e-3 | purity@95%   |   F1 |
    |:-----------|:-----------|----------:|:-----------|---------:|-----------:|-----------:|:-------------|-----:|
    | d          | s          |         2 | crbench    |        2 |        0.5 |       0.75 | n/a          | 0.25 |
    """
    frame = sensitivity_frame(rows).astype(object)
    frame = frame.map(lambda value: "n/a" if value is None or (isinstance(value, float) and pd.isna(value))
                      else round(value, digits) if isinstance(value, float)
                      else markdown_cell(value) if isinstance(value, str) else value)
    return frame.to_markdown(index=False)


def sensitivity_section(rows, *, heading="## Protocol sensitivity", digits=3):
    """A Markdown section for the leaderboard: heading, what the table is, the table.

    Parameters
    ----------
    rows : iterable of dict
    heading : str
    digits : int

    Returns
    -------
    str
    """
    rows = list(rows)
    text = [
        heading,
        "",
        "The same cached score maps scored under each evaluation protocol (`crbench protocols`): "
        "crbench's default, and the evaluation code of Xu et al. 2023 (`xu2023`), Zhang & Bloom 2020 "
        "(`zhang_bloom2020`, the dilated-TPR-vs-undilated-FPR \"+\" columns) and the text of "
        "Bhavanam et al. 2022 (`bhavanam2022`). Differences between rows of one detector are protocol, "
        "not detector; only `crbench` numbers are ranked. n/a = the protocol defines no such number. "
        "Rules: docs/scoring.md.",
        "",
        sensitivity_markdown(rows, digits=digits) if rows else "(no rows)",
        "",
    ]
    return "\n".join(text)


def write_sensitivity(rows, *, markdown=None, csv=None):
    """Write the rows as a Markdown section and/or CSV (full precision); return the paths written."""
    rows = list(rows)
    written = []
    if markdown is not None:
        with atomic_path(markdown) as tmp:
            tmp.write_text(sensitivity_section(rows), encoding="utf-8")
        written.append(markdown)
    if csv is not None:
        with atomic_path(csv) as tmp:
            pd.DataFrame([csv_row(row) for row in rows]).to_csv(tmp, index=False)
        written.append(csv)
    return written


#: Record section (top-level key) that holds a run's sensitivity rows (written by ``run_job(sensitivity=True)``).
RECORD_SECTION = "protocol_sensitivity"


def collection_rows(collection):
    """Sensitivity rows of every current crbench-protocol record that carries them, and the count of those that do not.

    Parameters
    ----------
    collection : crbench.leaderboard.collect.Collection

    Returns
    -------
    rows : list of dict
        Sorted by data set, detector, then preset order as stored.
    n_without : int
        Records of standard current groups (not stress variants, not real data) without the section.
    """
    rows, n_without = [], 0
    for group in collection.groups:
        if group.not_comparable is not None or group.kind != "standard":
            continue
        for record in group.records:
            section = record.extra.get(RECORD_SECTION)
            if not isinstance(section, dict) or not isinstance(section.get("rows"), list):
                n_without += 1
                continue
            rows += [dict(row) for row in section["rows"]]
    rows.sort(key=lambda row: (str(row.get("dataset")), str(row.get("detector"))))
    return rows, n_without


def sensitivity_table(collection, *, digits=3):
    """The leaderboard's "Protocol sensitivity" table, or None when no record carries sensitivity rows.

    Parameters
    ----------
    collection : crbench.leaderboard.collect.Collection
    digits : int

    Returns
    -------
    crbench.leaderboard.tables.Table or None
    """
    from .tables import NOT_AVAILABLE, Table  # tables imports the ranking machinery; keep this module light

    rows, n_without = collection_rows(collection)
    if not rows:
        return None
    frame = sensitivity_frame(rows).astype(object)
    frame = frame.map(lambda value: NOT_AVAILABLE if value is None or (isinstance(value, float) and pd.isna(value))
                      else f"{value:.{digits}f}" if isinstance(value, float) else value)
    notes = [
        "The same cached score maps of each crbench run scored under each evaluation protocol preset: crbench's "
        "default, the evaluation code of Xu et al. 2023 (xu2023), of Zhang & Bloom 2020 (zhang_bloom2020: dilated "
        "TPR against undilated FPR on a 500-point grid with interpolation, its \"+\" columns) and the text of "
        "Bhavanam et al. 2022 (bhavanam2022). File subsampling is off (every image under every preset), so rows "
        "of one detector differ by the protocol's rules only. Only crbench numbers are ranked; n/a = the "
        "protocol defines no such number. Rules and sources: docs/scoring.md.",
    ]
    if n_without:
        notes.append(f"{n_without} record(s) of the standard splits carry no sensitivity rows (written before the "
                     "rebuild computed them) and are not shown.")
    return Table(title="Protocol sensitivity", frame=frame, notes=notes)
