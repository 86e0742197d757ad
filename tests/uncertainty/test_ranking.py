"""Ranking groups: a record joins its leader's group while P(leader better) < 0.95."""

import numpy as np
import pytest

from crbench.uncertainty import NotComparableError, rank_groups

from .records import constructed_record


def _records():
    rng = np.random.default_rng(0)
    shared = rng.normal(0, 0.02, 1000)  # the image draw moves every detector alike
    own = [rng.normal(0, 0.005, 1000) for _ in range(4)]
    return {
        "leader": constructed_record("leader", {"auroc": (0.900 + shared + own[0]).tolist()}, values={"auroc": 0.900}),
        "close": constructed_record("close", {"auroc": (0.899 + shared + own[1]).tolist()}, values={"auroc": 0.899}),
        "far": constructed_record("far", {"auroc": (0.800 + shared + own[2]).tolist()}, values={"auroc": 0.800}),
        "farclose": constructed_record("farclose", {"auroc": (0.7995 + shared + own[3]).tolist()},
                                       values={"auroc": 0.7995}),
        "undefined": constructed_record("undefined", {"auroc": [None] * 1000}, values={"auroc": None}),
    }


def test_groups_follow_the_paired_rule():
    records = _records()
    entries = rank_groups(list(records.values())[::-1], "auroc")
    assert [entry.record.detector.name for entry in entries] == ["leader", "close", "far", "farclose", "undefined"]
    assert [entry.group for entry in entries] == [1, 1, 2, 2, None]
    assert [entry.rank for entry in entries] == [1, 2, 3, 4, 5]
    assert entries[0].p_leader_better is None and entries[2].p_leader_better is None
    assert 0.5 < entries[1].p_leader_better < 0.95 and entries[3].p_leader_better < 0.95
    assert entries[3].leader.startswith("far ")


def test_a_stricter_confidence_never_splits_more():
    records = list(_records().values())
    strict = rank_groups(records, "auroc", confidence=0.999999)
    assert max(entry.group or 0 for entry in strict) <= 2


def test_records_on_different_resamples_cannot_be_ranked():
    records = list(_records().values())
    records.append(constructed_record("other", {"auroc": [0.5] * 1000}, digest="cd" * 32))
    with pytest.raises(NotComparableError):
        rank_groups(records, "auroc")
