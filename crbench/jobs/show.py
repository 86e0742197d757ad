"""``crbench datasets show``: a PNG of one sample of any data set, optionally with a detector's prediction.

The detector runs through the ordinary runner on the one sample shown
(:func:`crbench.jobs.review.flagged_masks`: the card's protocol or upstream
defaults, the score cache, the operating point of the run), so the colours
are the pixels a run's record counts there.
"""

from dataclasses import dataclass
from pathlib import Path

from ..atomic import atomic_path
from ..datasets import Dataset
from ..detectors.upstream_defaults import protocol_or_upstream
from ..errors import InputError
from ..review.sample_figure import plot_sample, prediction_classes
from .build import build_dataset, build_detector
from .review import flagged_masks

__all__ = ["ShowReport", "pick_sample_id", "show_sample"]


@dataclass
class ShowReport:
    """What :func:`show_sample` wrote.

    Attributes
    ----------
    path : pathlib.Path
        The PNG.
    sample_id : str
    note : str
        Why this sample (or that none of the split has CRs); "" for an explicit index.
    counts : dict or None
        True-positive, false-positive and missed CR pixels (with a detector).
    operating_point : float or None
    parameter_note : str
        The upstream-defaults note of a classical detector without card parameters ("" otherwise).
    """

    path: Path
    sample_id: str
    note: str = ""
    counts: dict | None = None
    operating_point: float | None = None
    parameter_note: str = ""


class _OneSample(Dataset):
    """One sample of a data set, seen as a data set (so the runner runs the detector on it alone)."""

    def __init__(self, dataset, split, sample_id):  # noqa: D107 -- no size or folder of its own
        self.card = dataset.card
        self.size = dataset.size
        self.data_dir = dataset.data_dir
        self._dataset, self._split, self._sample_id = dataset, split, sample_id

    def sample_ids(self, split):
        self.check_split(split)
        return [self._sample_id] if split == self._split else []

    def load_sample(self, split, sample_id):
        return self._dataset.load_sample(split, sample_id)


def pick_sample_id(dataset, split, *, index=None):
    """Return the sample id to show and why: ``index``, else the first sample whose truth has CR pixels.

    Returns
    -------
    sample_id : str
    note : str
        "" for an explicit index.

    Raises
    ------
    InputError
        An empty split or an index out of range.
    """
    ids = dataset.sample_ids(split)
    if not ids:
        raise InputError(f"{dataset.name} {split} holds no sample")
    if index is not None:
        if not 0 <= index < len(ids):
            raise InputError(f"--index must be in [0, {len(ids) - 1}] for {dataset.name} {split}")
        return ids[index], ""
    for position, sample_id in enumerate(ids):
        if dataset.load_sample(split, sample_id).truth.any():
            return sample_id, f"sample {position} ({sample_id}): the first of {split} with CR pixels"
    return ids[0], f"no sample of {split} has CR pixels; showing sample 0 ({ids[0]})"


def show_sample(name, *, output, size=None, split="test", index=None, data_dir=None, detector=None,
                detector_params=None, cache_dir=None, device="cpu"):
    """Write the PNG of one sample of data set ``name`` (:func:`crbench.review.sample_figure.plot_sample`).

    Parameters
    ----------
    name : str
        Registry name, stack folder or user card (as ``crbench run --dataset``).
    output : path-like
        The PNG file.
    size, split, data_dir
        Which data (as for ``crbench run``).
    index : int, optional
        Index of the sample in the split; default the first sample with CR pixels.
    detector : str, optional
        Overlay this detector's prediction at its operating point.
    detector_params : dict, optional
    cache_dir : path-like, optional
    device : str

    Returns
    -------
    ShowReport
    """
    dataset, _ = build_dataset(name, size=size, data_dir=data_dir)
    dataset.check_split(split)
    sample_id, note = pick_sample_id(dataset, split, index=index)
    sample = dataset.load_sample(split, sample_id).validated()
    title = f"{dataset.name} v{dataset.card.version} {dataset.size} {split} {sample_id}"
    report = ShowReport(path=Path(output), sample_id=sample_id, note=note)
    prediction = None
    if detector is not None:
        built = build_detector(detector, detector_params)
        _, source = protocol_or_upstream(built.name, dataset.card.protocol_for(built.name),
                                         user_params=built.user_params)
        report.parameter_note = "" if source is None else source["note"]
        masks, operating, protocol, failures = flagged_masks(built, _OneSample(dataset, split, sample_id),
                                                             split=split, cache_dir=cache_dir, device=device)
        if failures:
            raise InputError(f"{built.name} failed on {failures[0]}")
        classes, counts = prediction_classes(sample.truth, sample.ignore, masks[sample_id], protocol=protocol)
        prediction = {"classes": classes, "counts": counts, "label": f"{built.name} at {operating:g}"}
        report.counts, report.operating_point = counts, operating
    figure = plot_sample(sample, title=title, prediction=prediction)
    with atomic_path(output) as tmp:
        figure.savefig(tmp, format="png", dpi=90)
    return report
