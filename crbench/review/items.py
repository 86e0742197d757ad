"""What a reviewer looks at: the truth CR objects, false-positive clusters and missed objects of one image.

The components are those of the object-level scores
(:func:`crbench.scoring.objects.object_components`), so a gallery shows
exactly the objects the leaderboard counts:

- ``truth``: every 8-connected component of the undilated truth that is not
  wholly ignored;
- ``fp``: every 8-connected component of the flagged mask (at the operating
  point, after output dilation) that touches no pixel of the 3x3-dilated
  truth and is counted under the ignore policy;
- ``missed``: every truth object with less than the found fraction of its
  non-ignored pixels flagged.

Positions are 0-based pixel coordinates, ``x`` the column and ``y`` the
row of the component's centroid (ds9 shows ``x + 1, y + 1``).
"""

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..scoring.objects import DEFAULT_OBJECT_OPTIONS, object_components

__all__ = ["REVIEW_KINDS", "ReviewItem", "review_items"]

#: Kinds of review panel, in gallery order.
REVIEW_KINDS = ("truth", "fp", "missed")


@dataclass(frozen=True)
class ReviewItem:
    """One component to review.

    Attributes
    ----------
    sample_id : str
    kind : {"truth", "fp", "missed"}
    object_id : int
        Label of the component (1-based, raster order): the truth label for
        ``truth`` and ``missed``, the flagged-component label for ``fp``.
    x, y : float
        Centroid column and row (0-based pixels).
    n_pixels : int
        Pixels of the component.
    peak : float
        Largest image value over the component, in the sample's units.
    bbox : tuple of slice
        The component's bounding box (rows, columns).
    pixels : ndarray of bool
        The component's pixels within ``bbox``.
    """

    sample_id: str
    kind: str
    object_id: int
    x: float
    y: float
    n_pixels: int
    peak: float
    bbox: tuple
    pixels: np.ndarray

    def mask_within(self, window):
        """The component's pixels inside ``window`` (a (rows, columns) pair of slices with steps of 1)."""
        rows, cols = window
        mask = np.zeros((rows.stop - rows.start, cols.stop - cols.start), bool)
        top, bottom = max(rows.start, self.bbox[0].start), min(rows.stop, self.bbox[0].stop)
        left, right = max(cols.start, self.bbox[1].start), min(cols.stop, self.bbox[1].stop)
        if top < bottom and left < right:
            mask[top - rows.start:bottom - rows.start, left - cols.start:right - cols.start] = self.pixels[
                top - self.bbox[0].start:bottom - self.bbox[0].start,
                left - self.bbox[1].start:right - self.bbox[1].start]
        return mask

    def row(self):
        """The item's index-CSV fields (everything but the mask)."""
        return {"sample_id": self.sample_id, "kind": self.kind, "object_id": self.object_id,
                "x": round(self.x, 2), "y": round(self.y, 2), "n_pixels": self.n_pixels, "peak": round(self.peak, 3)}


def _items(sample, labels, chosen, kind):
    """Review items of the components ``chosen`` (0-based indices) of ``labels``."""
    items = []
    slices = ndimage.find_objects(labels)
    for index in np.flatnonzero(chosen):
        window = slices[index]
        pixels = labels[window] == index + 1
        rows, cols = np.nonzero(pixels)
        items.append(ReviewItem(
            sample_id=sample.sample_id, kind=kind, object_id=int(index + 1),
            x=float(cols.mean() + window[1].start), y=float(rows.mean() + window[0].start),
            n_pixels=int(pixels.sum()), peak=float(sample.image[window][pixels].max()), bbox=window,
            pixels=pixels,
        ))
    return items


def review_items(sample, *, flagged=None, excludes_ignored=True, found_fraction=DEFAULT_OBJECT_OPTIONS.found_fraction):
    """Return the review items of one sample: truth objects, then (with ``flagged``) FP clusters and missed objects.

    Parameters
    ----------
    sample : crbench.datasets.Sample
        Validated (image, undilated truth, ignore).
    flagged : ndarray of bool, optional
        The detector's pixels at the operating point after output dilation
        (:func:`crbench.scoring.objects.operating_mask`); None = truth only.
    excludes_ignored : bool
        The ignore policy is ``"exclude"`` (wholly ignored FP clusters are
        not counted).
    found_fraction : float
        Fraction of an object's non-ignored pixels that must be flagged for it to be found.

    Returns
    -------
    list of ReviewItem
    """
    empty = np.zeros(sample.truth.shape, bool)
    components = object_components(sample.truth, sample.ignore, empty if flagged is None else flagged,
                                   excludes_ignored=excludes_ignored, found_fraction=found_fraction,
                                   sample_id=sample.sample_id)
    items = _items(sample, components.truth_labels, components.valid, "truth")
    if flagged is not None:
        items += _items(sample, components.flagged_labels, components.false_positive, "fp")
        items += _items(sample, components.truth_labels, components.missed, "missed")
    return items
