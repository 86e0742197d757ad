"""One CLI: several detectors per run, one --output spelling (old ones warn), --output -, --device auto."""

import doctest
import json

import pytest
from click.testing import CliRunner

import crbench.commands.options
from crbench.cli import main
from tests.leaderboard.factory import make_record


def _run(tmp_path, *args):
    return CliRunner().invoke(main, ["run", "--dataset", "tiny", "--quiet", "--no-objects", "--bootstrap", "0",
                                     "--output", str(tmp_path / "results"), *args])


def _records(tmp_path):
    return sorted(path.name.split("__")[4] for path in (tmp_path / "results").glob("run__*.json"))


def test_comma_list_and_repeated_detector_run_every_detector(tmp_path):
    # before: click kept only the last --detector, silently
    result = _run(tmp_path, "--detector", "random,constant", "--detector", "oracle")
    assert result.exit_code == 0, result.output
    assert _records(tmp_path) == ["constant", "oracle", "random"]
    summary = result.stdout.split("summary: 3 detectors on tiny")[1]
    assert [line.split("|")[1].strip() for line in summary.strip().splitlines()[2:]] == ["random", "constant", "oracle"]
    assert "| complete " in summary


def test_one_failing_detector_fails_the_invocation_but_not_the_others(tmp_path):
    result = _run(tmp_path, "--detector", "random,nosuch,constant")
    assert result.exit_code == 1
    assert _records(tmp_path) == ["constant", "random"]
    assert "FAILED nosuch: unknown detector 'nosuch'" in result.stderr
    assert "1 of 3 detector(s) failed: nosuch" in result.stderr
    assert "| nosuch " in result.stdout and "| FAILED " in result.stdout


def test_several_detectors_as_json_are_a_list_of_records(tmp_path):
    result = _run(tmp_path, "--detector", "random,constant", "--json")
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [record["detector"]["name"] for record in records] == ["random", "constant"]


def test_one_detector_prints_as_before(tmp_path):
    result = _run(tmp_path, "--detector", "random")
    assert result.exit_code == 0, result.output
    assert "summary:" not in result.stdout and "== random" not in result.stdout
    assert result.stdout.startswith("random on tiny")


@pytest.mark.parametrize("path", [["run"], ["bench"], ["train"], ["mock-run"], ["protocols"], ["datasets", "review"]])
def test_device_defaults_to_auto_everywhere(path):
    group = main
    context = None
    for name in path:
        command = group.get_command(context, name)
        group = command
    (device,) = [param for param in command.params if param.name == "device"]
    assert device.default == "auto"
    assert list(device.type.choices) == ["auto", "cpu", "cuda"]


def _leaderboard_dir(tmp_path):
    results = tmp_path / "records"
    results.mkdir()
    for name in ("deepcr", "astroscrappy"):
        (results / f"{name}.json").write_text(json.dumps(make_record(name)))
    return results


def test_old_out_spelling_still_works_and_warns(tmp_path):
    results = _leaderboard_dir(tmp_path)
    target = tmp_path / "board.csv"
    result = CliRunner().invoke(main, ["leaderboard", "--results", str(results), "--format", "csv", "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert target.is_file()
    assert "warning: --out is deprecated and will be removed; use --output" in result.stderr
    both = CliRunner().invoke(main, ["leaderboard", "--results", str(results), "--out", "a.csv", "--output", "b.csv"])
    assert both.exit_code == 2 and "give --output only" in both.output


def test_old_spellings_are_hidden_from_help():
    for path in (["leaderboard"], ["leaderboard", "baseline"], ["leaderboard", "rebuild"], ["train"],
                 ["datasets", "show"], ["datasets", "review"]):
        text = CliRunner().invoke(main, [*path, "--help"]).stdout
        assert "--output" in text and "--out " not in text and "--out-dir" not in text, path


def test_required_output_accepts_the_old_spelling_and_is_still_required(tmp_path):
    missing = CliRunner().invoke(main, ["datasets", "review", "tiny"])
    assert missing.exit_code == 2 and "Missing option '--output'" in missing.output
    result = CliRunner().invoke(main, ["datasets", "review", "tiny", "--out", str(tmp_path / "gallery"), "--limit", "1",
                                       "--quiet"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "gallery" / "index.csv").is_file()


@pytest.mark.parametrize("fmt", ["md", "csv", "latex"])
def test_leaderboard_output_dash_writes_the_page_to_stdout(tmp_path, fmt):
    results = _leaderboard_dir(tmp_path)
    to_stdout = CliRunner().invoke(main, ["leaderboard", "--results", str(results), "--format", fmt, "--output", "-"])
    assert to_stdout.exit_code == 0, to_stdout.output
    assert "2 run record(s)" in to_stdout.stderr and list(tmp_path.iterdir()) == [results]  # no file written
    target = tmp_path / f"page.{fmt}"
    CliRunner().invoke(main, ["leaderboard", "--results", str(results), "--format", fmt, "--output", str(target)])
    page = target.read_text()
    if fmt == "md":  # the file links its plot images; stdout has none
        page = "\n".join(line for line in page.splitlines() if not line.startswith("![")) + "\n"
        assert "\n".join(to_stdout.stdout.split()) == "\n".join(page.split())
    else:
        assert to_stdout.stdout == page


def test_baseline_output_dash_writes_json_to_stdout(tmp_path):
    results = _leaderboard_dir(tmp_path)
    result = CliRunner().invoke(main, ["leaderboard", "baseline", "--results", str(results), "--output", "-"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["schema"].startswith("crbench.baseline")
    assert "baseline of 2 run records: stdout" in result.stderr


def test_option_helpers_docstrings():
    outcome = doctest.testmod(crbench.commands.options)
    assert outcome.attempted >= 2 and outcome.failed == 0
