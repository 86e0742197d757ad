"""The regression check."""

import copy
import datetime
import json
import math
from pathlib import Path

import pytest

from crbench.errors import InputError
from crbench.leaderboard.regression import (
    compare,
    default_rules,
    exit_code,
    load_baseline,
    load_rules,
    make_baseline,
    select_entries,
    summary_markdown,
    write_baseline,
)

from .factory import make_record


def _records():
    return [
        make_record("deepcr", seconds_per_megapixel=2.0),
        make_record("astroscrappy", output_kind="mask", seconds_per_megapixel=1.0),
        make_record("deepcr", dataset="sim_lco_1m", seconds_per_megapixel=2.0),
    ]


def _with_runtime(record, *, seconds_per_megapixel, detect_seconds=30.0):
    record["runtime"]["seconds_per_megapixel"] = seconds_per_megapixel
    record["runtime"]["detect_seconds"] = detect_seconds
    return record


def _verdicts(results):
    return {result.key: result.verdict for result in results}


def test_identical_records_pass():
    baseline = make_baseline(_records())
    results = compare(baseline, _records())
    assert set(_verdicts(results).values()) == {"unchanged"}
    assert exit_code(results) == 0


def test_one_point_drop_in_tpr_at_0_1_percent_fpr_fails():
    baseline = make_baseline(_records())
    fresh = _records()
    fresh[0]["metrics"]["tpr_at_fpr_1e-3"]["value"] -= 0.01
    results = compare(baseline, fresh)
    verdicts = _verdicts(results)
    assert verdicts["deepcr@sim_decam/small/test"] == "worse"
    assert exit_code(results) == 1
    text = summary_markdown(results)
    assert "FAIL" in text and "tpr_at_fpr_1e-3" in text and "-0.010000" in text


def test_float_noise_passes():
    baseline = make_baseline(_records())
    fresh = _records()
    for record in fresh:
        for metric in record["metrics"].values():
            metric["value"] += 1e-9
    results = compare(baseline, fresh)
    assert set(_verdicts(results).values()) == {"unchanged"}
    assert exit_code(results) == 0


def test_direction_matters_for_fdr():
    baseline = make_baseline(_records())
    fresh = _records()
    fresh[0]["metrics"]["fdr"]["value"] -= 0.05  # fewer false detections: better
    fresh[1]["metrics"]["fdr"]["value"] += 0.05  # more: worse
    verdicts = _verdicts(compare(baseline, fresh))
    assert verdicts["deepcr@sim_decam/small/test"] == "improved"
    assert verdicts["astroscrappy@sim_decam/small/test"] == "worse"


def test_relative_tolerance_scales_with_the_baseline():
    rules = load_rules()
    rules["default"] = {"abs": 0.0, "rel": 0.1}
    rules["metrics"] = {}
    baseline = make_baseline([make_record(metrics={"f1": 0.5})])
    assert _verdicts(compare(baseline, [make_record(metrics={"f1": 0.46})], rules=rules)) == {
        "deepcr@sim_decam/small/test": "unchanged"}
    assert _verdicts(compare(baseline, [make_record(metrics={"f1": 0.44})], rules=rules)) == {
        "deepcr@sim_decam/small/test": "worse"}


@pytest.mark.parametrize("change", [{"version": "2"}, {"metric_spec_version": "2"}, {"detector_version": "2"}])
def test_version_change_is_not_comparable_and_does_not_fail(change):
    baseline = make_baseline([make_record()])
    fresh = [make_record(metrics={"tpr_at_fpr_1e-3": 0.1}, **change)]
    results = compare(baseline, fresh)
    assert _verdicts(results) == {"deepcr@sim_decam/small/test": "not comparable"}
    assert exit_code(results) == 0
    assert exit_code(results, strict=True) == 1


@pytest.mark.parametrize(("change", "field"), [({"manifest_hash": "f" * 64}, "manifest_hash"),
                                               ({"params_hash": "q" * 16}, "params_hash")])
def test_images_or_parameters_changed_without_a_version_bump_fail(change, field):
    baseline = make_baseline([make_record()])
    results = compare(baseline, [make_record(**change)])
    assert _verdicts(results) == {"deepcr@sim_decam/small/test": "failed"}
    assert field in results[0].reason and "bump" in results[0].reason
    assert exit_code(results) == 1
    # with a version bump the same change is expected
    bumped = compare(baseline, [make_record(detector_version="2", **change)])
    assert _verdicts(bumped) == {"deepcr@sim_decam/small/test": "not comparable"}


