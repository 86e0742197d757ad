"""The site in a real browser: headless Chromium sorts, filters, follows links and logs no error.

Driven over the DevTools protocol on a pipe (:mod:`tests.site.browser`).
Skipped only when Chromium is not installed (CI installs the Debian package
``chromium`` in ``.ci/run``).
"""

import pytest

from crbench.leaderboard.collect import load_results
from crbench.site import write_site

from ..leaderboard.factory import make_bench, make_record
from .browser import CHROMIUM, Browser
from .conftest import write_records

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")

_COLUMN = """(function (tableId, header) {{
  var table = document.getElementById(tableId);
  var index = Array.prototype.findIndex.call(table.tHead.rows[0].cells, function (cell) {{
    return cell.textContent === header; }});
  return Array.prototype.filter.call(table.tBodies[0].rows, function (row) {{ return !row.hidden; }})
    .map(function (row) {{ return row.cells[index].textContent; }});
}})({table!r}, {header!r})"""


def _column(browser, table, header):
    return browser.evaluate(_COLUMN.format(table=table, header=header))


def _click_header(browser, table, header):
    browser.evaluate(f"""Array.prototype.find.call(document.getElementById({table!r}).tHead.rows[0].cells,
        function (cell) {{ return cell.textContent === {header!r}; }}).click()""")


def _records(tmp_path):
    unreached = make_record("astroscrappy", output_kind="mask")
    unreached["metrics"]["tpr_at_fpr_1e-4"].update(value=None, threshold=None,
                                                   not_reached={"lowest_fpr": 2.1e-4, "tpr": 0.4, "threshold": 20.0})
    records = [make_record("deepcr", training_datasets=["decam"], metrics={"tpr_at_fpr_1e-4": 0.0950}),
               make_record("cosmic_conn", metrics={"tpr_at_fpr_1e-4": 0.1000}),
               make_record("maximask", metrics={"tpr_at_fpr_1e-4": None}),
               unreached, make_bench("deepcr")]
    return write_records(tmp_path / "records", records)


def test_sorting_is_numeric_aware_and_puts_not_reached_below_numbers(tmp_path):
    site = tmp_path / "site"
    write_site(load_results(_records(tmp_path)), site)
    table, header = "simulated-sim-decam-small-test-v1-table1", "TPR at 0.01 % FPR (%)"
    with Browser(tmp_path / "profile") as browser:
        browser.open((site / "simulated.html").as_uri())
        assert _column(browser, table, "detector") == ["astroscrappy", "cosmic_conn", "deepcr †", "maximask"]
        _click_header(browser, table, header)
        # as numbers 9.50 < 10.00 (as text "10.00" < "9.50"); not reached below every number; n/a last
        assert _column(browser, table, header) == ["not reached (FPR >= 2.10e-04)", "9.50", "10.00", "n/a"]
        _click_header(browser, table, header)
        assert _column(browser, table, header) == ["10.00", "9.50", "not reached (FPR >= 2.10e-04)", "n/a"]
        assert browser.evaluate(f"document.getElementById({table!r}).tHead.rows[0].cells[1].getAttribute('aria-sort')"
                                ) == "descending"
        assert browser.errors == []


def test_the_committed_site_sorts_filters_links_and_logs_no_error(committed_site, tmp_path):
    with Browser(tmp_path / "profile") as browser:
        browser.open((committed_site / "index.html").as_uri())
        before = _column(browser, "index-ranking", "detector")
        assert len(before) == 13
        _click_header(browser, "index-ranking", "detector")
        after = _column(browser, "index-ranking", "detector")
        assert after != before and after == sorted(before)

        browser.evaluate("var f = document.getElementById('filter-family'); f.value = 'classical';"
                         "f.dispatchEvent(new Event('change'))")
        assert _column(browser, "index-ranking", "detector") == ["astroscrappy", "lacosmic"]
        browser.evaluate("var f = document.getElementById('filter-family'); f.value = '';"
                         "f.dispatchEvent(new Event('change'));"
                         "var t = document.getElementById('filter-training'); t.value = 'decam';"
                         "t.dispatchEvent(new Event('change'))")
        assert _column(browser, "index-ranking", "detector") == ["att_cosmic_conn", "att_deepcr", "cosmic_conn",
                                                                 "deepcr", "deepcr_pretrained"]

        browser.evaluate_and_wait_for_load(
            "Array.prototype.find.call(document.querySelectorAll('#index-ranking a'),"
            " function (a) { return a.textContent === 'deepcr'; }).click()")
        assert browser.evaluate("location.pathname").endswith("/detector-deepcr.html")
        assert browser.evaluate("document.querySelector('h1').textContent") == "Detector deepcr"
        assert "arxiv.org/abs/2207.10411" in browser.evaluate("document.body.innerHTML")
        browser.evaluate_and_wait_for_load("history.back()")
        assert browser.evaluate("location.pathname").endswith("/index.html")

        for name in ("simulated.html", "stress.html", "real.html", "published.html", "runtime.html", "about.html",
                     "protocol-xu2023.html"):
            browser.open((committed_site / name).as_uri())
            # every plot decodes from its local file
            assert browser.evaluate("Array.prototype.every.call(document.images,"
                                    " function (img) { return img.complete && img.naturalWidth > 0; })"), name
        browser.open((committed_site / "simulated.html").as_uri())
        table, header = "simulated-sim-lco-1m-small-test-v2-table1", "TPR at 0.01 % FPR (%)"
        _click_header(browser, table, header)
        cells = _column(browser, table, header)  # "85.05 [77.98, 99.36]": sorted by the value before the interval
        values = [float(cell.split(" ")[0]) for cell in cells if cell[0].isdigit()]
        assert len(values) > 5 and values == sorted(values) and "[" in cells[-1]
        assert browser.errors == []


def test_the_rebuild_history_sorts_by_date(tmp_path):
    import json

    records = _records(tmp_path)
    # a synthetic history: the full rebuild, then updates listed in the order they were appended,
    # which is not the order of their dates (a hand-edited or merged history)
    history = {"schema": "crbench.rebuild/1", "command": "crbench leaderboard rebuild", "started": "2026-11-20T10:00:00+00:00",
               "seconds": 60.0, "hardware": "CPU: test", "summary": "synthetic",
               "updates": [{"command": f"crbench leaderboard rebuild --update --dataset d{day}",
                            "started": f"2026-11-{day}T09:00:00+00:00", "seconds": 30.0, "hardware": "CPU: test",
                            "records": [], "failures": {}} for day in (28, 21, 25)]}
    (records / "rebuild.json").write_text(json.dumps(history))
    site = tmp_path / "site"
    write_site(load_results(records), site)
    with Browser(tmp_path / "profile") as browser:
        browser.open((site / "about.html").as_uri())
        started = _column(browser, "about-history", "started")
        assert len(started) == 4
        _click_header(browser, "about-history", "started")
        assert _column(browser, "about-history", "started") == sorted(started) != started
        assert browser.errors == []
