"""Failure galleries of a detector page: its worst false-positive clusters and missed CRs as small cutouts.

Drawing only: the items come from :func:`crbench.review.items.review_items`
(the components the object-level scores count) and the flagged pixels from a
run's cached outputs (:mod:`crbench.jobs.site_gallery`). "Worst" means
largest: the false-positive clusters and missed CR objects with the most
pixels (then the brightest), which are the errors a reader would notice
first. Each panel shows the image (zscale of the whole image), the truth
contour (red) and the detector's flagged pixels (cyan, dashed).
"""

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..review.gallery import cutout_window

__all__ = ["GALLERY_KINDS", "worst_items", "gallery_png"]

#: Review kinds shown on a detector page -> caption.
GALLERY_KINDS = {
    "fp": "largest false-positive clusters (flagged, touching no dilated truth)",
    "missed": "largest missed CR objects (less than the found fraction flagged)",
}
_SAVE = {"format": "png", "dpi": 72, "metadata": {"Software": None}}


def worst_items(reviewed, kind, *, count=8):
    """The ``count`` largest items of ``kind`` over all reviewed images.

    Parameters
    ----------
    reviewed : iterable of (Sample, list of ReviewItem, ndarray)
    kind : {"fp", "missed"}
    count : int

    Returns
    -------
    list of (ReviewItem, Sample, ndarray)
        Largest first (pixels, then peak, then image and object id for a stable order).
    """
    found = [(item, sample, flagged) for sample, items, flagged in reviewed for item in items if item.kind == kind]
    found.sort(key=lambda entry: (-entry[0].n_pixels, -entry[0].peak, entry[0].sample_id, entry[0].object_id))
    return found[:count]


def _outline(axis, mask, **style):
    if mask.any() and not mask.all():
        axis.contour(mask.astype(float), levels=[0.5], **style)


def gallery_png(entries, *, cutout=24):
    """One row of panels (image, truth contour, flagged pixels); PNG bytes, or None without entries.

    Parameters
    ----------
    entries : list of (ReviewItem, Sample, ndarray)
        From :func:`worst_items`.
    cutout : int
        Window side in pixels.
    """
    if not entries:
        return None
    from astropy.visualization import ZScaleInterval

    figure = Figure(figsize=(1.15 * len(entries), 1.35))
    axes = np.atleast_1d(figure.subplots(1, len(entries), squeeze=False)).ravel()
    limits = {}
    for axis, (item, sample, flagged) in zip(axes, entries):
        if sample.sample_id not in limits:
            finite = sample.image[np.isfinite(sample.image)]
            limits[sample.sample_id] = ZScaleInterval().get_limits(finite) if finite.size else (0.0, 1.0)
        window = cutout_window(sample.image.shape, x=item.x, y=item.y, size=cutout)
        low, high = limits[sample.sample_id]
        axis.imshow(sample.image[window], origin="lower", cmap="gray", vmin=low, vmax=high, interpolation="nearest")
        _outline(axis, sample.truth[window], colors="red", linewidths=0.8)
        _outline(axis, flagged[window], colors="cyan", linewidths=0.7, linestyles="dashed")
        axis.set_title(f"n={item.n_pixels}", fontsize=6)
        axis.set_xticks([])
        axis.set_yticks([])
    figure.tight_layout(pad=0.2)
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, **_SAVE)
    return _small_png(buffer.getvalue())


def _small_png(png):
    """The PNG with a 64-colour palette: a grey image with two contour colours loses nothing visible."""
    from PIL import Image  # a dependency of matplotlib

    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=64)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
