"""The bootstrap is exact per resample: weighted per-image states = scoring the drawn images."""

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from crbench.scoring import (
    ImageSource,
    PixelProtocol,
    compute_metrics,
    score_images,
    score_stream,
    score_sweep_images,
    sweep_stream,
)
from crbench.uncertainty import (
    BootstrapMemoryError,
    SweepStates,
    ThresholdStates,
    bootstrap_metrics,
    draw_resamples,
    replicate_metrics,
)
from tests.scoring.reference import flattened

from .helpers import duplicated, make_score_images, make_sweep_images

PROTOCOLS = [
    {"truth_dilation": 1, "dilate_output": False, "ignore_policy": "exclude"},
    {"truth_dilation": 3, "dilate_output": True, "ignore_policy": "exclude"},
    {"truth_dilation": 3, "dilate_output": False, "ignore_policy": "negative"},
]
SWEEP_VALUES = (0.2, 0.4, 0.6, 0.8)


def _score_states(items, protocol, operating_point=0.5):
    states = ThresholdStates()
    sources = [ImageSource.in_memory(*item) for item in items]
    total = score_stream(sources, protocol=protocol, operating_point=operating_point, on_image=states.add)
    return states, total


def _sweep_states(items, protocol):
    states = SweepStates()
    sources = [ImageSource.in_memory(*item) for item in items]
    total = sweep_stream(sources, protocol=protocol, values=SWEEP_VALUES, on_image=states.add)
    return states, total


@pytest.mark.parametrize("options", PROTOCOLS)
def test_weights_all_one_give_the_point_estimate_bit_for_bit(options):
    protocol = PixelProtocol(**options)
    states, total = _score_states(make_score_images(seed=1), protocol)
    point = compute_metrics(total.curve(), operating_point=0.5)
    replicates = replicate_metrics(states, np.ones((2, len(states)), int), operating_point=0.5)
    for name, metric in point.items():
        assert replicates[name] == [metric["value"]] * 2, name

    sweep_states, sweep_total = _sweep_states(make_sweep_images(seed=1), protocol)
    point = compute_metrics(sweep_total.curve(), operating_point=0.4)
    replicates = replicate_metrics(sweep_states, np.ones((1, len(sweep_states)), int), operating_point=0.4)
    for name, metric in point.items():
        assert replicates[name] == [metric["value"]], name


def _metrics_of_curves(states, weights, operating_point):
    order = states.order()
    return [compute_metrics(curve, operating_point=operating_point) for curve in states.curves(weights, order)]


@pytest.mark.parametrize("options", PROTOCOLS)
def test_a_resample_equals_scoring_the_drawn_images_duplicated(options):
    protocol = PixelProtocol(**options)
    items = make_score_images(7, seed=2)
    states, _ = _score_states(items, protocol)
    resamples = draw_resamples(states.sample_ids, n_resamples=4, seed=11)
    got = _metrics_of_curves(states, resamples.weights, 0.5)
    for weights, metrics in zip(resamples.weights, got):
        assert weights.sum() == len(items) and np.any(weights != 1)
        expected = score_images(duplicated(items, weights, resamples.sample_ids), protocol=protocol,
                                operating_point=0.5).metrics
        assert metrics == expected  # values and thresholds, exactly


@pytest.mark.parametrize("options", PROTOCOLS)
def test_a_sweep_resample_equals_scoring_the_drawn_images_duplicated(options):
    protocol = PixelProtocol(**options)
    items = make_sweep_images(7, seed=3, values=SWEEP_VALUES)
    states, _ = _sweep_states(items, protocol)
    resamples = draw_resamples(states.sample_ids, n_resamples=4, seed=5)
    got = _metrics_of_curves(states, resamples.weights, 0.4)
    for weights, metrics in zip(resamples.weights, got):
        expected = score_sweep_images(duplicated(items, weights, resamples.sample_ids), values=SWEEP_VALUES,
                                      operating_point=0.4, protocol=protocol).metrics
        assert metrics == expected


