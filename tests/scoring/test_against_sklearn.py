"""Property tests: crbench's streaming scorer equals scikit-learn on the same pixels."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score

from crbench.scoring import (
    Curve,
    PixelProtocol,
    PositiveScores,
    ThresholdCounts,
    compute_metrics,
    score_images,
)
from crbench.scoring import counts as counts_module
from crbench.scoring.pixels import KEY_ONE

from .reference import (
    brute_counts,
    canonical_polyline,
    flattened,
    sklearn_precision_at_tpr,
    sklearn_roc_counts,
    sklearn_tpr_at_fpr,
)

TIE_VALUES = np.array([0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0], dtype=np.float32)


def make_images(seed, n_images, max_side, score_kind, truth_fraction, ignore_fraction, dtype):
    """Seeded random images: (truth, ignore, scores, sample_id) tuples."""
    rng = np.random.default_rng(seed)
    items = []
    for index in range(n_images):
        shape = tuple(rng.integers(1, max_side + 1, size=2))
        truth = rng.random(shape) < truth_fraction
        ignore = rng.random(shape) < ignore_fraction if ignore_fraction else None
        if score_kind == "ties":
            scores = rng.choice(TIE_VALUES[: rng.integers(1, TIE_VALUES.size + 1)], size=shape)
        elif score_kind == "separated":  # cosmic rays score high, background low
            scores = np.where(truth, 0.6 + 0.4 * rng.random(shape), 0.05 * rng.random(shape))
            scores.ravel()[rng.integers(0, scores.size, 2)] = rng.random(2)
        elif score_kind == "informative":
            scores = np.clip(rng.normal(0.3, 0.2, shape) + 0.4 * truth, 0, 1)
        else:
            scores = rng.random(shape)
        items.append((truth, ignore, scores.astype(dtype), f"img-{index}"))
    return items


scenarios = st.fixed_dictionaries(
    {
        "seed": st.integers(0, 2**32 - 1),
        "n_images": st.integers(1, 3),
        "max_side": st.sampled_from([1, 3, 12, 20]),
        "score_kind": st.sampled_from(["ties", "uniform", "informative", "separated"]),
        "truth_fraction": st.sampled_from([0.0, 0.002, 0.02, 0.1, 0.5, 1.0]),
        "ignore_fraction": st.sampled_from([0.0, 0.05, 0.3]),
        "dtype": st.sampled_from([np.float32, np.float64]),
    }
)
options_strategy = st.fixed_dictionaries(
    {
        "truth_dilation": st.sampled_from([1, 3]),
        "dilate_output": st.booleans(),
        "ignore_policy": st.sampled_from(["exclude", "negative"]),
    }
)
# 0 forces the block-wise lookup of every pixel, inf the lower-tail shortcut
lookup_paths = st.sampled_from([0.0, 0.25, float("inf")])
# 0: dense per-image states; inf: sparse ones
sparse_factors = st.sampled_from([0, 16, float("inf")])
# database=None: tests must not write outside temporary directories
SETTINGS = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def crbench_counts(items, options, operating_point=0.5):
    positives = PositiveScores.sum(
        PositiveScores.from_image(t, i, s, sample_id=sid, protocol=PixelProtocol(**options)) for t, i, s, sid in items
    )
    grid = positives.grid(extra_thresholds=(operating_point,))
    states = [ThresholdCounts.from_image(t, i, s, grid=grid, sample_id=sid, protocol=PixelProtocol(**options)) for t, i, s, sid in items]
    return states, sum(states)


@SETTINGS
@given(scenario=scenarios, options=options_strategy, lookup_path=lookup_paths, sparse_factor=sparse_factors,
       max_parts=st.sampled_from([1, 64]))
def test_curve_and_metrics_equal_sklearn(scenario, options, lookup_path, sparse_factor, max_parts):
    saved = counts_module.LOWER_TAIL_MAX_FRACTION, counts_module.SPARSE_FACTOR, ThresholdCounts.MAX_PARTS
    counts_module.LOWER_TAIL_MAX_FRACTION = lookup_path
    counts_module.SPARSE_FACTOR = sparse_factor
    ThresholdCounts.MAX_PARTS = max_parts
    try:
        check_against_sklearn(scenario, options)
    finally:
        counts_module.LOWER_TAIL_MAX_FRACTION, counts_module.SPARSE_FACTOR, ThresholdCounts.MAX_PARTS = saved


def check_against_sklearn(scenario, options):
    items = make_images(**scenario)
    labels, scores = flattened(items, **options)
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    _, total = crbench_counts(items, options)
    curve = total.curve()
    assert (curve.n_pos, curve.n_neg) == (n_pos, n_neg)

    # every curve point is a real threshold with exactly the brute-force counts
    for threshold, tp, fp in zip(curve.thresholds, curve.tp, curve.fp):
        assert (tp, fp) == brute_counts(labels, scores, threshold)
    assert total.counts_at(0.5) == dict(
        zip(("tp", "fp"), brute_counts(labels, scores, 0.5)),
        fn=n_pos - brute_counts(labels, scores, 0.5)[0],
        tn=n_neg - brute_counts(labels, scores, 0.5)[1],
    )

    if n_pos == 0:
        assert curve.auroc() is None and curve.average_precision() is None
        assert curve.tpr_at_fpr(1e-3) == (None, None) and curve.precision_at_tpr(0.95) == (None, None)
        return
    assert curve.average_precision() == pytest.approx(average_precision_score(labels, scores), abs=1e-12)
    for target in (0.5, 0.95, 1.0):
        assert curve.precision_at_tpr(target) == sklearn_precision_at_tpr(labels, scores, target)

    # PR points: sklearn's precision_recall_curve at the positive-score thresholds
    precision, recall, thresholds = precision_recall_curve(labels, scores)
    ours_p, ours_r, ours_t = curve.pr_points()
    positive_values = np.unique(scores[labels])
    assert np.array_equal(np.sort(ours_t), positive_values)
    lookup = {float(t): (p, r) for p, r, t in zip(precision[:-1], recall[:-1], thresholds)}
    for p, r, t in zip(ours_p, ours_r, ours_t):
        assert (p, r) == pytest.approx(lookup[float(t)], abs=1e-12)

    if n_neg == 0:
        assert curve.auroc() is None and curve.tpr_at_fpr(1e-3) == (None, None)
        return
    assert curve.auroc() == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    for target in (1e-4, 1e-3, 0.01, 0.1, 0.5):
        assert curve.tpr_at_fpr(target) == sklearn_tpr_at_fpr(labels, scores, target)

    # ROC: the same polyline as sklearn's, and identical points at every positive score
    fps, tps, sk_thresholds = sklearn_roc_counts(labels, scores)
    fpr, tpr, thr = curve.roc_points()
    ours = canonical_polyline(np.rint(fpr * n_neg).astype(np.int64), np.rint(tpr * n_pos).astype(np.int64))
    assert ours == canonical_polyline(fps, tps)
    sk_at = {float(t): (f, p) for f, p, t in zip(fps, tps, sk_thresholds)}
    for t, tp, fp in zip(curve.thresholds, curve.tp, curve.fp):
        if float(t) in positive_values:
            assert sk_at[float(t)] == (fp, tp)


@SETTINGS
@given(scenario=scenarios, options=options_strategy, sparse_factor=sparse_factors)
def test_merging_images_equals_one_concatenated_state(scenario, options, sparse_factor):
    saved = counts_module.SPARSE_FACTOR
    counts_module.SPARSE_FACTOR = sparse_factor
    try:
        check_merging(scenario, options)
    finally:
        counts_module.SPARSE_FACTOR = saved


def check_merging(scenario, options):
    items = make_images(**scenario)
    states, total = crbench_counts(items, options)
    # summation order does not matter and per-image counts add up
    reversed_total = sum(reversed(states))
    assert reversed_total == total
    in_place = ThresholdCounts(total.grid, *(np.zeros_like(v) for v in (total.n_pos_equal, total.n_neg_equal,
                                                                          total.n_neg_between)))
    for state in states:
        in_place += state
    assert in_place == total and len(in_place.images) == len(states)
    # pass-1 states merged one by one equal one merge of all
    options_items = [PositiveScores.from_image(t, i, s, sample_id=sid, protocol=PixelProtocol(**options)) for t, i, s, sid in items]
    one_by_one = PositiveScores.empty()
    for positives in options_items:
        one_by_one = one_by_one.merge(positives)
    assert one_by_one == PositiveScores.sum(options_items)
    assert one_by_one.n_pos == total.n_pos
    assert sum(image.n_pos for image in total.images) == total.n_pos
    assert sum(image.n_neg for image in total.images) == total.n_neg
    for threshold in total.grid.operating_thresholds:
        summed = {key: sum(image.at_threshold[threshold][key] for image in total.images) for key in "tp fp fn tn".split()}
        assert summed == total.counts_at(threshold)
    # JSON round trip keeps every count and float exactly
    restored = ThresholdCounts.from_dict(json.loads(json.dumps(total.to_dict())))
    assert restored == total
    assert [image.to_dict() for image in restored.images] == [image.to_dict() for image in total.images]
    curve = Curve.from_dict(json.loads(json.dumps(total.curve().to_dict())))
    assert compute_metrics(curve, operating_point=0.5) == compute_metrics(total.curve(), operating_point=0.5)


def test_all_negative_images_give_none_not_nan():
    truth = np.zeros((8, 8), bool)
    scores = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)
    metrics = score_images([(truth, None, scores, "empty")]).metrics
    for name in ("tpr_at_fpr_1e-4", "tpr_at_fpr_1e-3", "purity_at_tpr_0.95", "recall", "auroc", "average_precision"):
        assert metrics[name]["value"] is None, name
    assert metrics["precision"]["value"] == 0.0  # 32 pixels flagged, none true
    assert metrics["fdr"]["value"] == 1.0
    assert metrics["f1"]["value"] == 0.0
    json.dumps(metrics, allow_nan=False)


def test_nothing_flagged_and_nothing_true_gives_undefined_operating_metrics():
    truth = np.zeros((4, 4), bool)
    metrics = score_images([(truth, None, np.zeros((4, 4), np.float32), "zero")]).metrics
    for name in ("f1", "iou", "fdr", "precision", "recall"):
        assert metrics[name]["value"] is None, name


def test_all_positive_image():
    truth = np.ones((5, 5), bool)
    scores = np.random.default_rng(3).random((5, 5)).astype(np.float32)
    metrics = score_images([(truth, None, scores, "full")], protocol=PixelProtocol(truth_dilation=1)).metrics
    assert metrics["auroc"]["value"] is None and metrics["tpr_at_fpr_1e-3"]["value"] is None
    assert metrics["average_precision"]["value"] == 1.0
    assert metrics["purity_at_tpr_0.95"]["value"] == 1.0


def test_single_pixel_images():
    items = [
        (np.ones((1, 1), bool), None, np.full((1, 1), 0.7, np.float32), "pos"),
        (np.zeros((1, 1), bool), None, np.full((1, 1), 0.7, np.float32), "neg"),
    ]
    result = score_images(items, protocol=PixelProtocol(truth_dilation=1))
    assert result.metrics["auroc"]["value"] == 0.5  # one tie
    assert result.metrics["precision"]["value"] == 0.5
    assert result.metrics["tpr_at_fpr_1e-3"] == {"value": 0.0, "threshold": None, "higher_is_better": True}


def test_operating_threshold_not_representable_in_float32():
    # float32(0.1) > 0.1 and float32(0.43) < 0.43: comparisons must use the real values
    values = np.array([np.float32(0.1), np.nextafter(np.float32(0.1), np.float32(0)), np.float32(0.43),
                       np.nextafter(np.float32(0.43), np.float32(1))], dtype=np.float32)
    scores = np.tile(values, 4).reshape(4, 4)
    truth = np.zeros((4, 4), bool)
    truth[0, 0] = truth[3, 3] = True
    labels, flat = truth.ravel(), scores.ravel().astype(np.float64)
    for threshold in (0.1, 0.43):
        result = score_images([(truth, None, scores, "x")], protocol=PixelProtocol(truth_dilation=1),
                              operating_point=threshold)
        tp, fp = brute_counts(labels, flat, threshold)
        assert result.counts.counts_at(threshold)["tp"] == tp
        assert result.counts.counts_at(threshold)["fp"] == fp


def reference_count_vectors(labels, scores, grid_values):
    """n_pos_equal, n_neg_equal, n_neg_between by sorting the flattened pixels."""
    positives, negatives = np.sort(scores[labels]), np.sort(scores[~labels])
    pos_equal = np.searchsorted(positives, grid_values, "right") - np.searchsorted(positives, grid_values, "left")
    below = np.searchsorted(negatives, grid_values, "left")
    neg_equal = np.searchsorted(negatives, grid_values, "right") - below
    neg_between = np.diff(np.r_[0, below, negatives.size]) - np.r_[0, neg_equal]
    return pos_equal, neg_equal, neg_between


def test_count_vectors_on_a_larger_map_equal_sorting_the_pixels():
    rng = np.random.default_rng(11)
    shape = (300, 517)
    truth = rng.random(shape) < 0.003
    ignore = rng.random(shape) < 0.01
    # near-zero background with many values that share lookup-table buckets with positive scores
    scores = np.clip(10 ** rng.normal(-3, 0.8, shape), 0, 1).astype(np.float32)
    scores[truth] = rng.beta(5, 1, truth.sum()).astype(np.float32)
    scores.ravel()[rng.integers(0, scores.size, 2000)] = np.float32(0.5)
    positives = scores.ravel()[rng.integers(0, scores.size, 200)]
    scores.ravel()[rng.integers(0, scores.size, 2000)] = np.nextafter(rng.choice(positives, 2000), np.float32(1))
    for options in (
        {"dilate_output": True, "ignore_policy": "exclude"},
        {"dilate_output": False, "ignore_policy": "negative"},
        {"dilate_output": False, "ignore_policy": "exclude"},
    ):
        for dtype in (np.float32, np.float64):
            # float64 scores with a tiny offset are not float32 numbers: binary-search path
            values = scores if dtype == np.float32 else scores.astype(np.float64) * (1 - 1e-12)
            result = score_images([(truth, ignore, values, "a")], protocol=PixelProtocol(**options))
            labels, flat = flattened([(truth, ignore, values, "a")], truth_dilation=3, **options)
            expected = reference_count_vectors(labels, flat, result.counts.grid.values)
            assert np.array_equal(result.counts.n_pos_equal, expected[0])
            assert np.array_equal(result.counts.n_neg_equal, expected[1])
            assert np.array_equal(result.counts.n_neg_between, expected[2])
            assert result.metrics["auroc"]["value"] == pytest.approx(roc_auc_score(labels, flat), abs=1e-12)


def test_small_blocks_give_the_same_counts(monkeypatch):
    rng = np.random.default_rng(5)
    truth = rng.random((40, 33)) < 0.05
    scores = rng.choice(TIE_VALUES, size=(40, 33)).astype(np.float32)
    expected = score_images([(truth, None, scores, "a")], protocol=PixelProtocol(dilate_output=True)).counts
    monkeypatch.setattr(counts_module, "LOWER_TAIL_MAX_FRACTION", 0.0)
    monkeypatch.setattr(counts_module, "BLOCK_PIXELS", 1)
    monkeypatch.setattr(counts_module, "CELLS_PER_BLOCK_FACTOR", 0)
    assert score_images([(truth, None, scores, "a")], protocol=PixelProtocol(dilate_output=True)).counts == expected


def test_mixed_dtypes_across_images():
    items = make_images(8, 3, 15, "informative", 0.1, 0.05, np.float32)
    items[1] = items[1][:2] + (items[1][2].astype(np.float64),) + items[1][3:]
    labels, scores = flattened(items, truth_dilation=3)
    result = score_images(items)
    assert result.metrics["auroc"]["value"] == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)


def test_grid_without_an_image_is_rejected():
    truth = np.ones((2, 2), bool)
    grid = PositiveScores.from_image(truth, None, np.full((2, 2), 0.3, np.float32)).grid()
    with pytest.raises(Exception, match="not on the threshold grid"):
        ThresholdCounts.from_image(truth, None, np.full((2, 2), 0.4, np.float32), grid=grid, sample_id="late")


@pytest.mark.parametrize(
    "buckets_per_cut, max_scan, max_table",
    [(4, 4, 1 << 22), (1, 1, 1 << 22), (64, 2, 1 << 22), (4, 4, 1 << 10)],
    ids=["default", "coarse", "fine", "capped"],
)
def test_float32_lookup_table_equals_binary_search(monkeypatch, buckets_per_cut, max_scan, max_table):
    from crbench.scoring.grid import ThresholdGrid, _Float32Binner

    monkeypatch.setattr(_Float32Binner, "BUCKETS_PER_CUT", buckets_per_cut)
    monkeypatch.setattr(_Float32Binner, "MAX_SCAN", max_scan)
    monkeypatch.setattr(_Float32Binner, "MAX_TABLE", max_table)
    rng = np.random.default_rng(21)
    special = np.array([0.0, 1.0, 0.5, 0.1, 0.43, float(np.nextafter(np.float32(0.25), np.float32(1)))])
    crowded = 0.3 + np.arange(50) * 2.0**-24  # 50 consecutive float32 values
    grid = ThresholdGrid(np.r_[special, crowded, rng.random(300), 10 ** rng.uniform(-8, 0, 300)])
    binner, reference = grid.binner(np.float32), grid.binner(np.float64)
    keys = np.r_[
        rng.integers(0, KEY_ONE + 1, 200_000, dtype=np.uint32),
        rng.integers(*np.float32([0.29, 0.31]).view(np.uint32), 20_000, dtype=np.uint32),
        np.float32(grid.values).view(np.uint32),
        np.float32(grid.values).view(np.uint32) + 1,
        np.float32(grid.values).view(np.uint32) - 1,
    ]
    keys = np.clip(keys, 0, KEY_ONE).astype(np.uint32)
    assert np.array_equal(binner.cells(keys), reference.cells(keys.view(np.float32).astype(np.float64)))


def test_per_image_counts_match_each_image():
    items = make_images(3, 3, 20, "informative", 0.1, 0.05, np.float32)
    options = {"truth_dilation": 3, "dilate_output": True, "ignore_policy": "exclude"}
    _, total = crbench_counts(items, options)
    for image, item in zip(total.images, items):
        labels, scores = flattened([item], **options)
        tp, fp = brute_counts(labels, scores, 0.5)
        assert image.sample_id == item[3]
        assert (image.n_pos, image.n_neg) == (int(labels.sum()), int((~labels).sum()))
        assert image.at_threshold[0.5] == {"tp": tp, "fp": fp, "fn": int(labels.sum()) - tp,
                                           "tn": int((~labels).sum()) - fp}


def test_empty_grid_counts_every_pixel_as_negative():
    truth = np.zeros((3, 4), bool)
    grid = PositiveScores.empty().grid(extra_thresholds=())
    for dtype in (np.float32, np.float64):
        state = ThresholdCounts.from_image(truth, None, np.full((3, 4), 0.2, dtype), grid=grid)
        curve = state.curve()
        assert (curve.n_pos, curve.n_neg) == (0, 12)
        assert curve.auroc() is None and curve.tp.tolist() == [0, 0] and curve.fp.tolist() == [0, 12]
