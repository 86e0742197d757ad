"""Records of different protocol presets are never compared, merged or ranked together."""

import pytest

from crbench.errors import InputError
from crbench.leaderboard import collect_records
from crbench.leaderboard.regression import compare, make_baseline
from crbench.records import RunRecord, metric_problems

from .factory import make_record


def with_protocol(record, protocol):
    return {**record, "protocol": protocol}


def test_a_record_without_a_protocol_is_crbench_and_writes_back_unchanged():
    data = make_record()
    record = RunRecord.from_dict(data)
    assert record.protocol is None and record.protocol_name == "crbench"
    assert "protocol" not in record.to_dict()
    assert record.filename.endswith(f"__{data['detector']['params_hash']}.json")


def test_a_preset_record_round_trips_and_gets_its_own_file_name():
    record = RunRecord.from_dict(with_protocol(make_record(), "xu2023"))
    assert record.protocol_name == "xu2023"
    assert RunRecord.from_dict(record.to_dict()).protocol == "xu2023"
    assert record.filename.endswith("__xu2023.json")
    assert record.filename != RunRecord.from_dict(make_record()).filename


def test_collect_keeps_crbench_current_and_sets_other_protocols_apart():
    crbench = make_record("deepcr", created="2026-11-22T01:00:00+00:00")
    newer_xu = with_protocol(make_record("deepcr", created="2026-11-23T01:00:00+00:00"), "xu2023")
    collection = collect_records([crbench, newer_xu])
    current, apart = collection.groups
    assert current.key.protocol == "crbench" and current.not_comparable is None
    assert apart.key.protocol == "xu2023" and "protocol 'xu2023'" in apart.not_comparable
    assert "protocol xu2023" in apart.key.dataset_label
    only_xu = collect_records([newer_xu]).groups
    assert only_xu[0].not_comparable is not None  # never ranked, even alone


def test_baseline_and_regression_check_use_crbench_records_only():
    crbench = make_record("deepcr")
    xu = with_protocol(make_record("deepcr", created="2026-11-23T01:00:00+00:00",
                                   metrics={"tpr_at_fpr_1e-4": 0.2}), "xu2023")
    with pytest.raises(InputError, match="crbench-protocol records only"):
        make_baseline([crbench, xu])
    baseline = make_baseline([crbench])
    (result,) = compare(baseline, [crbench, xu])  # the newer xu2023 record does not replace crbench's
    assert result.verdict == "unchanged"
    (result,) = compare(baseline, [xu])
    assert result.verdict == "not comparable" and "xu2023" in result.reason


def test_preset_records_are_not_recomputed_from_counts_under_crbench_rules():
    # a preset record's TPR rule differs from crbench's: only the finiteness checks apply
    assert metric_problems(with_protocol(make_record(metrics={"tpr_at_fpr_1e-4": 0.2}), "xu2023")) == []
    assert metric_problems(with_protocol(make_record(metrics={"tpr_at_fpr_1e-4": float("nan")}), "xu2023"))
