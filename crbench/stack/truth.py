"""Cosmic-ray truth from aligned repeated exposures: each frame against the others."""

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from ..errors import InputError, ShapeMismatchError
from .matching import match_flux
from .noise import measure_frame_noise
from .params import IGNORE_REASONS, StackParams
from .sources import stack_source_mask

__all__ = ["FrameTruth", "build_stack_truth"]

_EIGHT = np.ones((3, 3), dtype=bool)
#: variance of the median of n >= 3 normal values over that of their mean (large-n limit pi/2, which
#: over-states the noise a little for 3 to 5 values: the conservative side); for n <= 2 the median is the mean
_MEDIAN_VARIANCE_FACTOR = np.pi / 2


@dataclass
class FrameTruth:
    """The builder's products for one frame (all arrays of the frame's shape).

    Attributes
    ----------
    truth : ndarray of bool
        Cosmic-ray pixels (False wherever ``ignore``).
    ignore : ndarray of bool
        Pixels where the comparison is not trustworthy.
    ignore_reason : ndarray of uint8
        Bits of :data:`~crbench.stack.IGNORE_REASONS` (several may be set).
    cleaned : ndarray of float64
        The frame with its cosmic rays (grown by ``clean_grow``) replaced by
        the combination of the other frames scaled to this frame. The
        replaced pixels carry the combination's noise, which is lower than a
        single frame's. Public: real CRs are injected into these frames.
    significance : ndarray of float32
        ``(frame - combination) / sigma`` under the noise model (NaN where
        fewer than one compared frame has a value).
    combination : ndarray of float64
        The median of the other frames, scaled to this frame.
    diagnostics : dict
        JSON-ready numbers: noise, flux matches, pixel counts.
    """

    truth: np.ndarray
    ignore: np.ndarray
    ignore_reason: np.ndarray
    cleaned: np.ndarray
    significance: np.ndarray
    combination: np.ndarray
    diagnostics: dict = field(default_factory=dict)


def _per_frame(values, name, n_frames):
    array = np.broadcast_to(np.asarray(values, dtype=np.float64), (n_frames,))
    if not np.all(np.isfinite(array)) or np.any(array <= 0):
        raise InputError(f"{name} must be positive finite numbers, one per frame or one for all: {values!r}")
    return array


def _grow(mask, iterations):
    return ndimage.binary_dilation(mask, structure=_EIGHT, iterations=iterations) if iterations else mask


def _hysteresis(strong, weak):
    """Return the 8-connected components of ``weak | strong`` that hold a ``strong`` pixel."""
    labels, n_labels = ndimage.label(weak | strong, structure=_EIGHT)
    keep = np.zeros(n_labels + 1, dtype=bool)
    keep[np.unique(labels[strong])] = True
    keep[0] = False
    return keep[labels]


