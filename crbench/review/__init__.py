"""Galleries for checking a data set's truth, and a detector's errors against it, by eye.

:mod:`crbench.review.items` lists the components to look at (the object
scores' definitions); :mod:`crbench.review.gallery` draws them on PNG pages
with an index CSV. ``crbench datasets review`` runs both
(:func:`crbench.jobs.review.review_dataset`).
"""

from .gallery import DEFAULT_GRID, INDEX_COLUMNS, cutout_window, write_gallery
from .items import REVIEW_KINDS, ReviewItem, review_items

__all__ = ["DEFAULT_GRID", "INDEX_COLUMNS", "REVIEW_KINDS", "ReviewItem", "cutout_window", "review_items",
           "write_gallery"]
