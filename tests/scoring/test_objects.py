"""Object-level counts on hand-built images where every number is known."""

import numpy as np
import pytest
from scipy import ndimage

from crbench.errors import InputError
from crbench.scoring import PixelProtocol, dilate_scores
from crbench.scoring.objects import (
    ObjectExtras,
    ObjectOptions,
    object_counts,
    object_metrics,
    operating_mask,
    sum_object_counts,
)

SHAPE = (64, 64)
STAR = (30, 38)  # (y, x) of the one source, 5 px right of object B's last pixel
FWHM = 2.5  # object B is 5 / 2.5 = 2 FWHM from the star: the "2-4" bin (lower edges are inclusive)
SIGMA = 10.0  # sky noise sigma, image units
KINDS = ("muon", "worm", "spot")


def _gaussian(y0, x0, amplitude, sigma_px=1.2):
    y, x = np.mgrid[: SHAPE[0], : SHAPE[1]]
    return amplitude * np.exp(-((y - y0) ** 2 + (x - x0) ** 2) / (2 * sigma_px**2))


def make_scene():
    """Three CR objects, a false-positive blob, an ignored region and one star.

    - A: row 10, columns 10-19 (10 px, a muon track, 5000 e-), fully flagged.
    - B: row 30, columns 30-33 (4 px, a worm, 800 e-), columns 30-31 flagged: half.
    - C: pixel (50, 50) (a spot, 2e5 e-), inside the ignored box rows/columns 48-52.
    - an FP blob rows 4-5, columns 50-51 on a second, faint source (below the 5-sigma peak level);
    - a flagged pixel (48, 52) wholly inside the ignored box, not next to C (dropped under "exclude").
    """
    truth = np.zeros(SHAPE, bool)
    truth[10, 10:20] = True
    truth[30, 30:34] = True
    truth[50, 50] = True
    ignore = np.zeros(SHAPE, bool)
    ignore[48:53, 48:53] = True
    flagged = np.zeros(SHAPE, bool)
    flagged[10, 10:20] = True
    flagged[30, 30:32] = True
    flagged[4:6, 50:52] = True
    flagged[48, 52] = True
    source = _gaussian(*STAR, 1000.0) + _gaussian(4.5, 50.5, 20.0)
    table = {
        "n_pixels": np.array([10, 4, 1]),
        "length": np.array([10.0, 4.0, 1.0]),
        "charge": np.array([5000.0, 800.0, 2e5]),
        "kind": np.array([0, 1, 2], dtype=np.int8),
    }
    extras = ObjectExtras(objects=table, event_kinds=KINDS, source_model=source, psf_fwhm_px=FWHM,
                          noise_sigma=SIGMA, image_to_electrons=4.0)
    return truth, ignore, flagged, extras


def test_every_count_of_the_hand_built_scene():
    truth, ignore, flagged, extras = make_scene()
    counts = object_counts(truth, ignore, flagged, extras=extras)
    assert counts["n_objects"] == 2  # C is wholly ignored
    assert counts["n_objects_ignored"] == 1
    assert counts["n_found"] == 2  # B: 2 of 4 pixels = 0.5 >= 0.5
    assert counts["n_found_any"] == 2
    assert counts["n_fp_objects"] == 1  # the blob; the ignored pixel (48, 52) is dropped
    assert counts["n_flagged_pixels"] == 10 + 2 + 4 + 1
    assert counts["n_scored_pixels"] == 64 * 64 - 25
    # pixel false positives: flagged, outside the 3x3-dilated truth, not ignored: the blob only
    assert counts["n_fp_pixels"] == 4
    assert counts["kind:muon:n"] == 1 and counts["kind:muon:found"] == 1
    assert counts["kind:worm:n"] == 1 and counts["kind:worm:found"] == 1
    assert counts["kind:spot:n"] == 0  # ignored objects are in no stratum
    assert counts["length:10-20:n"] == 1 and counts["length:3-5:n"] == 1
    assert counts["charge:3000-10000:n"] == 1 and counts["charge:0-1000:n"] == 1
    assert counts["charge:>=100000:n"] == 0
    # one source peak: the faint one peaks at 20 / 10 = 2 sigma < 5
    assert counts["n_source_peaks"] == 1
    assert counts["star_distance:2-4:n"] == 1  # B: 5 px = 2 FWHM
    assert counts["star_distance:>=4:n"] == 1  # A: hypot(20, 19) px
    assert counts["star_distance:0-1:n"] == counts["star_distance:1-2:n"] == 0
    assert sum(value for key, value in counts.items() if key.startswith("star_peak:") and key.endswith(":n")) == 0
    source = extras.source_model
    fp_flux = source[4:6, 50:52].sum()
    assert counts["fp_source_flux"] == pytest.approx(fp_flux, rel=1e-12)
    assert counts["source_flux"] == pytest.approx(source[~ignore].sum(), rel=1e-12)
    assert counts["fp_source_flux_e"] == pytest.approx(4.0 * fp_flux, rel=1e-12)
    # the star is far (in sigmas of its Gaussian) from both objects: both lie on less than 3 sky sigmas
    assert counts["source_level:0-3:n"] == 2

    metrics = object_metrics(counts)
    assert metrics["object_recall"] == 1.0 and metrics["n_objects"] == 2
    assert metrics["fp_objects_per_megapixel"] == pytest.approx(1e6 / (64 * 64 - 25))
    assert metrics["recall_near_star"] is None or metrics["n_objects_near_star"] == 0
    assert metrics["masked_source_flux_fraction"] == pytest.approx(fp_flux / source[~ignore].sum())
    assert metrics["strata"]["kind"]["worm"] == {"n_objects": 1, "recall": 1.0, "recall_any": 1.0}
    assert metrics["strata"]["kind"]["spot"]["recall"] is None


