"""Malformed records, baselines and rules: a crbench error naming the file and the field, never a traceback.

Issue 16: a record nested 100000 deep raised a bare ``RecursionError``, negative timings were accepted
(and ranked a detector infinitely fast), and rules such as ``abs: abc`` raised ``ValueError``/``TypeError``
from deep inside the comparison.
"""

import json

import pytest
from click.testing import CliRunner

from crbench.cli import main
from crbench.leaderboard.regression import make_baseline, write_baseline

from .factory import make_record


def _nested_text():
    """A valid record with a 100000-deep ``extra`` value, as JSON text (json.dumps itself would recurse)."""
    depth = 100_000
    return json.dumps(make_record())[:-1] + ', "extra": ' + '{"a": ' * depth + "1" + "}" * depth + "}"


def _set(path, value):
    def edit(record):
        *parents, last = path.split(".")
        target = record
        for part in parents:
            target = target[part]
        target[last] = value
    return edit


def _drop_detector_name(record):
    del record["detector"]["name"]


# (edit of a valid record, text the error must name)
RECORD_CASES = {
    "missing detector.name": (_drop_detector_name, "detector.name"),
    "metrics as a list": (_set("metrics", [1, 2]), "'metrics'"),
    "metric value as a string": (_set("metrics.f1.value", "0.9"), "metrics.f1.value"),
    "timing as a string": (_set("runtime.seconds_per_megapixel", "1.5"), "runtime.seconds_per_megapixel"),
    "count as a string": (_set("dataset.n_images", "4"), "dataset.n_images"),
    "negative detect time": (_set("runtime.detect_seconds", -5.0), "runtime.detect_seconds"),
    "negative seconds per megapixel": (_set("runtime.seconds_per_megapixel", -1.0), "runtime.seconds_per_megapixel"),
    "absurd nesting": (None, "nested too deeply"),
}


def _write_case(directory, name):
    edit, _ = RECORD_CASES[name]
    directory.mkdir()
    path = directory / "run__hostile.json"
    if edit is None:
        path.write_text(_nested_text())
    else:
        record = make_record()
        edit(record)
        path.write_text(json.dumps(record))
    return path


def _assert_clean_error(result, *needles):
    # a ClickException exits 1 with "Error: ..."; any other exception would be result.exception
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.output, result.output


@pytest.fixture
def baseline(tmp_path):
    path = tmp_path / "baseline.json"
    write_baseline(make_baseline([make_record()]), path)
    return path


@pytest.mark.parametrize("case", sorted(RECORD_CASES))
def test_malformed_records_name_the_file_and_field(tmp_path, baseline, case):
    path = _write_case(tmp_path / "fresh", case)
    needle = RECORD_CASES[case][1]
    runner = CliRunner()
    _assert_clean_error(runner.invoke(main, ["check", "--baseline", str(baseline), "--results", str(path.parent)]),
                        str(path), needle)
    _assert_clean_error(runner.invoke(main, ["leaderboard", "--results", str(path.parent),
                                             "--out", str(tmp_path / "LEADERBOARD.md")]), str(path), needle)


RULES_CASES = {
    "default: {abs: abc}": "default.abs",
    "metrics: [1]": "metrics",
    "default: 5": "default",
    "report_only: 5": "report_only",
    "runtime: {max_relative_slowdown: abc}": "runtime.max_relative_slowdown",
    "runtime: {max_relative_slowdown: 0}": "runtime.max_relative_slowdown",
    "metrics: {f1: {rel: x}}": "metrics.f1.rel",
    "metrics: {f1: 3}": "metrics.f1",
    "metrics: {f1: {abs: -0.1}}": "metrics.f1.abs",
    "metrics: {f1: {absolute: 0.1}}": "metrics.f1.absolute",
    "default: {abs: .nan}": "default.abs",
}


@pytest.mark.parametrize("text", sorted(RULES_CASES))
def test_malformed_rules_name_the_key(tmp_path, baseline, text):
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "run__ok.json").write_text(json.dumps(make_record()))
    rules = tmp_path / "rules.yaml"
    rules.write_text(text + "\n")
    result = CliRunner().invoke(main, ["check", "--baseline", str(baseline), "--results", str(fresh),
                                       "--rules", str(rules)])
    _assert_clean_error(result, str(rules), RULES_CASES[text])


def test_rules_in_yaml_exponent_notation_still_work(tmp_path, baseline):
    """PyYAML reads ``1e-3`` (no dot) as a string; it is a number to anyone writing a rules file."""
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "run__ok.json").write_text(json.dumps(make_record()))
    rules = tmp_path / "rules.yaml"
    rules.write_text("default: {abs: 1e-3, rel: 0}\n")
    result = CliRunner().invoke(main, ["check", "--baseline", str(baseline), "--results", str(fresh),
                                       "--rules", str(rules)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("edit, needle", [
    (lambda doc: doc.__setitem__("entries", {"a": 1}), "'entries'"),
    (lambda doc: doc["entries"][0].pop("key"), "entries[0].key"),
    (lambda doc: doc["entries"][0].__setitem__("metrics", [1]), "entries[0].metrics"),
    (lambda doc: doc["entries"][0]["metrics"]["f1"].__setitem__("value", "0.9"), "entries[0].metrics.f1.value"),
    (lambda doc: doc["entries"][0].__setitem__("seconds_per_megapixel", "fast"), "entries[0].seconds_per_megapixel"),
])
def test_malformed_baseline_names_the_field(tmp_path, baseline, edit, needle):
    document = json.loads(baseline.read_text())
    edit(document)
    baseline.write_text(json.dumps(document))
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "run__ok.json").write_text(json.dumps(make_record()))
    result = CliRunner().invoke(main, ["check", "--baseline", str(baseline), "--results", str(fresh)])
    _assert_clean_error(result, str(baseline), needle)


def test_baseline_nested_too_deeply(tmp_path):
    path = tmp_path / "baseline.json"
    path.write_text('{"schema": "crbench.baseline/1", "entries": ' + "[" * 100_000 + "]" * 100_000 + "}")
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "run__ok.json").write_text(json.dumps(make_record()))
    result = CliRunner().invoke(main, ["check", "--baseline", str(path), "--results", str(fresh)])
    _assert_clean_error(result, str(path), "nested too deeply")