def build_stack_truth(images, *, gains, read_noises, saturations, groups=None, params=None):
    """Label the cosmic rays of every frame of an aligned stack of repeated exposures.

    Each frame is compared with the median of the *other* frames (of its
    own ``groups`` value when given), each brought to this frame's flux
    scale and background by :func:`~crbench.stack.matching.match_flux`.
    The difference is divided by its noise,

    ``var = s_i**2 + r_i * max(m, 0) / g_i + c * mean_j(var_j) / n + (f * maxfilter(m))**2``

    with ``s_i`` the frame's measured background sigma per pixel, ``r_i``
    its resampling variance ratio (:class:`~crbench.stack.noise.FrameNoise`),
    ``m`` the combination, ``g_i`` the gain, the third term the noise of the
    median of ``n`` scaled frames and the last the sources' model error. Seeds
    exceed ``seed_sigma`` and ``min_excess_fraction`` of the frame's value;
    cosmic rays grow from them to ``grow_sigma`` (8-connected).

    Parameters
    ----------
    images : sequence of ndarray
        Aligned frames of one field, same shape, same units (ADU or
        electrons), sky-subtracted or not. NaN/inf pixels are ignored.
    gains : float or sequence of float
        Electrons per image unit, per frame (1 for frames in electrons).
    read_noises : float or sequence of float
        Read noise in electrons, per frame (recorded; the measured
        background sigma is what the noise model uses).
    saturations : float or sequence of float
        Saturation level in the frames' own pixel values (for sky-subtracted
        frames: above the subtracted sky).
    groups : sequence, optional
        One hashable label per frame (e.g. the observing night): a frame is
        compared only with frames of its own group, so that sources that
        varied between groups are not taken for cosmic rays.
    params : StackParams, optional
        Thresholds; default ``StackParams()``.

    Returns
    -------
    list of FrameTruth
        One per frame, in input order.

    Raises
    ------
    InputError, ShapeMismatchError
        Fewer than two frames, non-2-D or differently shaped frames, bad
        gains/read noises/saturations, a ``groups`` of the wrong length, or
        a group with fewer than ``params.min_other_frames + 1`` frames.
    """
    params = StackParams() if params is None else params
    stack = [np.asarray(image, dtype=np.float64) for image in images]
    if len(stack) < 2:
        raise InputError(f"a stack needs at least 2 frames, got {len(stack)}")
    shape = stack[0].shape
    if len(shape) != 2:
        raise InputError(f"frames must be 2-D images, frame 0 has shape {shape}")
    for index, image in enumerate(stack):
        if image.shape != shape:
            raise ShapeMismatchError(f"frame {index} has shape {image.shape}, frame 0 has {shape}; "
                                     "the frames must be aligned on one pixel grid")
    cube = np.array(stack)
    n_frames = len(stack)
    gains = _per_frame(gains, "gains", n_frames)
    read_noises = _per_frame(read_noises, "read_noises", n_frames)
    saturations = _per_frame(saturations, "saturations", n_frames)
    groups = [0] * n_frames if groups is None else list(groups)
    if len(groups) != n_frames:
        raise InputError(f"groups has {len(groups)} labels for {n_frames} frames")
    for label in dict.fromkeys(groups):
        size = groups.count(label)
        if size - 1 < params.min_other_frames:
            raise InputError(
                f"group {label!r} has {size} frame(s): each frame needs at least {params.min_other_frames} other "
                "frames of its group (StackParams.min_other_frames); group the frames more coarsely"
            )

    finite = np.isfinite(cube)
    saturated = finite & (cube >= saturations[:, None, None])
    usable = finite & ~saturated
    source_mask = stack_source_mask(cube, usable=usable, nsigma=params.source_mask_sigma)
    noises = [measure_frame_noise(cube[i], mask=source_mask | ~usable[i], block=params.noise_block)
              for i in range(n_frames)]
    return [
        _frame_truth(i, cube, usable, saturated, source_mask, noises, gains, read_noises, saturations,
                     [j for j in range(n_frames) if j != i and groups[j] == groups[i]], params)
        for i in range(n_frames)
    ]


