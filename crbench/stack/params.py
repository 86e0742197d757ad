"""Thresholds of the stack truth builder and the ignore-reason bits it writes."""

import dataclasses
import math
from dataclasses import dataclass

from ..errors import InputError

__all__ = ["StackParams", "IGNORE_REASONS", "decode_ignore_reasons"]

#: bit of each ignore reason in the ``IGNORE_REASON`` map (uint8); several bits may be set on one pixel
IGNORE_REASONS = {
    # the pixel (or a neighbour within ``saturation_grow``) is saturated in this frame or a compared frame
    "saturated": 1,
    # fewer than ``min_other_frames`` compared frames have a usable value here
    "low_coverage": 2,
    # the comparison's noise is more than ``max_noise_ratio`` times the sky noise (bright-source core)
    "bright_source": 4,
    # the frames disagree for a reason other than a cosmic ray in this frame
    "inconsistent": 8,
    # NaN/inf in this frame (or next to one), or within ``edge_margin`` of the border
    "edge_or_nan": 16,
    # next to a cosmic ray and still above ``halo_sigma``: the faint continuation of a track (or the
    # charge shared with its neighbours) below the grow threshold, neither a sure CR nor a sure negative
    "cr_halo": 32,
}


def decode_ignore_reasons(bits):
    """Return ``{reason: bool array}`` for an ``IGNORE_REASON`` map (see :data:`IGNORE_REASONS`)."""
    import numpy as np

    bits = np.asarray(bits).astype(np.int64)
    return {name: (bits & value) != 0 for name, value in IGNORE_REASONS.items()}


