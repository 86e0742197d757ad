"""Sortable tables: escaped cells, row filter attributes, and downloads equal to what is shown."""

import csv
import io
import json

import pandas as pd

from crbench.leaderboard.tables import Table
from crbench.site.tables_html import table_csv, table_html, table_json


def _table():
    frame = pd.DataFrame({"detector": ["<script>alert(1)</script>", "=HYPERLINK(\"x\")"],
                          "TPR (%)": ["95.80 [91.40, 99.10]", "not reached (FPR >= 2.10e-04)"]})
    return Table(title="T & t", frame=frame, notes=["a *note*"])


def test_cells_are_escaped_and_rows_carry_their_filter_values():
    text = table_html(_table(), "t1", row_filters=[{"family": "classical", "training": "none (not trained)"},
                                                   {"family": "deepcr", "training": "decam|lco"}])
    assert "<script>alert" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<tr data-family='classical' data-training='none (not trained)'>" in text
    assert "data-training='decam|lco'" in text
    assert "<th scope='col' class='text'>detector</th>" in text and "<th scope='col'>TPR (%)</th>" in text
    assert "<em>note</em>" in text
    assert "href='data/t1.csv'" in text and "href='data/t1.json'" in text


def test_downloads_hold_the_displayed_cells():
    rows = list(csv.DictReader(io.StringIO(table_csv(_table()))))
    assert rows[0]["TPR (%)"] == "95.80 [91.40, 99.10]"
    assert not rows[1]["detector"].startswith("=")  # no spreadsheet formula
    payload = json.loads(table_json(_table()))
    assert payload["title"] == "T & t" and payload["notes"] == ["a *note*"]
    assert payload["rows"][1]["TPR (%)"] == "not reached (FPR >= 2.10e-04)"
