"""Protocol sensitivity: the same cached maps of a job scored under every protocol preset.

:func:`protocol_sensitivity` runs a job's detect stage once (through the
runner, so maps already in the score cache are loaded, never re-detected)
and scores those maps under each preset of :mod:`crbench.scoring.presets`.
A row per preset tells how much of a number is the protocol rather than
the detector. :mod:`crbench.leaderboard.sensitivity` renders the rows.
"""

from pathlib import Path

from ..cache import ScoreCache, cache_root
from ..runner import image_sources, run_detector
from ..scoring.preset_scoring import score_preset
from ..scoring.presets import get_preset, preset_names
from ..uncertainty import BootstrapSettings
from .build import build_dataset, build_detector

__all__ = ["SENSITIVITY_METRICS", "protocol_sensitivity", "sensitivity_rows"]

#: The metrics of the sensitivity table, in column order.
SENSITIVITY_METRICS = ("tpr_at_fpr_1e-4", "tpr_at_fpr_1e-3", "purity_at_tpr_0.95", "f1")


def _row(job, dataset, preset, scores, *, n_images, n_from_cache):
    metrics = (scores or {}).get("metrics", {})
    row = {"detector": job.detector, "dataset": dataset.name, "version": str(dataset.card.version),
           "size": dataset.size, "split": job.split,
           "protocol": preset.name, "n_images": n_images, "n_from_cache": n_from_cache}
    for name in SENSITIVITY_METRICS:
        row[name] = (metrics.get(name) or {}).get("value")
    return row


def protocol_sensitivity(job, *, presets=None, subsample=True, cache_dir=None, device="cpu", limit=None,
                         progress=False):
    """Score one job's maps under every protocol preset.

    Parameters
    ----------
    job : Job
    presets : sequence of str, optional
        Preset names (default: all, crbench's first).
    subsample : bool
        Apply a preset's file subsampling (``xu2023``: 30 %); False scores
        every image under every preset, so rows differ by rules only.
    cache_dir : path-like, optional
        Score cache root.
    device : str
    limit : int, optional
        Only the first ``limit`` images.
    progress : bool

    Returns
    -------
    list of dict
        One row per preset: ``detector``, ``dataset``, ``version`` (of the
        data set), ``size``, ``split``,
        ``protocol``, ``n_images``, ``n_from_cache`` (images of the detect
        stage whose map came from the cache) and the values of
        :data:`SENSITIVITY_METRICS` (None where a protocol does not define one).
    """
    detector = build_detector(job.detector, job.params)
    dataset, dataset_kwargs = build_dataset(job.dataset, size=job.size, data_dir=job.data_dir)
    # the rows hold point values only: no bootstrap, no object pass for this detect-or-load run
    result = run_detector(detector, dataset, split=job.split, limit=limit, device=device, cache_dir=cache_dir,
                          progress=progress, dataset_kwargs=dataset_kwargs, object_scores=False,
                          bootstrap=BootstrapSettings(n_resamples=0))
    return sensitivity_rows(result, detector, dataset, job=job, cache_dir=cache_dir, presets=presets,
                            subsample=subsample)


def sensitivity_rows(result, detector, dataset, *, job, cache_dir=None, presets=None, subsample=True):
    """Score a finished crbench-protocol run's cached maps under every protocol preset.

    Parameters
    ----------
    result : crbench.runner.RunResult
        A run under crbench's protocol; its maps are in the score cache.
    detector : crbench.detectors.Detector
        The detector of that run (output kind, dilation, operating point).
    dataset : crbench.datasets.Dataset
    job : Job
        Names the detector and split in the rows.
    cache_dir : path-like, optional
        The score cache root the run used.
    presets : sequence of str, optional
    subsample : bool

    Returns
    -------
    list of dict
        As :func:`protocol_sensitivity`.
    """
    cache = ScoreCache(Path(cache_dir or cache_root()), detector_name=detector.name,
                       identity_hash=detector.identity_hash(), params_hash=detector.params_hash)
    scored = [outcome for outcome in result.outcomes if outcome.error is None]
    card, kind = dataset.card, detector.output_kind
    swept = kind == "mask" and bool(detector.sweep_values())
    rows = []
    for name in presets or preset_names():
        preset = get_preset(name)
        chosen = set(preset.select_images([outcome.sample_id for outcome in scored])) if subsample else None
        outcomes = [outcome for outcome in scored if chosen is None or outcome.sample_id in chosen]
        if not outcomes:
            scores = None  # a subsample of no image (e.g. 30 % of 3): nothing to report
        elif preset.is_default:
            scores = result.scores  # the run itself was scored under crbench's protocol (no subsampling)
        else:
            scores = score_preset(
                image_sources(outcomes, cache, kind=kind, loaders=result.output_loaders), preset=preset, kind=kind,
                card_truth_dilation=card.truth_dilation, card_ignore_policy=card.ignore_policy,
                detector_dilates=detector.dilate_output,
                operating_point=detector.operating_point if kind == "score" or swept else 0.0,
                sweep_values=result.sweep_values or detector.sweep_values() or [0.0],
            )
        rows.append(_row(job, dataset, preset, scores, n_images=len(outcomes), n_from_cache=result.n_from_cache))
    return rows
