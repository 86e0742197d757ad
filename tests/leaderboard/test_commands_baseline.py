"""``crbench leaderboard baseline`` writes a regression-check baseline from run records."""

import json

from click.testing import CliRunner

from crbench.cli import main


def test_baseline_command_writes_complete_records_only(tmp_path):
    results = tmp_path / "records"
    runner = CliRunner()
    for detector in ("random", "constant"):
        outcome = runner.invoke(main, ["run", "--quiet", "--detector", detector, "--dataset", "tiny",
                                       "--output", str(results)])
        assert outcome.exit_code == 0, outcome.output
    out = tmp_path / "baseline.json"
    outcome = runner.invoke(main, ["leaderboard", "baseline", "--results", str(results), "--out", str(out)])
    assert outcome.exit_code == 0, outcome.output
    baseline = json.loads(out.read_text())
    detectors = sorted(entry["detector"] for entry in baseline["entries"])
    assert detectors == ["constant", "random"]
    outcome = runner.invoke(main, ["check", "--baseline", str(out), "--results", str(results)])
    assert outcome.exit_code == 0, outcome.output


def test_rebuild_records_the_options_it_was_given(monkeypatch):
    import crbench.jobs as rebuild_module

    captured = {}

    def fake_rebuild(out_dir, **options):
        captured.update(options)
        raise RuntimeError("stopped by the test")

    monkeypatch.setattr(rebuild_module, "rebuild", fake_rebuild)
    outcome = CliRunner().invoke(main, ["leaderboard", "rebuild", "--no-bench", "--cache-dir", "/tmp/c", "--quiet"])
    assert outcome.exit_code != 0
    assert captured["command"] == "crbench leaderboard rebuild --no-bench --cache-dir /tmp/c"