def test_intervals_match_numpy_percentiles_of_sklearn_on_the_duplicated_pixels():
    options = {"truth_dilation": 3, "dilate_output": True, "ignore_policy": "exclude"}
    items = make_score_images(6, seed=4)
    states, _ = _score_states(items, PixelProtocol(**options))
    section = bootstrap_metrics(states, operating_point=0.5, n_resamples=40, seed=3)
    resamples = draw_resamples(states.sample_ids, n_resamples=40, seed=3)
    assert section["weights_sha256"] == resamples.digest
    brute = {"auroc": [], "average_precision": [], "recall": []}
    for weights in resamples.weights:
        labels, scores = flattened(duplicated(items, weights, resamples.sample_ids), **options)
        brute["auroc"].append(roc_auc_score(labels, scores))
        brute["average_precision"].append(average_precision_score(labels, scores))
        brute["recall"].append(np.count_nonzero(labels & (scores >= 0.5)) / np.count_nonzero(labels))
    for name, values in brute.items():
        interval = section["metrics"][name]
        np.testing.assert_allclose(interval["replicates"], values, rtol=0, atol=1e-12)
        low, high = np.percentile(values, [2.5, 97.5])
        assert interval["low"] == pytest.approx(low, abs=1e-12)
        assert interval["high"] == pytest.approx(high, abs=1e-12)
        assert interval["n_undefined"] == 0 and interval["low"] <= interval["high"]


def test_the_section_names_how_the_intervals_were_made():
    states, _ = _score_states(make_score_images(5, seed=6), PixelProtocol(truth_dilation=1))
    strata = {sample_id: ("a" if sample_id < "img-02" else "b") for sample_id in states.sample_ids}
    section = bootstrap_metrics(states, operating_point=0.5, n_resamples=30, seed=9, strata=strata,
                                strata_field="band", level=0.9)
    assert (section["method"], section["resampling_unit"], section["level"]) == ("percentile", "image", 0.9)
    assert (section["n_resamples"], section["seed"], section["strata"]) == (30, 9, "band")
    assert section["stratum_sizes"] == {"a": 2, "b": 3} and section["n_images"] == 5
    assert section["weights_sha256"] == draw_resamples(states.sample_ids, n_resamples=30, seed=9,
                                                       strata=strata).digest
    assert all(len(row["replicates"]) == 30 for row in section["metrics"].values())


def test_image_order_of_the_run_does_not_change_the_replicates():
    items = make_score_images(5, seed=7)
    protocol = PixelProtocol(truth_dilation=1)
    forward, _ = _score_states(items, protocol)
    backward, _ = _score_states(items[::-1], protocol)
    a = bootstrap_metrics(forward, operating_point=0.5, n_resamples=20)
    b = bootstrap_metrics(backward, operating_point=0.5, n_resamples=20)
    assert a["metrics"] == b["metrics"] and a["weights_sha256"] == b["weights_sha256"]
    other_seed = bootstrap_metrics(forward, operating_point=0.5, n_resamples=20, seed=1)
    assert other_seed["weights_sha256"] != a["weights_sha256"]
    assert other_seed["metrics"]["auroc"]["replicates"] != a["metrics"]["auroc"]["replicates"]


def test_memory_guard_names_the_switch():
    states = ThresholdStates(max_bytes=10)
    sources = [ImageSource.in_memory(*item) for item in make_score_images(2, seed=8)]
    with pytest.raises(BootstrapMemoryError, match="--bootstrap 0"):
        score_stream(sources, protocol=PixelProtocol(truth_dilation=1), operating_point=0.5, on_image=states.add)


def test_sparse_per_image_states_are_exact_too():
    # one large image with many distinct positive scores makes the grid much larger than the small
    # images, whose pass-2 states are then sparse (ThresholdCounts' sparse path)
    rng = np.random.default_rng(12)
    big_truth = rng.random((48, 48)) < 0.4
    items = [(big_truth, None, rng.random((48, 48)).astype(np.float32), "big")]
    for index in range(5):
        truth = np.zeros((5, 5), bool)
        truth[2, 2] = True
        items.append((truth, None, rng.random((5, 5)).astype(np.float32), f"small-{index}"))
    protocol = PixelProtocol(truth_dilation=1)
    states, total = _score_states(items, protocol)
    assert states.grid.n_cells > 16 * 25 and min(states.cells_per_image()) <= 25
    point = compute_metrics(total.curve(), operating_point=0.5)
    assert replicate_metrics(states, np.ones((1, 6), int), operating_point=0.5) == {
        name: [metric["value"]] for name, metric in point.items()}
    resamples = draw_resamples(states.sample_ids, n_resamples=3, seed=2)
    for weights, metrics in zip(resamples.weights, _metrics_of_curves(states, resamples.weights, 0.5)):
        drawn = duplicated(items, weights, resamples.sample_ids)
        if not any(item[0].any() for item in drawn):
            continue
        assert metrics == score_images(drawn, protocol=protocol, operating_point=0.5).metrics
