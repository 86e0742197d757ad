"""Resample weights: seeded, order-free, stratified, digested."""

import numpy as np
import pytest

from crbench.errors import InputError
from crbench.uncertainty import draw_resamples, weights_digest


def _ids():
    sizes = {"g": 3, "r": 5, "z": 8}
    return [f"test-{band}-{index:05d}" for band, size in sizes.items() for index in range(size)]


def test_same_seed_same_weights_different_seed_different():
    a = draw_resamples(_ids(), n_resamples=50, seed=0)
    b = draw_resamples(list(reversed(_ids())), n_resamples=50, seed=0)
    c = draw_resamples(_ids(), n_resamples=50, seed=1)
    assert np.array_equal(a.weights, b.weights) and a.digest == b.digest
    assert not np.array_equal(a.weights, c.weights) and a.digest != c.digest
    assert a.sample_ids == tuple(sorted(_ids()))


def test_every_resample_draws_as_many_images_as_there_are():
    resamples = draw_resamples(_ids(), n_resamples=200, seed=3)
    assert resamples.weights.shape == (200, 16)
    assert np.all(resamples.weights.sum(axis=1) == 16) and resamples.weights.min() >= 0
    # uniform draws: every image is drawn about once per resample on average
    assert np.allclose(resamples.weights.mean(axis=0), 1.0, atol=0.25)


def test_stratified_resamples_keep_every_stratum_count():
    ids = _ids()
    strata = {sample_id: sample_id.split("-")[1] for sample_id in ids}
    resamples = draw_resamples(ids, n_resamples=300, seed=4, strata=strata)
    labels = np.array(resamples.strata)
    for band, size in {"g": 3, "r": 5, "z": 8}.items():
        assert np.all(resamples.weights[:, labels == band].sum(axis=1) == size)
    assert resamples.stratum_sizes() == {"g": 3, "r": 5, "z": 8}
    # an unstratified draw does not keep them
    plain = draw_resamples(ids, n_resamples=300, seed=4)
    assert np.any(plain.weights[:, labels == "g"].sum(axis=1) != 3)
    assert plain.digest != resamples.digest


def test_digest_covers_ids_and_weights():
    weights = np.ones((2, 3), np.int32)
    assert weights_digest(["a", "b", "c"], weights) != weights_digest(["a", "b", "d"], weights)
    other = weights.copy()
    other[0, 0] = 2
    assert weights_digest(["a", "b", "c"], weights) != weights_digest(["a", "b", "c"], other)


def test_bad_input_is_refused():
    with pytest.raises(InputError, match="distinct"):
        draw_resamples(["a", "a"], n_resamples=2)
    with pytest.raises(InputError, match="at least 1"):
        draw_resamples(["a"], n_resamples=0)
    with pytest.raises(InputError, match="no bootstrap stratum"):
        draw_resamples(["a", "b"], n_resamples=2, strata={"a": "x"})