def test_a_star_within_two_fwhm_counts_in_the_near_star_strata():
    truth, ignore, flagged, extras = make_scene()
    near = ObjectExtras(objects=extras.objects, event_kinds=KINDS, source_model=extras.source_model,
                        psf_fwhm_px=4.0, noise_sigma=SIGMA)  # B is now 5 / 4 = 1.25 FWHM away
    counts = object_counts(truth, ignore, flagged, extras=near)
    assert counts["star_distance:1-2:n"] == 1
    # the star peaks at 1000 / 10 = 100 sigma: the "100-1000" bin, lower edge inclusive
    assert counts["star_peak:100-1000:n"] == 1 and counts["star_peak:100-1000:found"] == 1
    metrics = object_metrics(counts)
    assert metrics["recall_near_star"] == 1.0 and metrics["n_objects_near_star"] == 1


def test_source_level_is_the_brightest_source_pixel_under_the_object():
    truth, ignore, flagged, extras = make_scene()
    truth[STAR] = True  # a one-pixel CR on the star's peak: 1000 / 10 = 100 sky sigmas
    table = {key: np.insert(value, 2, value[1]) for key, value in extras.objects.items()}
    table["n_pixels"][2] = 1  # raster order: A, B, the new object, C
    on_star = ObjectExtras(objects=table, event_kinds=KINDS, source_model=extras.source_model,
                           psf_fwhm_px=FWHM, noise_sigma=SIGMA)
    counts = object_counts(truth, ignore, flagged, extras=on_star)
    assert counts["source_level:80-160:n"] == 1 and counts["source_level:80-160:found"] == 0
    assert counts["star_distance:0-1:n"] == 1 and counts["star_peak:100-1000:n"] == 1


def test_negative_ignore_policy_scores_ignored_pixels():
    truth, ignore, flagged, extras = make_scene()
    counts = object_counts(truth, ignore, flagged, extras=extras, excludes_ignored=False)
    assert counts["n_fp_objects"] == 2  # the pixel (48, 52) in the ignored box is scored now
    assert counts["n_scored_pixels"] == 64 * 64
    assert counts["n_objects"] == 2  # truth objects still count only their non-ignored pixels


@pytest.mark.parametrize(("fraction", "found"), [(0.3, True), (0.30000001, False), (0.2, True)])
def test_found_fraction_is_inclusive_at_the_boundary(fraction, found):
    truth = np.zeros((12, 12), bool)
    truth[5, 1:11] = True  # 10 pixels
    flagged = np.zeros_like(truth)
    flagged[5, 1:4] = True  # 3 of 10
    counts = object_counts(truth, None, flagged, options=ObjectOptions(found_fraction=fraction))
    assert counts["n_found"] == int(found)
    assert counts["n_found_any"] == 1


def test_found_fraction_counts_only_non_ignored_pixels():
    truth = np.zeros((12, 12), bool)
    truth[5, 1:11] = True
    ignore = np.zeros_like(truth)
    ignore[5, 5:9] = True  # 6 pixels left
    flagged = np.zeros_like(truth)
    flagged[5, 1:4] = True  # 3 of 6 = 0.5
    flagged[5, 5:9] = True  # flagged but ignored: does not help
    assert object_counts(truth, ignore, flagged)["n_found"] == 1
    flagged[5, 3] = False  # 2 of 6
    assert object_counts(truth, ignore, flagged)["n_found"] == 0


def _independent_counts(truth, ignore, flagged, *, fraction, excludes_ignored):
    """Object recall and FP objects with plain per-component loops (the definitions, read literally)."""
    eight = np.ones((3, 3), bool)
    labels, n = ndimage.label(truth, structure=eight)
    n_objects = n_found = 0
    for index in range(1, n + 1):
        pixels = (labels == index) & ~ignore
        if pixels.sum() == 0:
            continue
        n_objects += 1
        n_found += (flagged & pixels).sum() / pixels.sum() >= fraction
    near_truth = ndimage.binary_dilation(truth, structure=eight)
    components, m = ndimage.label(flagged, structure=eight)
    n_fp = 0
    for index in range(1, m + 1):
        blob = components == index
        if near_truth[blob].any():
            continue
        if excludes_ignored and ignore[blob].all():
            continue
        n_fp += 1
    return n_objects, int(n_found), n_fp


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("excludes_ignored", [True, False])
def test_counts_agree_with_an_independent_scipy_computation(seed, excludes_ignored):
    rng = np.random.default_rng(seed)
    shape = (80, 90)
    truth = ndimage.binary_dilation(rng.random(shape) < 0.004, structure=np.ones((1, 4), bool))
    flagged = (rng.random(shape) < 0.01) | (truth & (rng.random(shape) < 0.6))
    ignore = np.zeros(shape, bool)
    ignore[rng.integers(0, 70):][:12, :] = True
    ignore[:, :3] = True
    counts = object_counts(truth, ignore, flagged, excludes_ignored=excludes_ignored,
                           options=ObjectOptions(found_fraction=0.6))
    n_objects, n_found, n_fp = _independent_counts(truth, ignore, flagged, fraction=0.6,
                                                   excludes_ignored=excludes_ignored)
    assert (counts["n_objects"], counts["n_found"], counts["n_fp_objects"]) == (n_objects, n_found, n_fp)
    assert n_fp > 10 and n_objects > 10  # the draw exercises both definitions


