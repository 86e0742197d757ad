"""Recall and false positives of the truth builder on a stack with known cosmic rays."""

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

__all__ = ["BuilderAccuracy", "builder_accuracy", "SNR_BINS"]

_EIGHT = np.ones((3, 3), dtype=bool)
#: edges of the peak S/N bins (peak CR charge over the sky's per-pixel sigma) for recall
SNR_BINS = (3.0, 5.0, 8.0, 15.0, 30.0, 300.0)


@dataclass
class BuilderAccuracy:
    """Counts of one comparison of builder truth with known cosmic rays.

    Attributes
    ----------
    found, total : dict of tuple to int
        Per peak S/N bin ``(low, high)``: CR objects with a truth pixel, and
        all CR objects outside the ignore mask.
    ignored_objects : int
        CR objects whose peak pixel is ignored (not counted above).
    false_pixels : int
        Truth pixels more than one pixel from any true CR charge.
    scored_pixels : int
        Pixels not ignored.
    """

    found: dict = field(default_factory=dict)
    total: dict = field(default_factory=dict)
    ignored_objects: int = 0
    false_pixels: int = 0
    scored_pixels: int = 0

    def add(self, other):
        """Add another comparison's counts to these."""
        for key in set(self.total) | set(other.total):
            self.found[key] = self.found.get(key, 0) + other.found.get(key, 0)
            self.total[key] = self.total.get(key, 0) + other.total.get(key, 0)
        self.ignored_objects += other.ignored_objects
        self.false_pixels += other.false_pixels
        self.scored_pixels += other.scored_pixels
        return self

    def recall(self, *, min_snr):
        """Object recall of CRs with peak S/N of at least ``min_snr`` (a bin edge)."""
        keys = [key for key in self.total if key[0] >= min_snr]
        total = sum(self.total[key] for key in keys)
        return sum(self.found[key] for key in keys) / total if total else float("nan")

    @property
    def false_pixels_per_mpix(self):
        """False truth pixels per million scored pixels."""
        return 1e6 * self.false_pixels / self.scored_pixels if self.scored_pixels else float("nan")


def builder_accuracy(results, stack, *, charge_sigma=0.5):
    """Compare builder results with a :class:`~crbench.stack.synthetic.SyntheticStack`'s CR charge.

    A true CR object is an 8-connected group of pixels with charge above
    ``charge_sigma`` sky sigmas; its peak S/N is its peak charge over the
    sky sigma. It is found when a builder truth pixel touches it (within one
    pixel). An object whose peak pixel is ignored is left out: its faint
    wings may well be ignored (the ``cr_halo`` reason covers the charge of a
    found CR below the grow threshold) without the object being unscored.

    Returns
    -------
    BuilderAccuracy
    """
    accuracy = BuilderAccuracy(found={}, total={})
    bins = list(zip(SNR_BINS[:-1], SNR_BINS[1:]))
    for key in bins:
        accuracy.found[key] = accuracy.total[key] = 0
    for result, charge, sigma in zip(results, stack.cr_charge, stack.sky_sigma_e):
        true_mask = charge > charge_sigma * sigma
        labels, n_objects = ndimage.label(true_mask, structure=_EIGHT)
        near_truth = ndimage.binary_dilation(result.truth, structure=_EIGHT)
        for label in range(1, n_objects + 1):
            pixels = labels == label
            peak = np.unravel_index(np.argmax(np.where(pixels, charge, -np.inf)), charge.shape)
            if result.ignore[peak]:
                accuracy.ignored_objects += 1
                continue
            snr = charge[pixels].max() / sigma
            for key in bins:
                if key[0] <= snr < key[1] or (key[1] == SNR_BINS[-1] and snr >= key[1]):
                    accuracy.total[key] += 1
                    accuracy.found[key] += bool(near_truth[pixels].any())
                    break
        near_charge = ndimage.binary_dilation(charge > 0, structure=_EIGHT)
        accuracy.false_pixels += int((result.truth & ~near_charge).sum())
        accuracy.scored_pixels += int((~result.ignore).sum())
    return accuracy
