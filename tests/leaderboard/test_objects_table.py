"""The "Object-level scores" table from the records' optional ``objects`` sections."""

import json

from crbench.leaderboard.collect import load_results
from crbench.leaderboard.objects_table import object_scores_table
from crbench.leaderboard.render import write_leaderboard
from crbench.scoring.object_stream import object_summary
from crbench.scoring.objects import object_counts

from ..scoring.test_objects import make_scene
from .factory import make_record


def _objects_section(miss_track):
    truth, ignore, flagged, extras = make_scene()
    if miss_track:
        flagged[10, 10:20] = False
    counts = object_counts(truth, ignore, flagged, extras=extras)
    return object_summary({"img": counts}, operating_point=0.5)


def _results(tmp_path):
    directory = tmp_path / "results"
    directory.mkdir()
    with_objects = make_record("deepcr")
    with_objects["objects"] = _objects_section(miss_track=False)
    missing_track = make_record("cosmic_conn")
    missing_track["objects"] = _objects_section(miss_track=True)
    for index, record in enumerate([with_objects, missing_track, make_record("astroscrappy", output_kind="mask")]):
        (directory / f"run{index}.json").write_text(json.dumps(record))
    return directory


def test_table_rows_hold_each_records_object_scores(tmp_path):
    table = object_scores_table(load_results(_results(tmp_path)))
    frame = table.frame.set_index("detector")
    assert list(frame.index) == ["cosmic_conn", "deepcr"]  # astroscrappy's record has no objects section
    assert frame.loc["deepcr", "object recall"] == "1.000"
    assert frame.loc["cosmic_conn", "object recall"] == "0.500"
    assert frame.loc["cosmic_conn", "recall, tracks (muons)"] == "0.000"
    assert frame.loc["cosmic_conn", "recall, worms"] == "1.000"
    assert frame.loc["deepcr", "recall, spots"] == "n/a"  # the only spot is ignored
    assert frame.loc["deepcr", "CR objects"] == "2"
    assert frame.loc["deepcr", "FP objects per Mpix"] == f"{1e6 / (64 * 64 - 25):.2f}"
    assert frame.loc["deepcr", "recall within 2 FWHM of a source"] == "n/a"  # no object within 2 FWHM
    assert frame.loc["deepcr", "objects within 2 FWHM"] == "0"
    assert float(frame.loc["deepcr", "masked source flux (%)"]) > 0
    assert any("1 record(s) without object-level scores" in note for note in table.notes)


def test_markdown_and_html_show_the_table_only_when_records_have_it(tmp_path):
    results = _results(tmp_path)
    markdown = tmp_path / "LEADERBOARD.md"
    write_leaderboard(load_results(results), fmt="md", out=markdown)
    text = markdown.read_text()
    assert "## Object-level scores" in text
    assert text.index("## Object-level scores") < text.index("## Run time")
    page = tmp_path / "leaderboard.html"
    write_leaderboard(load_results(results), fmt="html", out=page)
    assert "id='objects'" in page.read_text() and "table-objects" in page.read_text()

    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "run.json").write_text(json.dumps(make_record("deepcr")))
    assert object_scores_table(load_results(plain)) is None
    write_leaderboard(load_results(plain), fmt="md", out=tmp_path / "plain.md")
    assert "Object-level scores" not in (tmp_path / "plain.md").read_text()


def test_cells_carry_the_records_bootstrap_interval(tmp_path):
    directory = tmp_path / "results"
    directory.mkdir()
    record = make_record("deepcr")
    record["objects"] = _objects_section(miss_track=False)
    record["objects"]["uncertainty"] = {"metrics": {"object_recall": {"low": 0.5, "high": None, "n_undefined": 40},
                                                    "fp_objects_per_megapixel": {"low": 100.0, "high": 300.25,
                                                                                 "n_undefined": 0}}}
    (directory / "run.json").write_text(json.dumps(record))
    frame = object_scores_table(load_results(directory)).frame.set_index("detector")
    assert frame.loc["deepcr", "object recall"] == "1.000 [0.500, n/a]"  # an unbounded end is not invented
    assert frame.loc["deepcr", "FP objects per Mpix"] == f"{1e6 / (64 * 64 - 25):.2f} [100.00, 300.25]"
    assert frame.loc["deepcr", "CR objects"] == "2"  # counts get no interval
