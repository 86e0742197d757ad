"""Names from record files cannot inject markup into Markdown outputs or formulas into CSV (issue 16).

Before: a detector named ``<img src=x onerror=alert(1)>`` reached the Markdown tables raw, a ``|`` shifted
the columns, and ``=HYPERLINK(...)`` was written unchanged into the CSV.
"""

import csv
import io

import pandas as pd

from crbench.escaping import csv_cell, inline_markup, markdown_cell, markdown_text, notes_html
from crbench.leaderboard.collect import collect_records
from crbench.leaderboard.regression import compare, make_baseline, summary_markdown
from crbench.leaderboard.render import render_csv, render_markdown
from crbench.leaderboard.sensitivity import sensitivity_markdown, write_sensitivity
from crbench.leaderboard.tables import build_leaderboard
from crbench.timing import format_runtime_table

from .factory import make_record

IMG = "<img src=x onerror=alert(1)>"
PIPE = "a|b"
FORMULA = '=HYPERLINK("http://evil.example","click")'


def _table_rows(text):
    return [line for line in text.splitlines() if line.startswith("|")]


def _columns(row):
    """Number of cells of a GitHub table row: unescaped pipes minus one."""
    return len([index for index, char in enumerate(row) if char == "|" and (index == 0 or row[index - 1] != "\\")]) - 1


def _hostile_collection():
    records = [make_record(IMG), make_record(PIPE, params_hash="q" * 16), make_record("deepcr", params_hash="r" * 16),
               make_record("x\n## injected heading", params_hash="s" * 16)]
    return collect_records(records)


def test_markdown_leaderboard_escapes_names():
    collection = _hostile_collection()
    text = render_markdown(build_leaderboard(collection), collection)
    assert "<img" not in text and "&lt;img src=x onerror=alert(1)>" in text
    assert "a\\|b" in text
    assert "\n## injected heading" not in text
    tables, current = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    assert tables
    for table in tables:
        assert len({_columns(row) for row in table}) == 1, table  # no row shifted by a "|"


def test_csv_neutralises_formulas_but_keeps_negative_numbers():
    collection = collect_records([make_record(FORMULA, operating_point=-0.5), make_record("@SUM(A1)", params_hash="q" * 16)])
    rows = list(csv.DictReader(io.StringIO(render_csv(collection))))
    names = {row["detector"] for row in rows}
    assert names == {"'" + FORMULA, "'@SUM(A1)"}
    hostile = next(row for row in rows if row["detector"] == "'" + FORMULA)
    assert hostile["operating_point"] == "-0.5"  # a number stays a number
    assert float(hostile["tpr_at_fpr_1e-4"]) == 0.9512


def test_regression_summary_escapes_names():
    records = [make_record(IMG), make_record(PIPE)]
    text = summary_markdown(compare(make_baseline(records[:1]), records))
    assert "<img" not in text and "a\\|b" in text
    assert len({_columns(row) for row in _table_rows(text)}) == 1


def test_sensitivity_outputs_escape_names(tmp_path):
    rows = [{"detector": name, "dataset": "sim_decam", "version": "1", "protocol": "crbench", "n_images": 2,
             "tpr_at_fpr_1e-4": -0.5, "tpr_at_fpr_1e-3": 0.75, "purity_at_tpr_0.95": None, "f1": 0.25}
            for name in (IMG, PIPE, FORMULA)]
    text = sensitivity_markdown(rows)
    assert "<img" not in text and "a\\|b" in text
    assert len({_columns(row) for row in _table_rows(text)}) == 1
    (path,) = write_sensitivity(rows, csv=tmp_path / "sensitivity.csv")
    frame = pd.read_csv(path)
    assert "'" + FORMULA in set(frame["detector"])
    assert (frame["tpr_at_fpr_1e-4"] == -0.5).all()


def test_runtime_table_escapes_names():
    table = pd.DataFrame({"detector": [IMG, PIPE], "seconds_per_megapixel": [1.0, -2.0]})
    text = format_runtime_table(table)
    assert "<img" not in text and "a\\|b" in text and "-2.00" in text
    assert len({_columns(row) for row in _table_rows(text)}) == 1


def test_cell_rules():
    for start in "=+-@\t\r":
        assert csv_cell(start + "cmd") == "'" + start + "cmd"
    assert csv_cell("-1.5e-3") == "-1.5e-3" and csv_cell("+3") == "+3" and csv_cell(-2) == -2
    assert csv_cell("plain") == "plain" and csv_cell(None) is None
    assert markdown_cell("`x` [a](b) & <b> \\") == "\\`x\\` [a\\](b) &amp; &lt;b> \\\\"
    # crbench's own markup survives: intervals, citation marks, "FPR >= x", emphasis in notes
    assert markdown_cell("87.80 [84.83, 89.83]") == "87.80 [84.83, 89.83]"
    assert markdown_text("not reached (FPR >= x), *published* [B22]") == "not reached (FPR >= x), *published* [B22]"


def test_note_markup_escapes_html_and_keeps_arithmetic_asterisks_as_text():
    # one rule for the HTML page and the site (crbench.escaping.inline_markup); its docstring example runs too
    import doctest

    import crbench.escaping

    result = doctest.testmod(crbench.escaping, raise_on_error=False)
    assert result.attempted >= 1 and result.failed == 0
    assert inline_markup("*a* and **b** <i>") == "<em>a</em> and <strong>b</strong> &lt;i&gt;"
    assert inline_markup("FPR 1e-4 * 10 and a*b*c") == "FPR 1e-4 * 10 and a*b*c"
    assert notes_html([]) == "" and notes_html(["`x`"]) == "<ul class='notes'><li><code>x</code></li></ul>"
