"""A TPR-at-FPR target a sweep never reached: shown as "not reached (FPR >= x)", never 0, in every renderer."""

import csv
import io
import json
from pathlib import Path

from crbench.leaderboard import plots
from crbench.leaderboard.collect import collect_records
from crbench.leaderboard.regression import compare, exit_code, make_baseline, summary_markdown
from crbench.leaderboard.render import render_csv, render_html, render_markdown
from crbench.leaderboard.tables import build_leaderboard, metric_table, ranking_table
from crbench.records import RunRecord

from .factory import make_record

# records in older formats, which the rebuilt leaderboard no longer holds (tests/data/legacy_records/README.md)
LEGACY_RECORDS = Path(__file__).resolve().parents[1] / "data" / "legacy_records"
NOT_REACHED = {"lowest_fpr": 2.1e-4, "tpr": 0.42, "threshold": 20.0}


def _unreached(record, metric="tpr_at_fpr_1e-4"):
    record["metrics"][metric].update(value=None, threshold=None, not_reached=dict(NOT_REACHED))
    return record


def _records():
    measured_zero = make_record("deepcr", metrics={"tpr_at_fpr_1e-4": 0.0})  # a score map: TPR 0 really measured
    missed = _unreached(make_record("astroscrappy", output_kind="mask"))
    undefined = make_record("maximask", metrics={"tpr_at_fpr_1e-4": None})
    return [measured_zero, missed, undefined]


def test_table_cell_and_note_say_not_reached():
    group = collect_records(_records()).groups[0]
    frame = metric_table(group, ("tpr_at_fpr_1e-4",), title="t").frame.set_index("detector")
    assert frame.loc["astroscrappy", "TPR at 0.01 % FPR (%)"] == "not reached (FPR >= 2.10e-04)"
    assert frame.loc["deepcr", "TPR at 0.01 % FPR (%)"] == "0.00"
    assert frame.loc["maximask", "TPR at 0.01 % FPR (%)"] == "n/a"
    assert any(note.startswith("not reached (FPR >= x)") for note in metric_table(group, ("tpr_at_fpr_1e-4",),
                                                                                   title="t").notes)


def test_not_reached_ranks_below_every_reached_value_and_above_na():
    ranking = ranking_table(collect_records(_records()).groups).frame.set_index("detector")
    # a measured TPR of 0 beats "no sweep point reaches the target"; neither is tied with it
    assert ranking["sim_decam (small/test, v1)"].to_dict() == {"deepcr": "1", "astroscrappy": "2", "maximask": "3"}


def test_markdown_html_and_csv_show_it():
    collection = collect_records(_records())
    leaderboard = build_leaderboard(collection)
    assert "not reached (FPR >= 2.10e-04)" in render_markdown(leaderboard, collection)
    assert "not reached (FPR &gt;= 2.10e-04)" in render_html(leaderboard, collection)
    rows = {row["detector"]: row for row in csv.DictReader(io.StringIO(render_csv(collection)))}
    assert rows["astroscrappy"]["tpr_at_fpr_1e-4"] == "" and rows["astroscrappy"]["tpr_at_fpr_1e-4_lowest_fpr"] == "0.00021"
    assert rows["deepcr"]["tpr_at_fpr_1e-4"] == "0.0" and rows["deepcr"]["tpr_at_fpr_1e-4_lowest_fpr"] == ""


def test_roc_legend_names_the_unreached_target():
    record = RunRecord.from_dict(_records()[1])
    assert plots._not_reached_suffix(record) == " [TPR@0.0001 not reached (FPR >= 2.10e-04)]"
    assert plots._not_reached_suffix(RunRecord.from_dict(_records()[0])) == ""
    assert plots.plot_roc([record], ["astroscrappy"], title="t").startswith(b"\x89PNG")


def test_old_baseline_zero_that_is_now_not_reached_is_reinterpreted_not_a_regression():
    # baselines written before 2026-11-29 stored "not reached" as 0.0: rebuild such an entry for the
    # LACosmic record committed before the adaptive sweep, whose FPR 1e-4 target on sim_decam is not reached
    record = RunRecord.load(LEGACY_RECORDS / "run__sim_decam__small__test__lacosmic__8635ef21b7610b17.json")
    assert record.metrics["tpr_at_fpr_1e-4"].not_reached
    baseline = json.loads(json.dumps(make_baseline([record])))
    entry = next(e for e in baseline["entries"] if e["key"] == "lacosmic@sim_decam/small/test")
    entry["metrics"]["tpr_at_fpr_1e-4"] = {"value": 0.0, "higher_is_better": True}
    results = compare(baseline, [record], only=["lacosmic@sim_decam"])
    assert [result.verdict for result in results] == ["unchanged"] and exit_code(results) == 0
    comparison = {c.metric: c for c in results[0].metrics}["tpr_at_fpr_1e-4"]
    assert comparison.verdict == "reinterpreted" and comparison.fresh is None
    assert comparison.fresh_lowest_fpr == record.metrics["tpr_at_fpr_1e-4"].lowest_fpr
    summary = summary_markdown(results)
    # reported, not hidden
    assert "reinterpreted" in summary and "not reached (FPR >= " in summary and "old convention" in summary


def test_real_value_that_becomes_not_reached_is_worse_and_new_baselines_keep_the_lowest_fpr():
    baseline = make_baseline([make_record("astroscrappy", output_kind="mask", metrics={"tpr_at_fpr_1e-4": 0.5})])
    fresh = _unreached(make_record("astroscrappy", output_kind="mask"))
    results = compare(baseline, [fresh])
    assert results[0].verdict == "worse" and exit_code(results) == 1
    # a baseline of the new convention records the lowest FPR and compares "not reached" with itself
    new_baseline = make_baseline([fresh])
    assert new_baseline["entries"][0]["metrics"]["tpr_at_fpr_1e-4"] == {
        "value": None, "higher_is_better": True, "lowest_fpr": 2.1e-4}
    assert compare(json.loads(json.dumps(new_baseline)), [fresh])[0].verdict == "unchanged"
    # and a real 0.0 of a score map that stays 0.0 is simply unchanged
    zero = make_record("deepcr", metrics={"tpr_at_fpr_1e-4": 0.0})
    assert compare(make_baseline([zero]), [zero])[0].verdict == "unchanged"