def _frame_truth(i, cube, usable, saturated, source_mask, noises, gains, read_noises, saturations, others,
                 params):
    image = cube[i]
    shape = image.shape
    reason = np.zeros(shape, dtype=np.uint8)
    # saturation anywhere in the comparison spoils the comparison; grown for bleed and non-linearity
    saturated_any = saturated[[i, *others]].any(axis=0)
    reason[_grow(saturated_any, params.saturation_grow)] |= IGNORE_REASONS["saturated"]
    edge = _grow(~np.isfinite(image), params.nan_grow)
    if params.edge_margin:
        margin = params.edge_margin
        edge[:margin, :] = edge[-margin:, :] = edge[:, :margin] = edge[:, -margin:] = True
    reason[edge] |= IGNORE_REASONS["edge_or_nan"]

    scaled, variances, matches = [], [], []
    spoiled = _grow(saturated_any, params.saturation_grow) | ~np.isfinite(image)
    for j in others:
        pair_bad = spoiled | ~usable[j]
        labels, _ = ndimage.label(source_mask & ~pair_bad, structure=_EIGHT)
        background = ~source_mask & ~pair_bad
        match = match_flux(image, cube[j], source_labels=labels, background=background,
                           other_sigma=noises[j].pixel_sigma, min_snr=params.scale_min_snr,
                           min_regions=params.scale_min_regions)
        matches.append(match)
        other = np.where(usable[j], match.apply(cube[j]), np.nan)
        scaled.append(other)
        # the other frame's per-pixel variance, scaled: its sky noise plus the Poisson noise of its sources
        source_e = np.maximum(np.nan_to_num(cube[j]), 0.0) * gains[j]
        variances.append(np.where(usable[j], match.scale ** 2 * (noises[j].pixel_sigma ** 2 + noises[j].variance_ratio
                                                                  * source_e / gains[j] ** 2), np.nan))
    n_valid = np.zeros(shape, dtype=np.int64)
    if others:
        scaled = np.array(scaled)
        n_valid = np.isfinite(scaled).sum(axis=0)
    reason[n_valid < params.min_other_frames] |= IGNORE_REASONS["low_coverage"]
    has_model = n_valid > 0
    combination = np.full(shape, np.nan)
    combination_variance = np.full(shape, np.nan)
    if has_model.any():
        with np.errstate(all="ignore"):
            combination[has_model] = np.nanmedian(scaled[:, has_model], axis=0)
            counts = n_valid[has_model]
            factor = np.where(counts > 2, _MEDIAN_VARIANCE_FACTOR, 1.0)
            combination_variance[has_model] = factor * np.nanmean(np.array(variances)[:, has_model], axis=0) / counts

    own = noises[i]
    model = np.maximum(np.nan_to_num(combination), 0.0)
    frame_variance = own.pixel_sigma ** 2 + own.variance_ratio * model / gains[i]
    local_peak = ndimage.maximum_filter(model, size=params.model_error_footprint, mode="nearest")
    model_error = params.model_error_fraction * local_peak
    comparison_variance = np.nan_to_num(combination_variance, nan=0.0) + model_error ** 2
    sigma = np.sqrt(frame_variance + comparison_variance)
    reason[sigma > params.max_noise_ratio * own.pixel_sigma] |= IGNORE_REASONS["bright_source"]
    difference = image - combination
    with np.errstate(invalid="ignore"):
        significance = np.where(has_model & np.isfinite(image), difference / sigma, np.nan)
    valid = np.isfinite(significance) & (reason & (IGNORE_REASONS["saturated"] | IGNORE_REASONS["edge_or_nan"]) == 0)
    z = np.where(valid, significance, 0.0)

    seeds = z > params.seed_sigma
    # the excess must be a large part of the light there: of the frame's own value (a sharper star core
    # exceeds the others by tens of per cent) and of the nearby peak of the sources (a broader star's
    # wing exceeds the others' wing by a large fraction of a small value)
    local_light = np.maximum(np.where(valid, image, 0.0), local_peak)
    cr_seeds = seeds & (np.nan_to_num(difference) > params.min_excess_fraction * local_light)
    positive = _hysteresis(seeds, z > params.grow_sigma)
    cosmic_rays = _hysteresis(cr_seeds, z > params.grow_sigma)
    # positive excess that is not a CR (sharper seeing, a brightened source) and any significant deficit
    # (a CR or a brighter state in the compared frames, negative ringing of a resampled CR)
    negative = _hysteresis(z < -params.negative_sigma, z < -params.grow_sigma)
    reason[(positive & ~cosmic_rays) | negative] |= IGNORE_REASONS["inconsistent"]

    faint = z > params.halo_sigma
    extended = _hysteresis(cosmic_rays | (faint & _grow(cosmic_rays, params.halo_reach)), faint)
    reason[_grow(extended, params.halo_grow) & ~cosmic_rays] |= IGNORE_REASONS["cr_halo"]

    ignore = reason != 0
    truth = cosmic_rays & ~ignore
    # the halo's charge belongs to the CR too: a cleaned frame must not keep a track's faint continuation
    replace = _grow(extended, params.clean_grow) & np.isfinite(combination)
    cleaned = np.where(replace, combination, image)
    n_objects = ndimage.label(truth, structure=_EIGHT)[1]
    diagnostics = {
        "pixel_sigma": own.pixel_sigma,
        "white_sigma": own.white_sigma,
        "variance_ratio": own.variance_ratio,
        "gain": float(gains[i]),
        "read_noise": float(read_noises[i]),
        "saturation": float(saturations[i]),
        "compared_frames": list(others),
        "flux_scales": [m.scale for m in matches],
        "background_offsets": [m.offset for m in matches],
        "scale_regions": [m.n_regions for m in matches],
        "n_truth_pixels": int(truth.sum()),
        "n_truth_objects": int(n_objects),
        "n_ignore_pixels": int(ignore.sum()),
        "n_ignore_by_reason": {name: int(((reason & bit) != 0).sum()) for name, bit in IGNORE_REASONS.items()},
        "n_replaced_pixels": int(replace.sum()),
    }
    return FrameTruth(truth=truth, ignore=ignore, ignore_reason=reason, cleaned=cleaned,
                      significance=significance.astype(np.float32), combination=combination,
                      diagnostics=diagnostics)
