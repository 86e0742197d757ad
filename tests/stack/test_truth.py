import numpy as np
import pytest
from astropy.stats import mad_std
from scipy import ndimage

from crbench.errors import InputError, ShapeMismatchError
from crbench.stack import IGNORE_REASONS, StackParams, build_stack_truth, decode_ignore_reasons
from crbench.stack.accuracy import builder_accuracy
from crbench.stack.synthetic import lanczos_variance_ratio, make_synthetic_stack

EIGHT = np.ones((3, 3), dtype=bool)


def _build(stack, **kwargs):
    return build_stack_truth(stack.images, gains=stack.gains, read_noises=stack.read_noises,
                             saturations=stack.saturations, **kwargs)


@pytest.mark.parametrize("seed, resampled", [(0, ()), (1, (1, 2, 3, 4, 5, 6, 7)), (2, (2, 5))])
def test_builder_finds_bright_crs_with_few_false_pixels(seed, resampled):
    stack = make_synthetic_stack(seed, resampled=resampled)
    accuracy = builder_accuracy(_build(stack), stack)
    assert sum(accuracy.total[key] for key in accuracy.total if key[0] >= 8) >= 40
    assert accuracy.recall(min_snr=8) >= 0.9
    assert accuracy.recall(min_snr=15) >= 0.95
    # a few pixels per frame at most, where a CR's grow reaches a sharper star next to it
    assert accuracy.false_pixels_per_mpix < 200


def test_resampled_noise_is_measured_not_assumed():
    stack = make_synthetic_stack(3, n_frames=6, shape=(256, 256), n_stars=10, saturated_star=False,
                                 resampled=(1, 2, 3))
    results = _build(stack)
    measured = np.array([result.diagnostics["variance_ratio"] for result in results])
    expected = np.array([lanczos_variance_ratio(*shift) for shift in stack.shifts])
    smoothed = expected < 0.9
    assert smoothed.any()
    assert measured[smoothed].max() < measured[expected == 1.0].min()
    # the significance of empty sky has unit width in every frame, smoothed or not
    for result in results:
        sky = ~result.ignore & (np.abs(result.combination) < 20)
        assert 0.85 < mad_std(result.significance[sky]) < 1.15


def test_flux_scale_is_fitted_from_the_stars():
    stack = make_synthetic_stack(4, n_frames=6)
    result = _build(stack)[0]
    expected = [stack.flux_scales[0] / stack.flux_scales[j] for j in result.diagnostics["compared_frames"]]
    assert np.allclose(result.diagnostics["flux_scales"], expected, rtol=0.03)


def test_saturated_star_is_ignored_not_called_a_cosmic_ray():
    stack = make_synthetic_stack(5, n_frames=6, n_crs=0)
    results = _build(stack)
    for result, image, saturation in zip(results, stack.images, stack.saturations):
        saturated = image >= saturation
        assert saturated.any()
        reasons = decode_ignore_reasons(result.ignore_reason)
        assert reasons["saturated"][saturated].all()
        assert not result.truth[ndimage.binary_dilation(saturated, iterations=3)].any()
        assert (result.ignore == (result.ignore_reason != 0)).all()
        assert not (result.truth & result.ignore).any()


def test_a_source_that_varied_between_groups_is_not_a_cosmic_ray_when_grouped():
    # a point source present only on the second "night" (frames 4-7)
    stack = make_synthetic_stack(6, n_frames=8, n_crs=0, fwhm_range=(3.0, 3.6), saturated_star=False,
                                 transient=(80.0, 80.0, 2e4, (4, 5, 6, 7)))
    near = (slice(75, 86), slice(75, 86))
    mixed = _build(stack)
    assert sum(result.truth[near].sum() for result in mixed[4:]) > 0  # without groups: false CRs
    grouped = _build(stack, groups=["a"] * 4 + ["b"] * 4)
    assert sum(result.truth.sum() for result in grouped) == 0


