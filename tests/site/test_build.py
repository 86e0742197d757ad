"""The site folder: every page well formed, offline, linked; downloads beside the pages; the committed records."""

import json
from html import escape

import pytest
from click.testing import CliRunner

from crbench.cli import main
from crbench.errors import InputError
from crbench.leaderboard.collect import load_results
from crbench.site import write_site
from crbench.site.build import MARKER

from ..leaderboard.factory import make_bench, make_record
from .conftest import COMMITTED, write_records
from .wellformed import check_page


def _synthetic(tmp_path):
    cited = [make_record("deepcr", dataset, training_datasets=["decam"]) for dataset in ("sim_decam", "sim_lco_1m")]
    for record in cited:
        record["detector"]["citation"] = "Zhang & Bloom 2020, ApJ 889, 24 (arXiv:1907.09500)"
        record["detector"]["license"] = "BSD-3-Clause"
    records = [*cited, make_record("astroscrappy", output_kind="mask"),
               make_record("astroscrappy", "sim_lco_1m", output_kind="mask"),
               make_bench("deepcr"), make_bench("astroscrappy", median_seconds=1.0)]
    return write_records(tmp_path / "records", records)


def test_every_page_is_well_formed_offline_and_its_links_resolve(tmp_path):
    site = tmp_path / "site"
    written = write_site(load_results(_synthetic(tmp_path)), site)

    assert written[0] == site / "index.html"
    pages = sorted(site.glob("*.html"))
    assert {page.name for page in pages} >= {"index.html", "simulated.html", "published.html", "detectors.html",
                                              "detector-deepcr.html", "detector-astroscrappy.html", "runtime.html",
                                              "protocols.html", "protocol-crbench.html", "protocol-xu2023.html",
                                              "about.html"}
    assert not (site / "real.html").exists()  # no real-data records: no page, no navigation entry
    problems = [problem for page in pages for problem in check_page(page)]
    assert problems == []
    for page in pages:
        text = page.read_text()
        assert "real.html" not in text
        for table_id in [part.split("'")[0] for part in text.split("<table class='sortable' id='")[1:]]:
            assert (site / "data" / f"{table_id}.csv").is_file() and (site / "data" / f"{table_id}.json").is_file()
    assert (site / MARKER).is_file() and (site / "assets" / "site.js").is_file()


def test_detector_pages_render_what_the_detector_states_and_say_what_it_does_not(tmp_path):
    site = tmp_path / "site"
    write_site(load_results(_synthetic(tmp_path)), site)
    deepcr = (site / "detector-deepcr.html").read_text()
    assert "<a href='https://arxiv.org/abs/1907.09500'>arXiv:1907.09500</a>" in deepcr
    assert "<dt>licence</dt><dd>BSD-3-Clause</dd>" in deepcr
    assert "<dt>training data</dt><dd>decam</dd>" in deepcr
    assert "crbench leaderboard site --results RECORDS --output SITE --cache-dir CACHE" in deepcr  # no gallery yet
    scrappy = (site / "detector-astroscrappy.html").read_text()
    assert "<dt>citation</dt><dd><em>not stated</em></dd>" in scrappy
    assert "<dt>licence</dt><dd><em>not stated</em></dd>" in scrappy
    assert "pppppppppppppppp" in scrappy  # the parameters' hash
    assert "img/cost-sim-decam-small-test-v1.png" in (site / "simulated.html").read_text()


def test_the_committed_records_make_a_site_with_intervals_sections_and_history(committed_site):
    simulated = (committed_site / "simulated.html").read_text()
    table = json.loads((committed_site / "data" / "simulated-sim-lco-1m-small-test-v2-table1.json").read_text())
    cell = table["rows"][0]["TPR at 0.01 % FPR (%)"]
    assert cell.count("[") == 1 and cell.endswith("]") and ", " in cell  # value [low, high]
    assert "published [" not in simulated
    ranking = json.loads((committed_site / "data" / "simulated-ranking.json").read_text())
    assert len(ranking["rows"]) == 13 and all(row["data sets"] == "2" for row in ranking["rows"])
    assert " g1" in ranking["rows"][0]["sim_lco_1m (small/test, v2)"]  # bootstrap ranking groups
    assert (committed_site / "stress.html").is_file() and (committed_site / "real.html").is_file()
    about = (committed_site / "about.html").read_text()
    history = json.loads((COMMITTED / "rebuild.json").read_text())
    # the rebuild that made the committed records: its command and duration are on the about page
    assert escape(history["command"]) in about and f"{history['seconds'] / 60:.1f}" in about
    runtime = (committed_site / "runtime.html").read_text()
    # the bench records of one rebuild come from one machine, the rebuild's: one table
    assert runtime.count("crbench bench on ") == 1
    assert runtime.count(f"crbench bench on {history['hardware'].removeprefix('CPU: ')},") == 1
    assert [problem for page in committed_site.glob("*.html") for problem in check_page(page)] == []


def test_a_folder_that_is_not_a_site_is_never_replaced(tmp_path):
    records = load_results(_synthetic(tmp_path))
    other = tmp_path / "other"
    other.mkdir()
    (other / "thesis.tex").write_text("precious")
    with pytest.raises(InputError, match="not a crbench site"):
        write_site(records, other)
    assert (other / "thesis.tex").read_text() == "precious"
    site = tmp_path / "site"
    write_site(records, site)
    (site / "stale.html").write_text("from an earlier build")
    write_site(records, site)
    assert not (site / "stale.html").exists() and (site / "index.html").is_file()


def test_the_command_writes_the_site(tmp_path):
    result = CliRunner().invoke(main, ["leaderboard", "site", "--results", str(_synthetic(tmp_path)),
                                       "--output", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "open " in result.output and (tmp_path / "out" / "index.html").is_file()
