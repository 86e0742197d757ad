"""Markdown, HTML, CSV and LaTeX output."""

import csv
import io
import json
import re

import pytest

from crbench.leaderboard.collect import collect_records, load_results
from crbench.leaderboard.render import render_latex, write_leaderboard
from crbench.leaderboard.tables import build_leaderboard

from .factory import make_bench, make_record


@pytest.fixture
def results(tmp_path):
    directory = tmp_path / "results"
    directory.mkdir()
    records = [
        make_record("deepcr", training_datasets=["decam"]),
        make_record("astroscrappy", output_kind="mask"),
        make_record("deepcr", dataset="sim_lco_1m"),
        make_record("deepcr", dataset="sim_lco_1m", version="0", created="2026-01-01T00:00:00+00:00"),
    ]
    for index, record in enumerate(records):
        (directory / f"run{index}.json").write_text(json.dumps(record))
    (directory / "bench.json").write_text(json.dumps(make_bench()))
    return directory


def test_markdown_links_plots_written_next_to_it(tmp_path, results):
    out = tmp_path / "site" / "LEADERBOARD.md"
    written = write_leaderboard(load_results(results), fmt="md", out=out)
    text = out.read_text()
    links = re.findall(r"\]\((plots/[^)]+\.png)\)", text)
    assert len(links) == 6  # ROC + PR for 3 groups
    for link in links:
        assert (out.parent / link).read_bytes().startswith(b"\x89PNG")
    assert set(written[1:]) == {out.parent / link for link in links}
    assert "NOT COMPARABLE" in text and "Summary ranking" in text and "Run time (Table 4 layout)" in text
    assert "| deepcr †" in text


def test_html_is_self_contained(tmp_path, results):
    out = tmp_path / "page.html"
    write_leaderboard(load_results(results), fmt="html", out=out)
    page = out.read_text()
    assert page.count("src='data:image/png;base64,") == 6
    assert not re.search(r"(src|href)=['\"](https?:|//|file:)", page)
    assert "<table" in page and "97.06" in page  # published figure next to sim
    assert not (tmp_path / "plots").exists()


def test_csv_has_one_row_per_record_with_raw_values(tmp_path, results):
    out = tmp_path / "board.csv"
    write_leaderboard(load_results(results), fmt="csv", out=out)
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 4
    deepcr = next(row for row in rows if row["detector"] == "deepcr" and row["dataset"] == "sim_decam")
    assert float(deepcr["tpr_at_fpr_1e-4"]) == 0.9512
    assert deepcr["trained_on_family"] == "True"
    old = next(row for row in rows if row["dataset_version"] == "0")
    assert old["not_comparable"].startswith("not comparable")


def test_latex_escapes_special_characters():
    leaderboard = build_leaderboard(collect_records([make_record("deep_cr", training_datasets=["decam"])]))
    text = render_latex(leaderboard)
    assert r"deep\_cr \textdagger{}" in text
    assert r"TPR at 0.01 \% FPR (\%)" in text
    assert text.count(r"\begin{table}") == text.count(r"\end{table}") == 5  # ranking, tables 1 and 2, run-record times, published times
    assert "%" not in text.replace(r"\%", "").split("\n", 1)[1]  # only the header comment is a comment


def test_unknown_format_is_rejected(tmp_path, results):
    with pytest.raises(ValueError, match="unknown format"):
        write_leaderboard(load_results(results), fmt="docx", out=tmp_path / "x")
