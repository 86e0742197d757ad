"""Percentile intervals: numpy's percentiles when defined; undefined replicates widen, never narrow."""

import numpy as np

from crbench.uncertainty import percentile_interval


def test_fully_defined_replicates_give_numpy_percentiles():
    values = np.random.default_rng(0).normal(size=999)
    low, high, n_undefined = percentile_interval(values.tolist(), level=0.95)
    assert (low, high) == tuple(np.percentile(values, [2.5, 97.5]))
    assert n_undefined == 0


def test_a_few_undefined_replicates_sit_beyond_both_ends():
    defined = np.arange(1, 999, dtype=float)  # 998 values
    replicates = [None] * 2 + defined.tolist()  # 1000 replicates, 0.2 % undefined
    low, high, n_undefined = percentile_interval(replicates, level=0.95)
    assert n_undefined == 2
    # lower bound: the undefined are the two lowest values, so the bound moves down vs dropping them
    assert low == np.percentile(np.r_[0.0, 0.0, defined], 2.5)
    assert high == np.percentile(np.r_[defined, 1e9, 1e9], 97.5)
    dropped_low, dropped_high = np.percentile(defined, [2.5, 97.5])
    assert low <= dropped_low and high >= dropped_high


def test_bounds_are_none_when_undefined_replicates_reach_the_tail():
    replicates = [None] * 30 + list(range(970))  # 3 % undefined > 2.5 %
    low, high, n_undefined = percentile_interval(replicates, level=0.95)
    assert (low, high, n_undefined) == (None, None, 30)
    low, high, _ = percentile_interval(replicates, level=0.9)  # 5 % tails hold them
    assert low is not None and high is not None
    assert percentile_interval([None, None], level=0.95) == (None, None, 2)