def test_cleaned_frame_replaces_cosmic_rays_only():
    stack = make_synthetic_stack(7, n_frames=6, saturated_star=False)
    for result, image, charge, sigma_e, gain in zip(_build(stack), stack.images, stack.cr_charge,
                                                    stack.sky_sigma_e, stack.gains):
        changed = result.cleaned != image
        # only CR pixels (grown by clean_grow = 1) change; CR pixels inside the ignore mask count too
        assert not (changed & ~ndimage.binary_dilation(result.truth | result.ignore, structure=EIGHT)).any()
        replaced = ndimage.binary_dilation(result.truth, structure=EIGHT)
        assert changed[result.truth].all()
        bright = charge > 15 * sigma_e
        found = bright & replaced
        # the CR charge is gone: what is left is the other frames' scaled median
        assert np.all(result.cleaned[found] < result.combination[found] + 1e-9)
        assert np.all(image[found] - result.cleaned[found] > 10 * sigma_e / gain)


def test_nan_pixels_are_ignored_as_edge_or_nan():
    stack = make_synthetic_stack(8, n_frames=5)
    stack.images[2][40:44, 60] = np.nan
    result = _build(stack)[2]
    reasons = decode_ignore_reasons(result.ignore_reason)
    assert reasons["edge_or_nan"][39:45, 59:62].all()
    assert not result.truth[39:45, 59:62].any()
    assert IGNORE_REASONS["edge_or_nan"] == 16


def test_builder_is_deterministic():
    stack = make_synthetic_stack(9, n_frames=5, resampled=(1,))
    first, second = _build(stack), _build(stack)
    for a, b in zip(first, second):
        assert np.array_equal(a.truth, b.truth) and np.array_equal(a.ignore_reason, b.ignore_reason)
        assert np.array_equal(a.cleaned, b.cleaned)


def test_inputs_are_checked():
    stack = make_synthetic_stack(10, n_frames=4, n_stars=10)
    with pytest.raises(ShapeMismatchError, match="frame 1"):
        build_stack_truth([stack.images[0], stack.images[1][:-1]], gains=4.0, read_noises=7.0, saturations=1e5)
    with pytest.raises(InputError, match="group 'b' has 1 frame"):
        _build(stack, groups=["a", "a", "a", "b"])
    with pytest.raises(InputError, match="gains"):
        build_stack_truth(stack.images, gains=[4.0, -1.0, 4.0, 4.0], read_noises=7.0, saturations=1e5)
    with pytest.raises(InputError, match="grow_sigma"):
        StackParams(seed_sigma=3.0, grow_sigma=4.0)


def test_faint_gap_in_a_track_is_ignored_as_halo_and_cleaned():
    # a track of two bright segments joined by a faint stretch below grow_sigma: the stretch is neither
    # truth nor a scored negative (cr_halo), and the cleaned frame loses it with the bright parts
    rng = np.random.default_rng(7)
    n_frames, shape, sigma = 6, (64, 64), 10.0
    images = [rng.normal(0.0, sigma, shape) for _ in range(n_frames)]
    images[0][32, 10:25] += 30 * sigma  # bright segment
    images[0][32, 25:33] += 2.2 * sigma  # faint stretch: above halo_sigma, below grow_sigma after noise
    images[0][32, 33:48] += 30 * sigma  # bright segment
    results = build_stack_truth(images, gains=[1.0] * n_frames, read_noises=[sigma] * n_frames,
                                saturations=[1e9] * n_frames)
    frame = results[0]
    halo = decode_ignore_reasons(frame.ignore_reason)["cr_halo"]
    assert frame.truth[32, 12:23].all() and frame.truth[32, 35:46].all()
    gap = np.zeros(shape, bool)
    gap[32, 26:32] = True
    assert not frame.truth[gap].any()
    assert (halo[gap] | frame.truth[gap]).mean() >= 0.8  # a noise dip below 1.5 sigma may remain in the gap
    assert frame.ignore[halo].all()
    # far from the track, the halo is empty
    assert not halo[:20].any() and not halo[45:].any()
    assert np.abs(frame.cleaned[32, 10:48]).max() < 6 * sigma


def test_halo_threshold_must_not_exceed_grow_threshold():
    with pytest.raises(InputError, match="halo_sigma"):
        StackParams(halo_sigma=3.0)
