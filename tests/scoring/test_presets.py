"""Protocol presets against the upstream evaluation code itself (deepCR's evaluate, Cosmic-CoNN's rules)."""

import dataclasses

import numpy as np
import pytest
from sklearn.metrics import precision_recall_curve, roc_curve

from crbench.errors import InputError
from crbench.scoring import ImageSource, PixelProtocol, ThresholdCounts, prepare_pixels, score_images
from crbench.scoring.footprints import cross_dilate
from crbench.scoring.preset_metrics import tpr_first_not_below_percent
from crbench.scoring.preset_scoring import score_preset
from crbench.scoring.presets import PRESETS, ProtocolPreset, get_preset


def make_images(*, seed, n_images=3, shape=(96, 112), levels=40, dtype=np.float32):
    """Seeded truth, ignore and quantised score maps (many tied scores, CR-like blobs)."""
    rng = np.random.default_rng(seed)
    items = []
    for index in range(n_images):
        truth = rng.random(shape) < 0.02
        truth |= np.roll(truth, 1, axis=1)
        ignore = rng.random(shape) < 0.03
        ignore[:3] = True
        scores = np.clip(np.where(truth, 0.7, 0.15) + rng.normal(0, 0.18, shape), 0, 1)
        scores = (np.round(scores * levels) / levels).astype(dtype)
        items.append((truth, ignore, scores, f"img{index}"))
    return items


def sources_of(items):
    return [ImageSource.in_memory(truth, ignore, scores, sample_id) for truth, ignore, scores, sample_id in items]


def preset_summary(items, name, *, dilates=True, card_truth_dilation=3):
    return score_preset(sources_of(items), preset=name, kind="score", card_truth_dilation=card_truth_dilation,
                        card_ignore_policy="exclude", detector_dilates=dilates, operating_point=0.5)


