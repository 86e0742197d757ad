"""The runner's object-level pass over cached detector outputs.

After the pixel passes, :func:`score_objects` reads each scored image's
cached output once more (the digest taken when it was stored is checked,
as in the pixel passes), takes the prediction at the detector's operating
point under the same pixel protocol, and counts CR objects, false-positive
objects and their strata (:mod:`crbench.scoring.objects`). Truth and ignore
come from the outcomes; the object table, source model and PSF come from
the sample, loaded again from the data set (simulated sets read their
cached file). The result is the optional ``objects`` section of the run
record.
"""

from tqdm.auto import tqdm

from .outputs import output_loader
from .scoring.object_stream import ObjectSource, object_stream
from .scoring.objects import DEFAULT_OBJECT_OPTIONS, ObjectExtras

__all__ = ["operating_setting", "score_objects"]


def operating_setting(detector, values=None):
    """The sweep values and the operating point at which a run's outputs are thresholded.

    Parameters
    ----------
    detector : crbench.detectors.Detector
        After the card's protocol was applied (its output kind, operating
        point and sweep values).
    values : list of float, optional
        The swept values of a mask detector's outputs (default its grid).

    Returns
    -------
    values : list of float or None
        The values of a mask stack, in stack order (None for score maps).
    operating_point : float
        The threshold of a score map, or the sweep value whose mask is taken
        (0.0 for a mask detector without a sweep: its only mask).
    """
    if detector.output_kind == "mask":
        values = values or detector.sweep_values() or [0.0]
        return values, detector.operating_point if detector.sweep_values() else 0.0
    return None, detector.operating_point


def score_objects(detector, dataset, split, outcomes, cache, *, card, ignore_policy, progress=False,
                  options=DEFAULT_OBJECT_OPTIONS, loaders=None, values=None):
    """Object-level scores of a run's scored images at the operating point.

    Parameters
    ----------
    detector : crbench.detectors.Detector
        Its output kind, output dilation, operating point and sweep values.
    dataset : crbench.datasets.Dataset
        Where each sample's extras are loaded from.
    split : str
    outcomes : list of crbench.runner.ImageOutcome
        The images that were scored (no failures).
    cache : crbench.cache.ScoreCache
    card : crbench.datasets.DatasetCard
    ignore_policy : {"exclude", "negative"}
    progress : bool
    options : ObjectOptions
    loaders : dict, optional
        ``{sample_id: load_output}`` replacing the score-cache look-up (an
        adaptive sweep's per-value caches; see :func:`crbench.runner.image_sources`).
    values : list of float, optional
        The swept values of a mask detector's outputs (default its grid).

    Returns
    -------
    dict or None
        The ``objects`` section (:func:`crbench.scoring.object_stream.object_stream`).
    """
    protocol = card.pixel_protocol(dilate_output=detector.dilate_output, ignore_policy=ignore_policy)
    kind = detector.output_kind
    values, operating = operating_setting(detector, values)
    sources = [
        ObjectSource(
            outcome.sample_id,
            load_masks=lambda outcome=outcome: (outcome.unpack("truth"), outcome.unpack("ignore")),
            load_output=output_loader(outcome, cache, kind=kind, loaders=loaders),
            load_extras=lambda outcome=outcome: ObjectExtras.from_sample(
                dataset.load_sample(split, outcome.sample_id)
            ),
        )
        for outcome in outcomes
    ]

    def bars(items, desc):
        return tqdm(items, desc=desc, disable=not progress, unit="img", leave=False)

    return object_stream(sources, protocol=protocol, kind=kind, operating_point=operating, values=values,
                         options=options, progress=bars)