def test_counts_of_two_images_add_up_to_the_images_stacked():
    truth, ignore, flagged, extras = make_scene()
    other_flagged = flagged.copy()
    other_flagged[10, 10:20] = False  # A missed in the second image
    stacked_table = {key: np.concatenate([value, value]) for key, value in extras.objects.items()}
    stacked = ObjectExtras(objects=stacked_table, event_kinds=KINDS,
                           source_model=np.vstack([extras.source_model, extras.source_model]),
                           psf_fwhm_px=FWHM, noise_sigma=SIGMA, image_to_electrons=4.0)
    whole = object_counts(np.vstack([truth, truth]), np.vstack([ignore, ignore]),
                          np.vstack([flagged, other_flagged]), extras=stacked)
    parts = sum_object_counts([object_counts(truth, ignore, flagged, extras=extras),
                               object_counts(truth, ignore, other_flagged, extras=extras)])
    assert sorted(whole) == sorted(parts)
    for key, value in whole.items():
        assert parts[key] == pytest.approx(value, rel=1e-12), key
    assert whole["n_found"] == 3 and whole["n_objects"] == 4
    assert object_metrics(parts)["object_recall"] == object_metrics(whole)["object_recall"] == 0.75


def test_sum_weights_and_missing_counters():
    first = {"n_objects": 2, "n_found": 1, "source_flux": 3.0}
    second = {"n_objects": 4, "n_found": 4}
    summed = sum_object_counts([first, second], weights=[2, 1])
    assert summed == {"n_objects": 8, "n_found": 6}  # source_flux is not in every image: left out
    assert object_metrics(summed)["masked_source_flux_fraction"] is None
    assert sum_object_counts([]) == {}
    with pytest.raises(ValueError):
        sum_object_counts([first], weights=[1, 2])


def test_a_stale_object_table_is_refused():
    truth, ignore, flagged, extras = make_scene()
    table = dict(extras.objects, n_pixels=np.array([10, 5, 1]))
    with pytest.raises(InputError, match="object table"):
        object_counts(truth, ignore, flagged, extras=ObjectExtras(objects=table, event_kinds=KINDS))


def test_operating_mask_applies_the_output_dilation_of_the_pixel_protocol():
    rng = np.random.default_rng(4)
    scores = rng.random((30, 40)).astype(np.float32) ** 4
    dilated = PixelProtocol(dilate_output=True)
    mask = operating_mask(scores, protocol=dilated, operating_point=0.5)
    np.testing.assert_array_equal(mask, dilate_scores(scores, size=3) >= 0.5)
    np.testing.assert_array_equal(operating_mask(scores, protocol=PixelProtocol(), operating_point=0.5),
                                  scores >= 0.5)
    stack = np.stack([scores >= 0.2, scores >= 0.7])
    np.testing.assert_array_equal(
        operating_mask(stack, protocol=dilated, kind="mask", operating_point=3.0, values=[1.0, 3.0]),
        ndimage.binary_dilation(scores >= 0.7, structure=np.ones((3, 3), bool)),
    )
    with pytest.raises(InputError, match="not one of the sweep values"):
        operating_mask(stack, protocol=dilated, kind="mask", operating_point=2.0, values=[1.0, 3.0])


def test_options_are_validated_and_round_trip():
    options = ObjectOptions(found_fraction=0.25, near_star_fwhm=4.0)
    assert ObjectOptions.from_dict(options.to_dict()) == options
    assert options.bin_labels("star_distance") == ["0-1", "1-2", "2-4", ">=4"]
    for bad in ({"found_fraction": 0.0}, {"near_star_fwhm": 3.0}, {"length_edges_px": (5.0, 2.0)}):
        with pytest.raises(InputError):
            ObjectOptions(**bad)


def test_no_objects_and_no_prediction_give_undefined_recall_and_zero_fp():
    empty = np.zeros((10, 10), bool)
    counts = object_counts(empty, None, empty)
    assert counts["n_objects"] == 0 and counts["n_fp_objects"] == 0
    metrics = object_metrics(counts)
    assert metrics["object_recall"] is None and metrics["fp_objects_per_megapixel"] == 0.0
