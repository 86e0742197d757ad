"""Failure galleries for the leaderboard site, from a score cache (``crbench leaderboard site --cache-dir``).

For each current record, the detector named and parametrised as in the
record reads its cached outputs of the first ``images`` images of the split
(never running the detector: :func:`crbench.jobs.review.flagged_masks` with
``cached_only``), thresholds them at the operating point exactly as the
object-level scores do, and the site draws the largest false-positive
clusters and missed CR objects (:mod:`crbench.site.gallery`). A record whose
outputs are not cached (or whose detector is not installed, or whose data
set cannot be built here) gets a note saying so instead.
"""

from dataclasses import dataclass, field

from ..errors import CRBenchError
from ..review import review_items
from ..site.gallery import GALLERY_KINDS, gallery_png, worst_items
from .build import build_dataset, build_detector
from .review import flagged_masks

__all__ = ["Gallery", "failure_galleries"]


@dataclass
class Gallery:
    """The failure gallery of one record: PNG bytes per kind, or why there is none."""

    detector: str
    dataset_label: str
    pngs: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)
    n_images: int = 0
    note: str = ""


def _gallery(record, group, *, cache_dir, images, per_kind):
    gallery = Gallery(detector=record.detector.name, dataset_label=group.key.dataset_label)
    info = record.dataset
    try:
        dataset, _ = build_dataset(info.name, size=info.size or None)
        if str(dataset.card.version) != str(info.version):
            gallery.note = (f"not drawn: the record is of {info.name} version {info.version}, this crbench builds "
                            f"version {dataset.card.version}")
            return gallery
        detector = build_detector(record.detector.name, record.detector.params)
        masks, _, protocol, failures = flagged_masks(detector, dataset, split=info.split, limit=images,
                                                     cache_dir=cache_dir, cached_only=True)
    except (CRBenchError, ValueError) as error:
        gallery.note = f"not drawn: {error}"
        return gallery
    reviewed = []
    for sample_id, flagged in masks.items():
        sample = dataset.load_sample(info.split, sample_id).validated()
        reviewed.append((sample, review_items(sample, flagged=flagged, excludes_ignored=protocol.excludes_ignored),
                         flagged))
    gallery.n_images = len(reviewed)
    for kind in GALLERY_KINDS:
        gallery.counts[kind] = sum(item.kind == kind for _, items, _ in reviewed for item in items)
        png = gallery_png(worst_items(reviewed, kind, count=per_kind))
        if png is not None:
            gallery.pngs[kind] = png
    if failures:
        gallery.note = f"{len(failures)} image(s) failed and are not shown"
    return gallery


def failure_galleries(collection, *, cache_dir, images=16, per_kind=8):
    """Failure galleries of every current crbench-protocol record.

    Parameters
    ----------
    collection : crbench.leaderboard.collect.Collection
    cache_dir : path-like
        The score cache the records' runs wrote (``crbench run --cache-dir``).
    images : int
        The first ``images`` images of each split are reviewed (the cost
        grows with them; the cutouts are of the largest errors among them).
    per_kind : int
        Cutouts per kind and data set.

    Returns
    -------
    dict
        ``{(detector name, data set label): Gallery}``.
    """
    galleries = {}
    for group in collection.groups:
        if group.not_comparable is not None:
            continue
        for record in group.records:
            galleries[(record.detector.name, group.key.dataset_label)] = _gallery(
                record, group, cache_dir=cache_dir, images=images, per_kind=per_kind)
    return galleries