def test_missing_and_new_entries_warn():
    baseline = make_baseline(_records()[:2])
    fresh = [_records()[0], _records()[2]]
    results = compare(baseline, fresh)
    verdicts = _verdicts(results)
    assert verdicts["astroscrappy@sim_decam/small/test"] == "missing"
    assert verdicts["deepcr@sim_lco_1m/small/test"] == "new"
    assert exit_code(results) == 0
    assert exit_code(results, strict=True) == 1
    assert "1 missing, 1 new" in summary_markdown(results)


@pytest.mark.parametrize("status", ["partial", "failed"])
def test_failed_or_partial_record_fails(status):
    baseline = make_baseline(_records())
    fresh = _records()
    fresh[1]["status"] = status
    results = compare(baseline, fresh)
    assert _verdicts(results)["astroscrappy@sim_decam/small/test"] == "failed"
    assert exit_code(results) == 1


def test_run_that_raised_fails():
    baseline = make_baseline(_records())
    results = compare(baseline, _records()[1:], run_failures={"deepcr@sim_decam/small/test": "RuntimeError: boom"})
    result = next(result for result in results if result.key == "deepcr@sim_decam/small/test")
    assert result.verdict == "failed" and "boom" in result.reason
    assert exit_code(results) == 1


def test_metric_that_becomes_undefined_is_worse():
    baseline = make_baseline([make_record()])
    assert _verdicts(compare(baseline, [make_record(metrics={"purity_at_tpr_0.95": None})])) == {
        "deepcr@sim_decam/small/test": "worse"}


def test_report_only_metrics_do_not_fail():
    rules = load_rules()
    rules["report_only"] = ["auroc"]
    baseline = make_baseline([make_record()])
    results = compare(baseline, [make_record(metrics={"auroc": 0.5})], rules=rules)
    assert _verdicts(results) == {"deepcr@sim_decam/small/test": "unchanged"}
    assert "report only" in summary_markdown(results)


def test_runtime_alone_never_fails_but_a_relative_slowdown_does():
    baseline = make_baseline([_with_runtime(record, seconds_per_megapixel=2.0) for record in _records()])
    # every detector 3x slower (a slower machine): reported, not failed
    slower_machine = [_with_runtime(record, seconds_per_megapixel=6.0) for record in _records()]
    results = compare(baseline, slower_machine)
    assert set(_verdicts(results).values()) == {"unchanged"}
    assert all(result.relative_slowdown == pytest.approx(1.0) for result in results)
    # one detector 3x slower than the others in the same run: fails
    fresh = [_with_runtime(record, seconds_per_megapixel=2.0) for record in _records()]
    _with_runtime(fresh[1], seconds_per_megapixel=6.0)
    results = compare(baseline, fresh)
    slow = next(result for result in results if result.key == "astroscrappy@sim_decam/small/test")
    assert slow.verdict == "worse" and "3.00x slower" in slow.reason
    assert exit_code(results) == 1
    # a 1.5x relative slow-down is within the 2x limit
    _with_runtime(fresh[1], seconds_per_megapixel=3.0)
    assert exit_code(compare(baseline, fresh)) == 0


def test_runtime_of_a_single_or_tiny_run_is_not_gated():
    baseline = make_baseline([_with_runtime(make_record(), seconds_per_megapixel=1.0)])
    assert exit_code(compare(baseline, [_with_runtime(make_record(), seconds_per_megapixel=10.0)])) == 0
    records = _records()
    baseline = make_baseline([_with_runtime(record, seconds_per_megapixel=1.0, detect_seconds=0.1) for record in records])
    fresh = [_with_runtime(record, seconds_per_megapixel=1.0, detect_seconds=0.1) for record in _records()]
    _with_runtime(fresh[0], seconds_per_megapixel=10.0, detect_seconds=1.0)
    assert exit_code(compare(baseline, fresh)) == 0


def test_only_restricts_the_entries():
    baseline = make_baseline(_records())
    results = compare(baseline, [_records()[0]], only=["deepcr@sim_decam"])
    assert _verdicts(results) == {"deepcr@sim_decam/small/test": "unchanged"}
    assert select_entries(["a@x/small/test", "b@y/small/test"], ["*@y"]) == ["b@y/small/test"]


def test_every_duplicate_is_checked_and_the_most_severe_verdict_counts():
    """Dates never choose between fresh records of one entry (anyone can write a newer date).

    Before issue 16 the newest record won, so an older record that got worse was ignored.
    """
    baseline = make_baseline([make_record()])
    worse = make_record(created="2026-01-01T00:00:00+00:00")
    worse["metrics"]["tpr_at_fpr_1e-3"]["value"] -= 0.01
    same = make_record(created="2026-11-28T00:00:00+00:00")
    results = compare(baseline, [same, worse], now=NOW)
    assert _verdicts(results) == {"deepcr@sim_decam/small/test": "worse"}
    assert "2 fresh records of this entry" in results[0].reason
    assert _verdicts(compare(baseline, [same, make_record(created="2026-01-01T00:00:00+00:00")], now=NOW)) == {
        "deepcr@sim_decam/small/test": "unchanged"}


