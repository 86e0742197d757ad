"""The HTML page opens in a real browser (headless Chromium) with no server.

Skipped only when Chromium is not installed (CI installs the Debian
package ``chromium`` in ``.ci/run``).
"""

import json
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from crbench.leaderboard.collect import load_results
from crbench.leaderboard.render import write_leaderboard

from .factory import make_record

CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser") if shutil.which(name)), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")

# Appended to a copy of the page only: records whether the browser decoded every embedded plot.
_IMAGE_PROBE = """<script>
window.addEventListener('load', function () {
  var images = Array.from(document.images);
  document.body.setAttribute('data-images-decoded',
    String(images.filter(function (img) { return img.complete && img.naturalWidth > 0; }).length) + '/' + images.length);
});
</script></body>"""


class _Tables(HTMLParser):
    """Collect the text of every table cell, per table id."""

    def __init__(self):
        super().__init__()
        self.tables, self.body_attributes = {}, {}
        self._table, self._row, self._cell = None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body":
            self.body_attributes = attrs
        elif tag == "table":
            self._table = self.tables.setdefault(attrs.get("id"), [])
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _dump_dom(path, profile):
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", "--dump-dom", path.as_uri(),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout


def test_page_renders_tables_and_plots_in_chromium(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    records = [
        make_record("deepcr", training_datasets=["decam"], metrics={"tpr_at_fpr_1e-4": 0.97123}),
        make_record("astroscrappy", output_kind="mask", metrics={"purity_at_tpr_0.95": None}),
    ]
    for index, record in enumerate(records):
        (results / f"run{index}.json").write_text(json.dumps(record))
    page = tmp_path / "leaderboard.html"
    write_leaderboard(load_results(results), fmt="html", out=page)
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text().replace("</body>", _IMAGE_PROBE))

    parser = _Tables()
    parser.feed(_dump_dom(probe, tmp_path / "profile"))

    assert parser.body_attributes.get("data-images-decoded") == "2/2"  # ROC and PR of sim_decam
    table1 = next(rows for table_id, rows in parser.tables.items() if table_id and table_id.endswith("-table1"))
    header, *rows = table1
    assert header[:2] == ["detector", "TPR at 0.01 % FPR (%)"]
    by_detector = {row[0]: dict(zip(header, row)) for row in rows}
    assert by_detector["deepcr †"]["TPR at 0.01 % FPR (%)"] == "97.12"
    assert by_detector["deepcr †"]["TPR at 0.01 % FPR (%) published [B22]"] == "97.06"
    assert by_detector["astroscrappy"]["purity at 95 % TPR (%)"] == "n/a"
    ranking = parser.tables["table-ranking"]
    assert [row[1] for row in ranking[1:]] == ["deepcr", "astroscrappy"]