# ---------------------------------------------------------------- presets themselves
def test_presets_are_named_frozen_and_validated():
    assert list(PRESETS) == ["crbench", "xu2023", "zhang_bloom2020", "bhavanam2022"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        PRESETS["crbench"].tpr_rule = "interpolated"
    with pytest.raises(InputError, match="tpr_rule"):
        ProtocolPreset(name="x", citation="", tpr_rule="nearest")
    with pytest.raises(InputError, match="threshold_grid"):
        ProtocolPreset(name="x", citation="", tpr_rule="interpolated")
    with pytest.raises(InputError, match="did you mean 'xu2023'"):
        get_preset("xu2024")


def test_crbench_preset_builds_the_cards_protocol_unchanged():
    preset = get_preset("crbench")
    assert preset.pixel_protocol(card_truth_dilation=3, card_ignore_policy="exclude", detector_dilates=True) \
        == PixelProtocol(truth_dilation=3, dilate_output=True, ignore_policy="exclude")
    assert preset.select_images(["b", "a", "c"]) == ["b", "a", "c"]


def test_xu2023_subsample_is_seeded_30_percent_of_sorted_files():
    import random

    ids = [f"frame{index:03d}" for index in range(20)]
    chosen = get_preset("xu2023").select_images(reversed(ids))
    assert sorted(chosen) == sorted(random.Random(0).sample(ids, 6))
    # LCO ids "<file>#<frame>": whole 3-frame files are drawn, as upstream draws FITS files
    files = [f"seq{index:02d}" for index in range(10)]
    frames = [f"{name}#{frame}" for name in files for frame in range(3)]
    chosen = get_preset("xu2023").select_images(frames)
    assert chosen == [f"{name}#{frame}" for name in sorted(random.Random(0).sample(files, 3)) for frame in range(3)]


def test_bhavanam2022_gives_crbench_numbers():
    items = make_images(seed=5)
    ours = preset_summary(items, "bhavanam2022")["metrics"]
    reference = score_images(items, protocol=PixelProtocol(truth_dilation=3, dilate_output=True)).metrics
    assert ours == reference


# ---------------------------------------------------------------- pixel rules
def test_cross_dilation_equals_skimage_disk_1():
    skimage_morphology = pytest.importorskip("skimage.morphology")
    rng = np.random.default_rng(2)
    scores = rng.random((17, 23)).astype(np.float32)
    mask = rng.random((17, 23)) < 0.1
    disk = skimage_morphology.disk(1)
    assert np.array_equal(cross_dilate(scores), skimage_morphology.dilation(scores, disk))
    assert np.array_equal(cross_dilate(mask), skimage_morphology.dilation(mask, disk))


def test_zero_policy_scores_ignored_pixels_as_zero_before_output_dilation():
    truth = np.zeros((5, 5), bool)
    ignore = np.zeros((5, 5), bool)
    ignore[2, 2] = True
    scores = np.zeros((5, 5), np.float32)
    scores[2, 2] = 0.9  # only the ignored pixel is flagged
    protocol = PixelProtocol(truth_dilation=1, dilate_output=True, ignore_policy="zero", footprint="cross")
    pixels = prepare_pixels(truth, ignore, scores, protocol=protocol)
    assert pixels.scores.max() == 0  # zeroed before dilation: nothing spreads
    negative = prepare_pixels(truth, ignore, scores, protocol=PixelProtocol(truth_dilation=1, ignore_policy="negative"))
    assert negative.scores.max() == np.float32(0.9)  # the "negative" policy keeps the score


def test_counters_equal_the_reference_definition_under_upstream_rules():
    items = make_images(seed=3, n_images=1)
    truth, ignore, scores, _ = items[0]
    for protocol in (PixelProtocol(truth_dilation=3, dilate_output=True, ignore_policy="zero", footprint="cross"),
                     PixelProtocol(truth_dilation=1, dilate_output=True, ignore_policy="negative",
                                   footprint="cross"),
                     PixelProtocol(truth_dilation=1, dilate_output=False, ignore_policy="zero")):
        pixels = prepare_pixels(truth, ignore, scores, protocol=protocol)
        counts = score_images([(truth, ignore, scores, "a")], protocol=protocol).counts
        curve = counts.curve()
        assert curve.n_pos == int(pixels.labels.sum())
        assert curve.n_neg == int((~pixels.labels).sum())
        at = curve.counts_at(0.5)
        assert at["tp"] == int(np.count_nonzero(pixels.positive_scores >= 0.5))
        assert at["fp"] == int(np.count_nonzero(pixels.negative_scores >= 0.5))
        del counts


# ---------------------------------------------------------------- Xu et al. 2023 (Cosmic-CoNN)
def upstream_lco_pixels(items):
    """Cosmic-CoNN's LCO_evaluate_and_save_masks: prediction and reference times (1 - ignore), pooled."""
    predicted, labels = [], []
    for truth, ignore, scores, _ in items:
        keep = 1 - ignore.astype("float32")
        predicted.append((scores * keep).ravel())
        labels.append((truth * keep).ravel().astype("uint8"))
    return np.concatenate(predicted), np.concatenate(labels)


def test_xu2023_tpr_rule_equals_cosmic_conn_plot_roc_at_every_target():
    items = make_images(seed=11)
    predicted, labels = upstream_lco_pixels(items)
    fpr, tpr, _ = roc_curve(labels, predicted)  # drop_intermediate=True, as upstream calls it
    fpr, tpr = fpr * 100, tpr * 100
    protocol = get_preset("xu2023").pixel_protocol(card_truth_dilation=3, card_ignore_policy="exclude",
                                                   detector_dilates=True)
    curve = score_images([item for item in items], protocol=protocol).curve
    targets = np.unique(np.r_[fpr, (fpr[1:] + fpr[:-1]) / 2, 0.01, 0.1])
    for target in targets:
        expected = tpr[(fpr < target).sum()]
        value, _ = tpr_first_not_below_percent(curve, target)
        assert value * 100 == pytest.approx(expected, rel=1e-12, abs=1e-12), target


def test_xu2023_drops_collinear_points_like_sklearn():
    # one positive and one negative at each of 6 scores: sklearn drops the 4 inner points,
    # so "first point with FPR not below" jumps to the end of the straight run
    labels = np.tile([1, 0], 6).astype("uint8")
    predicted = np.repeat(np.linspace(0.9, 0.4, 6), 2).astype(np.float32)
    fpr, tpr, _ = roc_curve(labels, predicted)
    assert fpr.size == 3  # (0, 0), first point, last point
    truth = labels.reshape(1, -1).astype(bool)
    scores = predicted.reshape(1, -1)
    protocol = PixelProtocol(truth_dilation=1, ignore_policy="zero")
    curve = score_images([(truth, None, scores, "a")], protocol=protocol).curve
    for target in (1.0, 20.0, 50.0, 99.0):
        assert tpr_first_not_below_percent(curve, target)[0] * 100 == pytest.approx(
            tpr[(fpr * 100 < target).sum()] * 100)


def test_xu2023_purity_and_dice_equal_cosmic_conn_code():
    utils = pytest.importorskip("cosmic_conn.evaluation.utils")
    items = make_images(seed=13)
    predicted, labels = upstream_lco_pixels(items)
    precision, recall, _ = precision_recall_curve(labels, predicted)
    recall = recall * 100
    expected_purity = precision[np.sum(recall > 95) - 1]  # LCO_ROC_PR.plot_PR
    dice = np.mean([
        utils.calculate_dice_score(scores * (1 - ignore.astype("float32")),
                                   truth * (1 - ignore.astype("float32")), threshold=0.5)
        for truth, ignore, scores, _ in items
    ])
    metrics = preset_summary(items, "xu2023")["metrics"]
    assert metrics["purity_at_tpr_0.95"]["value"] == pytest.approx(expected_purity, rel=1e-12)
    assert metrics["f1"]["value"] == pytest.approx(dice, rel=1e-12)
    # and the TPR targets through the whole preset path
    fpr, tpr, _ = roc_curve(labels, predicted)
    assert metrics["tpr_at_fpr_1e-3"]["value"] == pytest.approx(tpr[(fpr * 100 < 0.1).sum()], rel=1e-12)


def test_xu2023_differs_from_crbench_where_the_rules_differ():
    items = make_images(seed=17)
    xu = preset_summary(items, "xu2023")["metrics"]
    crbench = score_images(items, protocol=PixelProtocol(truth_dilation=3, dilate_output=True)).metrics
    assert xu["tpr_at_fpr_1e-3"]["value"] != crbench["tpr_at_fpr_1e-3"]["value"]


# ---------------------------------------------------------------- Zhang & Bloom 2020 (deepCR)
class _ScoreMapModel:
    """A stand-in for a deepCR model: its 'image' is the score map itself."""

    def clean(self, image, inpaint=False, binary=False):
        assert not inpaint and not binary
        return image


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_zhang_bloom2020_equals_deepcr_evaluate_roc(dtype):
    evaluate = pytest.importorskip("deepCR.evaluate")
    items = make_images(seed=21, n_images=2, shape=(64, 80), levels=60, dtype=dtype)
    thresholds = np.linspace(0.001, 0.999, 500)
    if dtype == np.float64:
        # scores exactly on the grid exercise the strict ">"
        items[0][2][5, :10] = thresholds[100:110]
    images = np.stack([scores for _, _, scores, _ in items])
    masks = np.stack([truth for truth, _, _, _ in items]).astype(np.float32)
    ignores = np.stack([ignore for _, ignore, _, _ in items]).astype(np.float32)
    (tpr, fpr), (tpr_plus, fpr_plus) = evaluate.roc(_ScoreMapModel(), images, masks, ignore=ignores,
                                                    thresholds=thresholds, dilate=True, rad=1)
    preset = get_preset("zhang_bloom2020")
    args = dict(card_truth_dilation=3, card_ignore_policy="exclude", detector_dilates=False)
    from crbench.scoring import score_stream
    from crbench.scoring.preset_metrics import grid_rates

    grid = preset.grid_thresholds()
    for dilated, expected_tpr, expected_fpr in ((False, tpr, fpr), (True, tpr_plus, fpr_plus)):
        total = score_stream(sources_of(items), protocol=preset.pixel_protocol(**args, dilated=dilated),
                             operating_point=0.5, extra_thresholds=grid)
        curve = total.curve()
        tp, fp = grid_rates(curve, grid)
        np.testing.assert_allclose(tp / curve.n_pos * 100, expected_tpr, rtol=1e-12, atol=0)
        np.testing.assert_allclose(fp / curve.n_neg * 100, expected_fpr, rtol=1e-12, atol=0)
    metrics = preset_summary(items, "zhang_bloom2020", dilates=False)["metrics"]
    for name, percent in (("tpr_at_fpr_1e-4", 0.01), ("tpr_at_fpr_1e-3", 0.1)):
        expected = np.interp(percent, fpr[::-1], tpr_plus[::-1]) / 100  # dilated TPR vs undilated FPR
        assert metrics[name]["value"] == pytest.approx(expected, rel=1e-12)
    assert metrics["purity_at_tpr_0.95"]["value"] is None and metrics["f1"]["value"] is None


def test_states_on_a_preset_grid_still_sum():
    items = make_images(seed=4)
    preset = get_preset("zhang_bloom2020")
    protocol = preset.pixel_protocol(card_truth_dilation=1, card_ignore_policy="exclude", detector_dilates=True)
    total = score_images(items, protocol=protocol).counts
    assert isinstance(total, ThresholdCounts)


def test_mask_sweeps_get_the_presets_pixel_rules():
    rng = np.random.default_rng(8)
    truth = rng.random((30, 40)) < 0.05
    ignore = rng.random((30, 40)) < 0.1
    masks = rng.random((3, 30, 40)) < np.array([0.02, 0.1, 0.3])[:, None, None]
    summary = score_preset([ImageSource.in_memory(truth, ignore, masks, "a")], preset="zhang_bloom2020", kind="mask",
                           card_truth_dilation=3, card_ignore_policy="exclude", detector_dilates=False,
                           operating_point=2.0, sweep_values=[1.0, 2.0, 3.0])
    # deepCR's _roc_lacosmic order: mask * (1 - ignore), then the cross dilation; truth * (1 - ignore), undilated
    skimage_morphology = pytest.importorskip("skimage.morphology")
    label = truth & ~ignore
    expected_tp = [int(np.count_nonzero(skimage_morphology.dilation(mask & ~ignore, skimage_morphology.disk(1))
                                        & label)) for mask in masks]
    assert summary["curves"]["tp"] == expected_tp
    assert summary["curves"]["n_pos"] == int(label.sum()) and summary["curves"]["n_neg"] == truth.size - label.sum()