# the time the gate is run at in the tests below (records are dated relative to it)
NOW = datetime.datetime(2026, 11, 29, 12, 0, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize("forged", ["2099-01-01T00:00:00+00:00", "2026-11-29T11:59:00+00:00"])
@pytest.mark.parametrize("status", ["partial", "failed"])
def test_a_newer_complete_record_cannot_hide_a_failed_fresh_run(forged, status):
    """A copy of a good record dated after the fresh run (in the future, or just later) hid it: newest won."""
    baseline = make_baseline([make_record()])
    fresh = make_record(status=status, created="2026-11-29T11:00:00+00:00")
    results = compare(baseline, [fresh, make_record(created=forged)], now=NOW)
    (result,) = results
    assert result.verdict == "failed" and exit_code(results) == 1
    assert ("in the future" in result.reason) if forged.startswith("2099") else (repr(status) in result.reason)


def test_a_failed_record_older_than_a_complete_one_still_fails():
    baseline = make_baseline([make_record()])
    results = compare(baseline, [make_record(created="2026-11-29T11:00:00+00:00"),
                                 make_record(status="partial", created="2020-01-01T00:00:00+00:00")], now=NOW)
    assert _verdicts(results) == {"deepcr@sim_decam/small/test": "failed"}
    assert "'partial'" in results[0].reason


def test_a_partial_record_of_a_new_entry_fails():
    """A partial record without a baseline entry was "new" (not failing)."""
    results = compare(make_baseline([make_record()]), [make_record(), make_record("maximask", status="partial")],
                      now=NOW)
    assert _verdicts(results)["maximask@sim_decam/small/test"] == "failed"


def test_a_record_dated_in_the_future_fails_alone_and_cannot_make_a_baseline():
    baseline = make_baseline([make_record()])
    future = make_record(created="2026-11-29T12:30:00+00:00")
    results = compare(baseline, [future], now=NOW)
    assert _verdicts(results) == {"deepcr@sim_decam/small/test": "failed"} and "in the future" in results[0].reason
    # within the clock skew allowed between machines: fine
    assert exit_code(compare(baseline, [make_record(created="2026-11-29T12:04:00+00:00")], now=NOW)) == 0
    with pytest.raises(InputError, match="dated in the future"):
        make_baseline([make_record(created="2099-01-01T00:00:00+00:00")])


def test_crbench_check_sees_duplicates_the_leaderboard_drops(tmp_path):
    """`crbench check` read the leaderboard's de-duplicated records: the forged newer file hid the failed run."""
    from click.testing import CliRunner

    from crbench.cli import main

    baseline = tmp_path / "baseline.json"
    write_baseline(make_baseline([make_record()]), baseline)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    now = datetime.datetime.now(datetime.timezone.utc)
    failed = make_record(status="partial", created=(now - datetime.timedelta(hours=1)).isoformat(timespec="seconds"))
    (fresh / "run__fresh.json").write_text(json.dumps(failed))
    (fresh / "run__forged.json").write_text(json.dumps(make_record(created="2099-01-01T00:00:00+00:00")))
    result = CliRunner().invoke(main, ["check", "--baseline", str(baseline), "--results", str(fresh)])
    assert result.exit_code == 1, result.output
    assert "FAILED" in result.output and "in the future" in result.output and "run__forged.json" in result.output


def test_baseline_round_trip_and_errors(tmp_path):
    baseline = make_baseline(_records(), note="test")
    write_baseline(baseline, tmp_path / "baseline.json")
    assert load_baseline(tmp_path / "baseline.json") == json.loads(json.dumps(baseline))
    with pytest.raises(InputError, match="does not exist"):
        load_baseline(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text(json.dumps({"schema": "other"}))
    with pytest.raises(InputError, match="not a crbench baseline"):
        load_baseline(tmp_path / "bad.json")
    partial = copy.deepcopy(_records())
    partial[0]["status"] = "partial"
    with pytest.raises(InputError, match="partial"):
        make_baseline(partial)


def test_rules_file_overrides_defaults(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("metrics:\n  f1: {abs: 0.5}\nruntime:\n  max_relative_slowdown: 5\n")
    rules = load_rules(path)
    assert rules["metrics"]["f1"] == {"abs": 0.5}
    assert rules["metrics"]["tpr_at_fpr_1e-4"] == default_rules()["metrics"]["tpr_at_fpr_1e-4"]
    assert rules["runtime"]["max_relative_slowdown"] == 5
    assert rules["default"] == default_rules()["default"]
    path.write_text("tolerance: 1\n")
    with pytest.raises(InputError, match="unknown key"):
        load_rules(path)


def test_default_tolerances_catch_a_one_point_drop_but_not_noise():
    rules = default_rules()
    for metric in ("tpr_at_fpr_1e-3", "tpr_at_fpr_1e-4", "purity_at_tpr_0.95", "f1", "iou", "fdr"):
        spec = {**rules["default"], **rules["metrics"].get(metric, {})}
        tolerance = max(spec["abs"], spec["rel"] * 1.0)
        assert 1e-6 < tolerance < 0.01, metric


# --------------------------------------------------------------- untrustworthy metrics (issue 12, part 1)
COMMITTED = Path(__file__).resolve().parents[2] / "leaderboard" / "records"
SCORE_RECORD = next(COMMITTED.glob("run__sim_lco_1m__small__test__cosmic_conn_pretrained__*.json"))
SWEEP_RECORD = next(COMMITTED.glob("run__sim_lco_1m__small__test__astroscrappy__*.json"))


def _tampered(path, metric, value):
    record = json.loads(path.read_text())
    record["metrics"][metric]["value"] = value
    return record


@pytest.mark.parametrize("path", [SCORE_RECORD, SWEEP_RECORD], ids=["score", "sweep"])
@pytest.mark.parametrize(
    ("metric", "edit", "reason"),
    [
        ("tpr_at_fpr_1e-3", lambda value: float("nan"), "tpr_at_fpr_1e-3 is nan, not a finite number"),
        ("tpr_at_fpr_1e-3", lambda value: float("inf"), "tpr_at_fpr_1e-3 is inf, not a finite number"),
        # a hand-edited improvement, still a plausible fraction: only the record's own counts expose it
        ("f1", lambda value: value + 0.05, "f1 = "),
        # a change inside the tolerance, which the baseline comparison alone calls unchanged
        ("tpr_at_fpr_1e-3", lambda value: value - 0.001, "tpr_at_fpr_1e-3 = "),
    ],
    ids=["nan", "infinity", "tampered-up", "tampered-within-tolerance"],
)
def test_untrustworthy_metrics_fail_the_regression_check(path, metric, edit, reason):
    honest = json.loads(path.read_text())
    baseline = make_baseline([honest])
    value = edit(honest["metrics"][metric]["value"])
    assert not 1 < value < math.inf
    (result,) = compare(baseline, [_tampered(path, metric, value)])
    assert result.verdict == "failed"
    assert result.reason.startswith("metrics not trustworthy: ") and reason in result.reason
    assert "contradicts the stored counts" in result.reason or "not a finite number" in result.reason
    assert exit_code([result]) == 1
    assert compare(baseline, [honest])[0].verdict == "unchanged"


def test_a_baseline_cannot_be_made_from_untrustworthy_records():
    with pytest.raises(InputError, match="untrustworthy metrics.*f1 is nan"):
        make_baseline([_tampered(SCORE_RECORD, "f1", float("nan"))])


@pytest.mark.parametrize("value", ["NaN", "Infinity", "0.999"])
def test_crbench_check_exits_non_zero_on_untrustworthy_metrics(tmp_path, value):
    from click.testing import CliRunner

    from crbench.cli import main

    baseline = tmp_path / "baseline.json"
    write_baseline(make_baseline([json.loads(SCORE_RECORD.read_text())]), baseline)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    text = SCORE_RECORD.read_text()
    stored = json.loads(text)["metrics"]["auroc"]["value"]
    # edit the JSON text the way a hand edit or a buggy writer would
    text = text.replace(f'"value": {stored!r}', f'"value": {value}', 1)
    assert text != SCORE_RECORD.read_text()
    (fresh / SCORE_RECORD.name).write_text(text)
    result = CliRunner().invoke(main, ["check", "--baseline", str(baseline), "--results", str(fresh)])
    assert result.exit_code == 1, result.output
    assert "FAILED" in result.output and "metrics not trustworthy" in result.output and "auroc" in result.output


def test_card_fields_added_later_leave_the_verdict_unchanged():
    """A baseline made from records whose card lacks a newer field (``caveat``) still matches fresh records."""
    old = make_record("deepcr")
    old["dataset"]["card"] = {"name": "sim_decam", "kind": "standard"}
    fresh = copy.deepcopy(old)
    fresh["dataset"]["card"]["caveat"] = "few CR objects"
    results = compare(make_baseline([old]), [fresh])
    assert _verdicts(results) == {"deepcr@sim_decam/small/test": "unchanged"}
