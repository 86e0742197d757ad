"""Sortable, filterable HTML tables of the site, with their CSV and JSON downloads.

A table is a :class:`crbench.leaderboard.tables.Table` (display strings plus
notes). Each row may carry filter values (``data-family``,
``data-training``) that the page's filter controls match; ``assets/site.js``
sorts by any column. Every table is also written as ``data/<id>.csv`` and
``data/<id>.json`` beside the pages and linked under it.
"""

import csv
import html
import io
import json
import re

from ..escaping import csv_row, notes_html

__all__ = ["DATA_DIRNAME", "table_slug", "table_html", "table_csv", "table_json", "filter_controls"]

#: Folder (inside the site) of the CSV and JSON downloads.
DATA_DIRNAME = "data"


def table_slug(text):
    """A file- and id-safe slug of ``text``."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "table"




def _cell_text(value):
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def table_csv(table):
    """The display strings of ``table`` as CSV text (cells that could become spreadsheet formulas are escaped)."""
    buffer = io.StringIO()
    columns = [str(column) for column in table.frame.columns]
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in table.frame.itertuples(index=False):
        writer.writerow(csv_row(dict(zip(columns, (_cell_text(value) for value in row)))))
    return buffer.getvalue()


def table_json(table):
    """``{"title", "columns", "rows", "notes"}`` of ``table`` as JSON text (cells as displayed)."""
    columns = [str(column) for column in table.frame.columns]
    rows = [dict(zip(columns, (_cell_text(value) for value in row))) for row in table.frame.itertuples(index=False)]
    return json.dumps({"title": table.title, "columns": columns, "rows": rows, "notes": list(table.notes)},
                      indent=1, ensure_ascii=False) + "\n"


_DATE_CELL = re.compile(r"^\d{4}-\d{2}-\d{2}")
_NUMERIC_CELL = re.compile(r"^([-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|not reached|n/a$)")


def _text_columns(frame):
    """Columns holding words rather than numbers (left-aligned)."""
    text = set()
    for column in frame.columns:
        cells = [_cell_text(value) for value in frame[column]]
        if any(cell and (not _NUMERIC_CELL.match(cell) or _DATE_CELL.match(cell)) for cell in cells):
            text.add(str(column))
    return text


def table_html(table, table_id, *, row_filters=None, links=None, heading="h3", downloads=True):
    """One table: heading, ``<table class="sortable">``, notes and download links.

    Parameters
    ----------
    table : crbench.leaderboard.tables.Table
    table_id : str
        The element id, also the stem of the download files.
    row_filters : list of dict, optional
        Per row ``{"family": ..., "training": ...}``: written as ``data-*``
        attributes that the page's filters match (several values joined by
        ``|``).
    links : dict, optional
        ``{column: [href or None per row]}``: those cells become links.
    heading : str or None
        Tag of the title (None: no title).
    downloads : bool
        Link ``data/<id>.csv`` and ``data/<id>.json`` (the caller writes them).

    Returns
    -------
    str
    """
    links = links or {}
    columns = [str(column) for column in table.frame.columns]
    parts = []
    if heading:
        parts.append(f"<{heading} id='{html.escape(table_id)}-title'>{html.escape(table.title)}</{heading}>")
    parts.append(f"<table class='sortable' id='{html.escape(table_id)}'><thead><tr>")
    text = _text_columns(table.frame)
    align = {column: " class='text'" if column in text else "" for column in columns}
    parts.append("".join(f"<th scope='col'{align[column]}>{html.escape(column)}</th>" for column in columns))
    parts.append("</tr></thead><tbody>")
    for number, row in enumerate(table.frame.itertuples(index=False)):
        attributes = ""
        if row_filters is not None:
            attributes = "".join(f" data-{html.escape(name)}='{html.escape(str(value))}'"
                                 for name, value in row_filters[number].items())
        cells = []
        for column, value in zip(columns, row):
            cell = html.escape(_cell_text(value))
            href = links.get(column, [None] * (number + 1))[number]
            cells.append(f"<td{align[column]}><a href='{html.escape(href)}'>{cell}</a></td>" if href
                         else f"<td{align[column]}>{cell}</td>")
        parts.append(f"<tr{attributes}>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table>")
    parts.append(notes_html(table.notes))
    if downloads:
        stem = f"{DATA_DIRNAME}/{html.escape(table_id)}"
        parts.append(f"<p class='downloads'>Download: <a href='{stem}.csv'>CSV</a> <a href='{stem}.json'>JSON</a></p>")
    return "\n".join(parts)


def filter_controls(families, trainings):
    """The filter bar: one ``<select>`` per filter, matched against rows' ``data-family`` / ``data-training``."""
    def select(name, label, values):
        options = "".join(f"<option value='{html.escape(value)}'>{html.escape(value)}</option>"
                          for value in sorted(values))
        return (f"<label>{html.escape(label)} <select data-filter='{name}' id='filter-{name}'>"
                f"<option value=''>all</option>{options}</select></label>")

    return ("<div class='filters'>Filter rows: " + select("family", "detector family", families)
            + select("training", "training data", trainings) + "</div>")
