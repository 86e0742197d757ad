"""PNG galleries of review items and the index CSV a reviewer writes verdicts into.

Each page holds up to ``grid x grid`` panels (36 by default, so 100
objects fit on three pages). A panel is a ``cutout``-pixel window of the
image centred on the component, shown with the image's zscale limits (as
``crbench datasets show``), with

- the truth contour in red,
- the detector's flagged pixels (when a detector was given) in cyan,
- the panel's own component outlined in yellow,
- ignored pixels hatched.

The index CSV has one row per panel: where it is (``page``, ``panel``,
counted from 1, left to right and top to bottom), what it shows
(:meth:`crbench.review.items.ReviewItem.row`) and an empty ``verdict``
column for the reviewer.
"""

import csv
import io
import math
from pathlib import Path

import numpy as np

from ..atomic import atomic_path
from ..escaping import csv_row
from .items import REVIEW_KINDS

__all__ = ["INDEX_COLUMNS", "DEFAULT_GRID", "cutout_window", "write_gallery"]

#: Columns of the index CSV, in order.
INDEX_COLUMNS = ("page", "panel", "sample_id", "kind", "object_id", "x", "y", "n_pixels", "peak", "verdict")
#: Panels per page side.
DEFAULT_GRID = 6
_TITLES = {
    "truth": "truth CR objects",
    "fp": "false-positive clusters (flagged, touching no dilated truth)",
    "missed": "missed CR objects (less than the found fraction flagged)",
}


def cutout_window(shape, *, x, y, size):
    """The ``size`` x ``size`` window centred on (x, y), shifted to lie inside an image of ``shape``.

    Returns
    -------
    tuple of slice
        (rows, columns); smaller than ``size`` only along an axis shorter than it.
    """
    ny, nx = shape

    def axis(centre, length):
        side = min(size, length)
        start = int(np.clip(round(centre) - side // 2, 0, length - side))
        return slice(start, start + side)

    return axis(y, ny), axis(x, nx)


def _outline(axis, mask, **style):
    """Contour of a bool mask at 0.5; nothing when the mask is uniform (matplotlib warns on no level)."""
    if mask.any() and not mask.all():
        axis.contour(mask.astype(float), levels=[0.5], **style)


def _panel(axis, number, item, sample, limits, flagged, cutout):
    window = cutout_window(sample.image.shape, x=item.x, y=item.y, size=cutout)
    axis.imshow(sample.image[window], origin="lower", cmap="gray", vmin=limits[0], vmax=limits[1],
                interpolation="nearest")
    ignore = sample.ignore[window]
    if ignore.any():
        # hatched, not filled: the pixels under the hatch stay visible
        axis.contourf(ignore.astype(float), levels=[0.5, 1.5], colors="none", hatches=["////"])
    _outline(axis, sample.truth[window], colors="red", linewidths=0.8)
    if flagged is not None:
        _outline(axis, flagged[window], colors="cyan", linewidths=0.6, linestyles="dashed")
    own = item.mask_within(window)
    if own.all():
        own = np.pad(own, 1)  # a component filling the cutout: outline its border
        axis.contour(np.arange(-1, own.shape[1] - 1), np.arange(-1, own.shape[0] - 1), own.astype(float),
                     levels=[0.5], colors="yellow", linewidths=1.2)
    else:
        _outline(axis, own, colors="yellow", linewidths=1.2)
    axis.set_title(f"{number}. {item.sample_id} #{item.object_id}\nx={item.x:.0f} y={item.y:.0f} n={item.n_pixels}",
                   fontsize=6)
    axis.set_xticks([])
    axis.set_yticks([])


def _page_png(kind, page, n_pages, panels, *, grid, cutout, heading):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(1.9 * grid, 2.0 * grid + 0.5))
    axes = figure.subplots(grid, grid, squeeze=False).ravel()
    for axis, (number, item, sample, limits, flagged) in zip(axes, panels):
        _panel(axis, number, item, sample, limits, flagged, cutout)
    for axis in axes[len(panels):]:
        axis.set_axis_off()
    figure.suptitle(f"{heading}: {_TITLES[kind]}, page {page}/{n_pages}\nred = truth, cyan dashed = flagged, "
                    "yellow = this component, hatched = ignored; zscale of the whole image", fontsize=9)
    figure.tight_layout(rect=(0, 0, 1, 0.96))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def write_gallery(reviewed, out, *, heading, cutout=32, grid=DEFAULT_GRID):
    """Write one PNG gallery per review kind and the index CSV; return the paths written.

    Parameters
    ----------
    reviewed : iterable of (Sample, list of ReviewItem, ndarray or None)
        Each sample with its items (:func:`crbench.review.items.review_items`)
        and the flagged mask they were found with (None without a detector).
    out : path-like
        Directory; created if missing. Pages are ``<kind>_p<NN>.png``, the
        index is ``index.csv``.
    heading : str
        What is reviewed (data set, split, detector), at the top of each page.
    cutout : int
        Side of each panel's window in pixels.
    grid : int
        Panels per page side.

    Returns
    -------
    list of pathlib.Path
        The index first, then the pages in kind order.
    """
    from astropy.visualization import ZScaleInterval

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for kind in REVIEW_KINDS:
        for stale in out.glob(f"{kind}_p*.png"):  # pages of an earlier, longer review would outlive the index
            stale.unlink()
    by_kind = {kind: [] for kind in REVIEW_KINDS}
    for sample, items, flagged in reviewed:
        limits = ZScaleInterval().get_limits(sample.image) if items else None
        for item in items:
            by_kind[item.kind].append((item, sample, limits, flagged))
    rows, pages = [], []
    per_page = grid * grid
    for kind, entries in by_kind.items():
        n_pages = math.ceil(len(entries) / per_page)
        for page in range(1, n_pages + 1):
            chunk = entries[(page - 1) * per_page:page * per_page]
            panels = [(number, *entry) for number, entry in enumerate(chunk, start=1)]
            path = out / f"{kind}_p{page:02d}.png"
            png = _page_png(kind, page, n_pages, panels, grid=grid, cutout=cutout, heading=heading)
            with atomic_path(path) as tmp:
                tmp.write_bytes(png)
            pages.append(path)
            rows += [{"page": path.name, "panel": number, **item.row(), "verdict": ""}
                     for number, item, *_ in panels]
    index = out / "index.csv"
    with atomic_path(index) as tmp, open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=INDEX_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(csv_row(row) for row in rows)
    return [index, *pages]
