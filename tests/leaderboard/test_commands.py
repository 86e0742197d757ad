"""``crbench leaderboard``, ``crbench leaderboard rebuild`` and ``crbench check`` end to end."""

import json

from click.testing import CliRunner

from crbench.cli import main

from .factory import make_record

DOUBLES = ["--detector", "oracle", "--detector", "random"]


def _invoke(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_leaderboard_renders_every_format(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    (results / "a.json").write_text(json.dumps(make_record("deepcr")))
    (results / "b.json").write_text(json.dumps(make_record("astroscrappy", output_kind="mask")))
    for fmt, name in (("md", "LB.md"), ("html", "lb.html"), ("csv", "lb.csv"), ("latex", "lb.tex")):
        result = _invoke("leaderboard", "--results", str(results), "--format", fmt, "--out", str(tmp_path / name))
        assert result.exit_code == 0, result.output
        assert (tmp_path / name).is_file()
        assert "2 run record(s)" in result.output
    assert (tmp_path / "plots").is_dir()


def test_leaderboard_explains_a_missing_results_directory(tmp_path):
    result = CliRunner().invoke(main, ["leaderboard", "--results", str(tmp_path / "none")])
    assert result.exit_code != 0
    assert "does not exist" in result.output


def test_rebuild_then_check_fresh_runs(tmp_path):
    out = tmp_path / "leaderboard"
    result = _invoke("leaderboard", "rebuild", "--out-dir", str(out), *DOUBLES, "--dataset", "tiny",
                     "--size", "default", "--processes", "1", "--no-bench", "--quiet")
    assert result.exit_code == 0, result.output
    records = sorted(path.name for path in (out / "records").glob("run__*.json"))
    assert len(records) == 2 and all("tiny" in name for name in records)
    page = (out / "LEADERBOARD.md").read_text()
    assert "crbench leaderboard rebuild" in page and "the whole rebuild took" in page
    assert "| oracle" in page and "(plots/" in page
    baseline = json.loads((out / "baseline.json").read_text())
    assert {entry["key"] for entry in baseline["entries"]} == {"oracle@tiny/default/test", "random@tiny/default/test"}
    assert not any(path.name.startswith(".records") for path in out.iterdir())

    # the regression check re-runs the baseline entries and finds them unchanged
    result = _invoke("check", "--baseline", str(out / "baseline.json"), "--rerun", "--processes", "1",
                     "--summary", str(tmp_path / "summary.md"))
    assert result.exit_code == 0, result.output
    assert "PASS" in result.output and "2 unchanged" in result.output
    assert "PASS" in (tmp_path / "summary.md").read_text()

    # a deliberately degraded record fails the regression check
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    for path in (out / "records").glob("run__*.json"):
        record = json.loads(path.read_text())
        if record["detector"]["name"] == "oracle":
            metric = record["metrics"]["tpr_at_fpr_1e-3"]
            metric["value"] -= 0.01
        (fresh / path.name).write_text(json.dumps(record))
    result = _invoke("check", "--baseline", str(out / "baseline.json"), "--results", str(fresh))
    assert result.exit_code == 1
    assert "FAIL" in result.output and "oracle@tiny/default/test" in result.output

    # selecting an entry that does not exist is an error, not a silent pass
    result = CliRunner().invoke(main, ["check", "--baseline", str(out / "baseline.json"), "--rerun", "--only", "nope@*"])
    assert result.exit_code != 0 and "no baseline entry matches" in result.output


def test_rebuild_dry_run_lists_runs_and_estimate(tmp_path):
    result = _invoke("leaderboard", "rebuild", "--dry-run", "--out-dir", str(tmp_path / "lb"), *DOUBLES,
                     "--dataset", "tiny", "--size", "default", "--no-bench")
    assert result.exit_code == 0, result.output
    assert "oracle@tiny/default/test" in result.output and "estimated" in result.output
    assert not (tmp_path / "lb").exists()


def test_rendering_the_committed_records_reproduces_the_page(tmp_path):
    out = tmp_path / "leaderboard"
    result = _invoke("leaderboard", "rebuild", "--out-dir", str(out), *DOUBLES, "--dataset", "tiny",
                     "--size", "default", "--processes", "1", "--no-bench", "--quiet")
    assert result.exit_code == 0, result.output
    again = tmp_path / "again" / "LEADERBOARD.md"
    result = _invoke("leaderboard", "--results", str(out / "records"), "--out", str(again))
    assert result.exit_code == 0, result.output
    assert again.read_text() == (out / "LEADERBOARD.md").read_text()
    for plot in (out / "plots").iterdir():
        assert (again.parent / "plots" / plot.name).read_bytes() == plot.read_bytes()