@dataclass(frozen=True)
class StackParams:
    """Every threshold of :func:`~crbench.stack.build_stack_truth`, each with why it has its value.

    All significances are in units of the per-pixel noise of the difference
    between a frame and the combination of the other frames (see
    ``docs/real_data.md`` for the noise model).
    """

    #: seed threshold: 5 sigma one-sided is 2.9e-7 of Gaussian pixels, i.e. below 0.2 false seeds in
    #: ten 256 x 256 frames, while a CR of peak S/N 8 still seeds with margin
    seed_sigma: float = 5.0
    #: a seed's excess must be at least this fraction of the frame's own value: on sky a CR's excess is
    #: the whole value (fraction ~1), while a star core in a frame of sharper seeing exceeds the others by
    #: a few tens of per cent; such seeds are marked "inconsistent" (ignored), never called CRs
    min_excess_fraction: float = 0.67
    #: grow threshold: 2.5 sigma, 8-connected hysteresis from the seeds, picks up the faint ends of
    #: tracks and the charge shared with neighbours (0.6 % of sky pixels pass alone, but only those
    #: touching a seed are kept)
    grow_sigma: float = 2.5
    #: a frame lower than the others by this many sigma (grown at ``grow_sigma``) is "inconsistent":
    #: a CR in compared frames, a source that faded, or the negative ringing of a resampled CR
    negative_sigma: float = 5.0
    #: pixels above z > 1.5 within ``halo_reach`` of a cosmic ray, and everything connected to them or
    #: to the CR through z > 1.5, grown by ``halo_grow``, are ignored ("cr_halo"), not called negatives:
    #: a faint track breaks into pieces where it dips below ``grow_sigma`` (seen in two real DECam
    #: frames), and a detector that follows it there must not be charged a false positive. 1.5 sigma
    #: alone passes 7 % of sky pixels, but only those near or joined to a CR are kept
    halo_sigma: float = 1.5
    #: a faint stretch of track is noisy: single pixels dip below ``halo_sigma`` and cut the connection,
    #: so pixels above it this close to a CR (pixels, chessboard distance) start the halo too
    halo_reach: int = 4
    #: the halo is grown by one pixel, to take in the dips of a faint stretch between halo pixels
    halo_grow: int = 1
    #: fractional model error of the sources (PSF and seeing mismatch between frames): 10 % of the
    #: local peak of the combination; the frames of one night differ in FWHM by up to ~30 %, which moves
    #: a star's peak by more, but a 10 % term already raises the noise of bright cores enough that the
    #: remaining mismatch fails ``min_excess_fraction`` instead of seeding
    model_error_fraction: float = 0.1
    #: the model error at a pixel is ``model_error_fraction`` times the maximum of the combination
    #: within this square (pixels): a seeing mismatch moves light by about a FWHM, so the wings of a
    #: star next to its core carry the core's error, not their own
    model_error_footprint: int = 7
    #: pixels whose comparison noise exceeds this many times the frame's sky noise are ignored
    #: ("bright_source"): a CR there must be that much brighter than on sky to be found, so the truth
    #: would miss CRs that a detector may rightly flag
    max_noise_ratio: float = 4.0
    #: fewest compared frames with a usable value: 2 is the least with which a CR in one of them is
    #: caught (it pulls the mean of two up, the frame looks low, the pixel is "inconsistent")
    min_other_frames: int = 2
    #: saturated pixels are grown by this many pixels (8-connected): bleed and non-linearity reach
    #: the neighbours of a saturated core
    saturation_grow: int = 2
    #: NaN/inf pixels are grown by this many pixels: the neighbours of a hole were often interpolated
    nan_grow: int = 1
    #: pixels this close to the border are ignored; 0 because the comparison is as good at the border
    #: as inside (raise it for frames whose edges were filled by resampling)
    edge_margin: int = 0
    #: CR pixels are grown by this many pixels before being replaced in the cleaned frame, so that the
    #: charge of a CR below ``grow_sigma`` (and resampling ringing) is replaced too
    clean_grow: int = 1
    #: background sigma is measured on 4 x 4 block sums, which recover the white noise of
    #: LANCZOS3-resampled frames (kernel 6 px wide, crbench.realism.decam_sky.NOISE_BLOCK)
    noise_block: int = 4
    #: flux scales come from connected source regions whose summed flux in the compared frame has
    #: at least this S/N; fainter regions scatter the ratio more than seeing moves it
    scale_min_snr: float = 50.0
    #: fewer usable source regions than this leave the flux scale at 1 (only the background offset is fit)
    scale_min_regions: int = 3
    #: source-mask depth on the stack median, in sigmas of the smoothed median (as decam_sky's mask)
    source_mask_sigma: float = 2.0

    def __post_init__(self):
        for name in ("seed_sigma", "grow_sigma", "negative_sigma", "halo_sigma", "max_noise_ratio", "scale_min_snr"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise InputError(f"StackParams.{name} must be a positive number, not {value!r}")
        if self.grow_sigma > self.seed_sigma:
            raise InputError(f"StackParams.grow_sigma ({self.grow_sigma}) must not exceed seed_sigma ({self.seed_sigma})")
        if self.halo_sigma > self.grow_sigma:
            raise InputError(f"StackParams.halo_sigma ({self.halo_sigma}) must not exceed grow_sigma ({self.grow_sigma})")
        if not 0 <= self.min_excess_fraction <= 1:
            raise InputError(f"StackParams.min_excess_fraction must be in [0, 1], not {self.min_excess_fraction!r}")
        if self.model_error_fraction < 0:
            raise InputError("StackParams.model_error_fraction must not be negative")
        for name in ("model_error_footprint", "min_other_frames", "noise_block", "scale_min_regions"):
            if getattr(self, name) < 1:
                raise InputError(f"StackParams.{name} must be at least 1, not {getattr(self, name)!r}")
        for name in ("saturation_grow", "nan_grow", "edge_margin", "clean_grow", "halo_reach", "halo_grow"):
            if getattr(self, name) < 0:
                raise InputError(f"StackParams.{name} must not be negative, not {getattr(self, name)!r}")

    def to_dict(self):
        """Return a JSON-ready dict (stored in a built data set's ``crbench_dataset.json``)."""
        return dataclasses.asdict(self)
