"""Paired comparisons: P(A better) and the difference interval over the same resamples; mismatches refused."""

import numpy as np
import pytest

from crbench.uncertainty import NotComparableError, compare_records
from crbench.uncertainty.paired import probability_better

from .records import constructed_record


def _noise(n=1000, seed=0):
    return np.random.default_rng(seed).normal(0, 0.02, size=n)


def test_a_clearly_better_detector_wins_every_resample():
    noise = _noise()
    a = constructed_record("a", {"auroc": (0.95 + noise).tolist(), "fdr": (0.10 + noise).tolist()})
    b = constructed_record("b", {"auroc": (0.90 + noise).tolist(), "fdr": (0.20 + noise).tolist()})
    rows = {row.metric: row for row in compare_records(a, b)}
    assert rows["auroc"].p_a_better == 1.0 and rows["auroc"].p_b_better == 0.0
    assert rows["auroc"].low == pytest.approx(0.05) and rows["auroc"].high == pytest.approx(0.05)
    # lower FDR is better: A's lower FDR wins too
    assert rows["fdr"].p_a_better == 1.0 and rows["fdr"].difference == pytest.approx(-0.1)
    assert rows["auroc"].n_resamples == 1000 and rows["auroc"].n_undefined == 0


def test_identical_detectors_are_a_coin_toss_with_a_zero_difference():
    replicates = {"auroc": (0.9 + _noise()).tolist()}
    rows = compare_records(constructed_record("a", replicates), constructed_record("b", replicates))
    assert (rows[0].p_a_better, rows[0].p_b_better) == (0.5, 0.5)
    assert (rows[0].difference, rows[0].low, rows[0].high) == (0.0, 0.0, 0.0)


def test_noisy_equal_detectors_are_not_separated():
    a = constructed_record("a", {"auroc": (0.9 + _noise(seed=1)).tolist()})
    b = constructed_record("b", {"auroc": (0.9 + _noise(seed=2)).tolist()})
    row = compare_records(a, b)[0]
    assert 0.2 < row.p_a_better < 0.8 and row.low < 0 < row.high


def test_undefined_replicates_count_for_neither_side():
    p_a, p_b, n_undefined = probability_better([1.0, None, 0.5, 0.2], [0.5, 0.5, 0.5, None], higher_is_better=True)
    assert (p_a, p_b, n_undefined) == (0.375, 0.125, 2)


def _set(path, value):
    def mutate(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return mutate


@pytest.mark.parametrize(("mutate", "message"), [
    (_set(("dataset", "manifest_hash"), "0" * 64), "image set"),
    (_set(("dataset", "version"), "99"), "data set"),
    (_set(("uncertainty", "weights_sha256"), "cd" * 32), "bootstrap resamples"),
    (_set(("protocol",), "xu2023"), "protocol"),
    (_set(("metric_spec_version",), "0"), "metric spec"),
    (_set(("dataset", "ignore_policy"), "negative"), "ignore policy"),
])
def test_mismatched_records_are_refused(mutate, message):
    replicates = {"auroc": (0.9 + _noise()).tolist()}
    a = constructed_record("a", replicates)
    b = constructed_record("b", replicates, mutate=mutate)
    with pytest.raises(NotComparableError, match=message):
        compare_records(a, b)


def test_a_record_without_replicates_is_refused():
    replicates = {"auroc": (0.9 + _noise()).tolist()}
    b = constructed_record("b", replicates, mutate=lambda data: data.pop("uncertainty"))
    with pytest.raises(NotComparableError, match="--bootstrap"):
        compare_records(constructed_record("a", replicates), b)


def test_equal_protocols_compare():
    replicates = {"auroc": (0.9 + _noise()).tolist()}
    a = constructed_record("a", replicates, mutate=_set(("protocol",), "crbench"))
    b = constructed_record("b", replicates, mutate=_set(("protocol",), "crbench"))
    assert compare_records(a, b)[0].p_a_better == 0.5
