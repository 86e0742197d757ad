"""Matching one frame's flux scale and background to another's."""

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

__all__ = ["FluxMatch", "match_flux"]


@dataclass(frozen=True)
class FluxMatch:
    """``reference ~= scale * other + offset`` for one pair of frames.

    Attributes
    ----------
    scale, offset : float
    n_regions : int
        Source regions that measured the scale (0: the scale was left at 1).
    """

    scale: float
    offset: float
    n_regions: int

    def apply(self, other):
        """Return ``other`` brought to the reference frame's scale and background."""
        return self.scale * other + self.offset


def match_flux(reference, other, *, source_labels, background, other_sigma, min_snr, min_regions):
    """Fit the flux scale and background offset of ``other`` to ``reference``.

    The scale is the median, over connected source regions, of the ratio of
    the two frames' background-subtracted flux summed over the region:
    sums over a whole region do not depend on the seeing, and the median
    over regions is not moved by a cosmic ray or a variable source in a few
    of them. The offset is the difference of the background medians.

    Parameters
    ----------
    reference, other : ndarray of float64
        Two aligned frames.
    source_labels : ndarray of int
        Connected source regions (0 = background), without saturated or
        non-finite pixels in either frame.
    background : ndarray of bool
        Source-free pixels finite in both frames.
    other_sigma : float
        Per-pixel noise of ``other`` (for the S/N of a region).
    min_snr : float
        Regions with a summed S/N below this in ``other`` are not used.
    min_regions : int
        With fewer usable regions the scale stays 1.

    Returns
    -------
    FluxMatch
    """
    reference_sky = float(np.median(reference[background]))
    other_sky = float(np.median(other[background]))
    n_labels = int(source_labels.max())
    scale, n_used = 1.0, 0
    if n_labels:
        index = np.arange(1, n_labels + 1)
        labelled = source_labels > 0
        reference_flux = ndimage.sum_labels(np.where(labelled, reference - reference_sky, 0.0), source_labels, index)
        other_flux = ndimage.sum_labels(np.where(labelled, other - other_sky, 0.0), source_labels, index)
        n_pixels = ndimage.sum_labels(labelled, source_labels, index)
        usable = (other_flux > min_snr * other_sigma * np.sqrt(np.maximum(n_pixels, 1))) & (reference_flux > 0)
        n_used = int(usable.sum())
        if n_used >= min_regions:
            scale = float(np.median(reference_flux[usable] / other_flux[usable]))
        else:
            n_used = 0
    return FluxMatch(scale=scale, offset=reference_sky - scale * other_sky, n_regions=n_used)
