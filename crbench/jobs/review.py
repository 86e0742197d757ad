"""``crbench datasets review``: galleries of a data set's truth objects and, with a detector, of its errors.

Without a detector every truth CR object of the reviewed images gets a
panel. With one, the detector runs through the ordinary runner
(:func:`crbench.runner.run_detector`: the card's protocol parameters, the
score cache, an adaptive sweep where the detector has one; bootstrap and
object pass off) and each image's cached output is thresholded at the
run's operating point exactly as the object-level scores do
(:func:`crbench.object_pass.operating_setting`,
:func:`crbench.scoring.objects.operating_mask`), so the false-positive
clusters and missed objects on the pages are the ones the record counts.
"""

from dataclasses import dataclass, field

from ..errors import InputError
from ..object_pass import operating_setting
from ..outputs import output_loader
from ..review import DEFAULT_GRID, REVIEW_KINDS, review_items, write_gallery
from ..runner import detector_cache, run_detector
from ..scoring.objects import operating_mask
from ..uncertainty import BootstrapSettings
from .build import build_dataset, build_detector

__all__ = ["ReviewReport", "flagged_masks", "review_dataset"]


@dataclass
class ReviewReport:
    """What a review wrote.

    Attributes
    ----------
    paths : list of pathlib.Path
        The index CSV, then the PNG pages.
    counts : dict of str to int
        Panels per kind (``truth``, ``fp``, ``missed``).
    n_images : int
    operating_point : float or None
        The threshold or sweep value the detector's output was cut at (None without a detector).
    failures : list of str
        Images the detector failed on (not reviewed).
    """

    paths: list
    counts: dict
    n_images: int
    operating_point: float | None = None
    failures: list = field(default_factory=list)


def flagged_masks(detector, dataset, *, split="test", limit=None, threshold=None, cache_dir=None, device="cpu",
                  progress=False, cached_only=False):
    """Run ``detector`` on ``dataset[split]`` and return each image's flagged pixels at the operating point.

    Parameters
    ----------
    detector : crbench.detectors.Detector
    dataset : crbench.datasets.Dataset
    split : str
    limit : int, optional
        The first ``limit`` images only.
    threshold : float, optional
        Overrides the operating point: a score threshold in [0, 1], or one
        of a mask detector's sweep values.
    cache_dir : path-like, optional
    device : str
    progress : bool
    cached_only : bool
        Read every output from the score cache and never run the detector
        (an image without a cached output raises InputError).

    Returns
    -------
    masks : dict of str to ndarray of bool
        ``{sample_id: flagged}`` after the detector's output dilation.
    operating_point : float
    protocol : crbench.scoring.PixelProtocol
        The run's pixel protocol (its ignore policy decides which FP clusters count).
    failures : list of str
        ``"<sample id>: <error>"`` of images the detector failed on.
    """
    result = run_detector(detector, dataset, split=split, limit=limit, device=device, cache_dir=cache_dir,
                          keep_going=True, progress=progress, object_scores=False,
                          bootstrap=BootstrapSettings(n_resamples=0), cached_only=cached_only)
    values, operating = operating_setting(detector, result.sweep_values)
    if threshold is not None:
        if detector.output_kind == "score" and not 0.0 <= threshold <= 1.0:
            raise InputError(f"--threshold {threshold} is outside [0, 1], the range of {detector.name}'s scores")
        operating = threshold
    protocol = dataset.card.pixel_protocol(dilate_output=detector.dilate_output, ignore_policy=result.ignore_policy)
    cache = detector_cache(detector, cache_dir=cache_dir)
    masks, failures = {}, []
    for outcome in result.outcomes:
        if outcome.error is not None:
            failures.append(f"{outcome.sample_id}: {outcome.error}")
            continue
        prediction = output_loader(outcome, cache, kind=detector.output_kind, loaders=result.output_loaders)()
        masks[outcome.sample_id] = operating_mask(prediction, protocol=protocol, kind=detector.output_kind,
                                                  operating_point=operating, values=values,
                                                  sample_id=outcome.sample_id)
    return masks, operating, protocol, failures


def review_dataset(name, *, out, split="test", size=None, data_dir=None, detector=None, detector_params=None,
                   threshold=None, limit=None, cutout=32, grid=DEFAULT_GRID, cache_dir=None, device="cpu",
                   progress=False):
    """Write review galleries of data set ``name`` (and of ``detector``'s errors on it) to ``out``.

    Parameters
    ----------
    name : str
        Registry name (``"decam_stack"``, ``"sim_decam@2"``).
    out : path-like
        Directory for the pages and ``index.csv``.
    split, size, data_dir
        Which images (as for ``crbench run``).
    detector : str, optional
        Registry name; adds false-positive and missed panels.
    detector_params : dict, optional
    threshold : float, optional
        Cut the detector's output here instead of at its operating point.
    limit : int, optional
        Review the first ``limit`` images of the split only.
    cutout : int
        Panel window side in pixels.
    grid : int
        Panels per page side.
    cache_dir : path-like, optional
    device : str
    progress : bool

    Returns
    -------
    ReviewReport
    """
    if threshold is not None and detector is None:
        raise InputError("--threshold needs --detector")
    if cutout < 4:
        raise InputError(f"--cutout must be at least 4 pixels, got {cutout}")
    dataset, _ = build_dataset(name, size=size, data_dir=data_dir)
    dataset.check_split(split)
    masks = operating = None
    failures = []
    excludes_ignored = True
    heading = f"{dataset.name} v{dataset.card.version} ({dataset.size}/{split})"
    if detector is not None:
        built = build_detector(detector, detector_params)
        masks, operating, protocol, failures = flagged_masks(built, dataset, split=split, limit=limit,
                                                             threshold=threshold, cache_dir=cache_dir, device=device,
                                                             progress=progress)
        excludes_ignored = protocol.excludes_ignored
        heading += f", {built.name} at {operating:g}"
    ids = dataset.sample_ids(split)[:limit] if limit is not None else dataset.sample_ids(split)
    if masks is not None:
        ids = [sample_id for sample_id in ids if sample_id in masks]

    def reviewed():
        for sample_id in ids:
            sample = dataset.load_sample(split, sample_id).validated()
            flagged = None if masks is None else masks[sample_id]
            yield sample, review_items(sample, flagged=flagged, excludes_ignored=excludes_ignored), flagged

    collected = list(reviewed())
    counts = {kind: sum(item.kind == kind for _, items, _ in collected for item in items) for kind in REVIEW_KINDS}
    paths = write_gallery(collected, out, heading=heading, cutout=cutout, grid=grid)
    return ReviewReport(paths=paths, counts=counts, n_images=len(ids), operating_point=operating, failures=failures)
