"""Run one detector over one data set split and score it.

The run has three stages, each restartable:

1. **Detect.** For every image: load and validate the sample, convert it to
   the detector's units, run the detector (or a whole parameter sweep for
   mask detectors) and cache the output atomically. Cached outputs are
   reused, so an interrupted run resumes where it stopped. With ``jobs > 1``,
   ``isolate`` or a ``timeout`` images are processed in worker processes
   (:mod:`crbench.isolation`), each of which sets the detector up once; a
   worker that times out or dies fails only its image and is replaced.
   Otherwise detection runs in this process.
2. **Pass 1 of scoring.** Read the cached outputs and collect the scores of
   truth pixels (see :mod:`crbench.scoring`); mask sweeps are counted
   directly.
3. **Pass 2 of scoring.** Read the outputs again and count negatives on the
   global threshold grid; sum the per-image states and derive the metrics.

A detector that raises on one image (anything but ``KeyboardInterrupt``,
``SystemExit`` included) does not stop the others: its failure is recorded; by default the run then fails loudly with the list, and with
``keep_going=True`` the record is written marked ``partial``. A run in which
no image could be scored always fails. A score cache that cannot be written
is this machine's problem, not the detector's: it stops the run with a
:class:`~crbench.errors.StorageError` naming the path. A detector whose
``setup()`` raises (in this process or in a worker) stops the run with that
error, never with a bare ``BrokenProcessPool``.
"""

import contextlib
import copy
import os
import time
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from . import scoring
from .cache import ScoreCache, cache_root, detection_input_sha256
from .datasets import sample_sha256
from .detectors.plugin_checks import set_up_detector
from .detectors.upstream_defaults import protocol_or_upstream
from .device import check_device, device_label, resolve_device
from .environment import peak_rss_bytes, thread_counts
from .errors import DetectorFailedError, InputError, ShapeMismatchError, WorkersCappedWarning
from .executors import DaskTarget, choose_executor, dask_client, detect_on_dask, gpu_resources, total_threads
from .inference_backend import selected_backend, set_backend
from .inputs import prepare_input
from .isolation import WorkerPool
from .object_pass import score_objects
from .outputs import output_loader
from .scoring.preset_scoring import score_preset
from .scoring.presets import get_preset
from .sharding import shard_sample_ids
from .uncertainty import BootstrapSettings
from .uncertainty.objects import bootstrap_object_metrics
from .writable import storage_error

__all__ = ["ImageOutcome", "RunResult", "capped_workers", "detection_pool", "detector_cache", "detector_error_text",
           "failed_outcome", "image_sources", "run_detector", "run_device", "save_output", "uses_workers",
           "validate_prediction"]


@dataclass
class ImageOutcome:
    """What happened to one image in the detect stage.

    ``sha256`` is the sample's content hash (the data set manifest's),
    ``input_sha256`` the score cache key (the sample plus the metadata the
    detector saw), ``map_sha256`` the hash of the cached output's bytes,
    which both scoring passes check. ``stratum`` is the sample's value of
    the card's ``bootstrap_strata`` field (None without one). ``device`` is
    the device the detector ran on for this image, resolved in the process
    that ran it (``"cpu"``, ``"cuda:0"``); None when the output came from
    the cache or the image failed before its detector was called.
    """

    sample_id: str
    shape: tuple
    n_nonfinite: int
    sha256: str
    truth_packed: np.ndarray | None
    ignore_packed: np.ndarray | None
    input_sha256: str | None = None
    map_sha256: str | None = None
    detect_seconds: float | None = None
    torch_threads: int | None = None
    from_cache: bool = False
    error: str | None = None
    traceback: str | None = None
    stratum: str | None = None
    device: str | None = None

    def unpack(self, name):
        """Return the bool mask ``name`` ("truth" or "ignore") at full shape."""
        packed = getattr(self, f"{name}_packed")
        n_pixels = int(np.prod(self.shape))
        return np.unpackbits(packed, count=n_pixels).astype(bool).reshape(self.shape)


@dataclass
class RunResult:
    """Everything a run measured, before it is turned into a record.

    It holds snapshots taken when the run ended, never the live detector or
    data set, so a record built from it cannot pick up later changes of
    those objects.

    Attributes
    ----------
    detector_info : dict
        ``detector.info()`` after the card's protocol was applied, with
        ``parameter_source`` (:func:`crbench.detectors.upstream_defaults.parameter_source`)
        when a classical detector ran at upstream defaults.
    dataset_info : dict
        ``dataset.info(split)``.
    truth_dilation : int
        The card's truth dilation the run was scored with.
    n_sweep_values : int
        Values of the swept parameter of a mask detector (0 for score detectors).
    peak_rss_bytes : int
        Peak resident memory of the running process and its workers, measured by the runner.
    objects : dict or None
        The ``objects`` record section (:mod:`crbench.object_pass`); None when the pass was skipped.
    protocol : str
        Name of the protocol preset the run was scored under.
    sweep_refinement : dict or None
        The history of an adaptive sweep (:mod:`crbench.adaptive_sweep`); None for a fixed one.
    sweep_values : list of float or None
        The swept values the masks were scored at (the final grid of an
        adaptive sweep); None for score detectors.
    output_loaders : dict or None
        ``{sample_id: load_output}`` when the outputs are not single entries
        of the detector's score cache (adaptive sweeps keep one entry per
        value); later passes over the run's outputs use them.
    n_images_available : int or None
        Images in the split before ``limit`` (None when not known); a run
        that scored fewer is a subset run.
    limit : int or None
        The ``limit`` the run was given.
    shard : crbench.sharding.Shard or None
        The shard of the split's images this run scored (``--shard``); None
        for a run over the whole split.
    isolated : bool
        True when detection ran in worker processes (``jobs > 1``,
        ``isolate`` or a ``timeout``; :func:`uses_workers`).
    timeout_seconds : float or None
        The per-image timeout of the detect stage (None: no limit).
    executor : str or None
        Where the detect stage ran (:mod:`crbench.executors`): ``"local"``,
        ``"processes"`` or ``"dask"``.
    """

    split: str
    ignore_policy: str
    device: str
    jobs: int
    setup_seconds: float
    outcomes: list
    scores: dict
    wall_seconds: float
    detector_info: dict
    dataset_info: dict
    truth_dilation: int
    n_sweep_values: int
    peak_rss_bytes: int
    objects: dict | None = None
    protocol: str = "crbench"
    sweep_refinement: dict | None = None
    sweep_values: list | None = None
    output_loaders: dict | None = field(default=None, repr=False, compare=False)
    n_images_available: int | None = None
    limit: int | None = None
    shard: object = None
    isolated: bool = False
    timeout_seconds: float | None = None
    executor: str | None = None

    @property
    def is_subset(self):
        """True when ``limit`` left out some of the split's images (the record is then a ``subset``)."""
        return (self.limit is not None and self.n_images_available is not None
                and self.limit < self.n_images_available)

    @property
    def failures(self):
        """Outcomes whose detector call raised."""
        return [outcome for outcome in self.outcomes if outcome.error is not None]

    @property
    def n_from_cache(self):
        """Number of images whose output came from the score cache instead of the detector."""
        return sum(outcome.from_cache for outcome in self.outcomes)


def validate_prediction(prediction, *, shape, output_kind, n_sweep, sample_id, detector_name):
    """Check a detector output against its declared contract.

    Parameters
    ----------
    prediction : ndarray
        The output of ``detect`` (score map or mask) or ``detect_sweep``.
    shape : tuple of int
        The image shape.
    output_kind : {"score", "mask"}
    n_sweep : int
        Number of sweep values (mask detectors); 0 for a single mask.
    sample_id, detector_name : str
        Used in error messages.

    Returns
    -------
    ndarray
        float32 scores or bool masks.

    Raises
    ------
    ShapeMismatchError, InputError
    """
    prediction = np.asarray(prediction)
    where = f"detector {detector_name!r} on image {sample_id!r}"
    expected = tuple(shape) if not n_sweep else (n_sweep,) + tuple(shape)
    if prediction.shape != expected:
        raise ShapeMismatchError(f"{where} returned shape {prediction.shape}, expected {expected}")
    if output_kind == "mask":
        return scoring.validate_masks(prediction, sample_id=sample_id)
    if not np.issubdtype(prediction.dtype, np.floating):
        raise InputError(f"{where}: a score detector must return floats in [0, 1], got {prediction.dtype}")
    prediction = prediction.astype(np.float32, copy=False)
    low, high = np.min(prediction), np.max(prediction)
    if not (np.isfinite(low) and np.isfinite(high)) or low < 0 or high > 1:
        n_bad = int(np.count_nonzero(~np.isfinite(prediction) | (prediction < 0) | (prediction > 1)))
        raise InputError(
            f"{where} returned {n_bad} scores outside [0, 1] or non-finite (range {low!r}..{high!r}); "
            "score detectors must return probabilities"
        )
    return prediction


def new_outcome(sample, *, sample_id, card):
    """The :class:`ImageOutcome` of a validated sample before detection.

    Holds its checksums, packed truth and ignore masks, the detection-input
    digest (the cache key) and its bootstrap stratum: the sample's value of
    the card's ``bootstrap_strata`` field, when the card names one.
    """
    outcome = ImageOutcome(
        sample_id=sample_id,
        shape=tuple(sample.image.shape),
        n_nonfinite=int(sample.extras.get("n_nonfinite", 0)),
        sha256=sample_sha256(sample),
        truth_packed=np.packbits(sample.truth.ravel()),
        ignore_packed=np.packbits(sample.ignore.ravel()),
    )
    strata_field = card.bootstrap_strata
    if strata_field is not None and getattr(sample.meta, strata_field, None) is not None:
        outcome.stratum = str(getattr(sample.meta, strata_field))
    outcome.input_sha256 = detection_input_sha256(outcome.sha256, sample.meta)
    return outcome


def _detect_image(detector, dataset, split, sample_id, cache, *, fresh=False, cached_only=False, device=None):
    """Detect stage for one image; never raises for detector errors.

    With ``cached_only`` an image without a valid cached output raises
    :class:`~crbench.errors.InputError` instead of running the detector.
    ``device`` is the label of the device this process set the detector up
    on (:func:`crbench.device.device_label`), recorded on the outcome when
    the detector runs.
    """
    sample = dataset.load_sample(split, sample_id).validated()
    outcome = new_outcome(sample, sample_id=sample_id, card=dataset.card)
    # a damaged entry is removed with a warning naming it, and recomputed
    cached = None if fresh else cache.load_valid(outcome.input_sha256, shape=outcome.shape, kind=detector.output_kind)
    if cached is not None:
        outcome.map_sha256 = cached[1]
        outcome.from_cache = True
        return outcome
    if cached_only:
        raise InputError(f"no cached output of detector {detector.name!r} for image {sample_id!r} of "
                         f"{dataset.name}/{split} in {cache.directory}: the run needs every image's output "
                         "from the score cache (e.g. the cache the shards wrote: pass --cache-dir)")
    outcome.device = device
    try:
        image, meta = prepare_input(sample, detector=detector)
        start = time.perf_counter()
        if detector.output_kind == "mask" and detector.sweep_parameter is not None:
            prediction = detector.detect_sweep(image, meta=meta)
            n_sweep = len(detector.sweep_values())
        else:
            prediction = detector.detect(image, meta=meta)
            n_sweep = 0
        outcome.detect_seconds = time.perf_counter() - start
        # torch results differ in the last bits between thread counts (up to 1.8e-5 for the U-Nets)
        outcome.torch_threads = thread_counts()["torch_threads"]
        prediction = validate_prediction(
            prediction,
            shape=outcome.shape,
            output_kind=detector.output_kind,
            n_sweep=n_sweep,
            sample_id=sample_id,
            detector_name=detector.name,
        )
        if detector.output_kind == "mask" and not n_sweep:
            prediction = prediction[np.newaxis]
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: BLE001 - a detector may raise anything, even SystemExit; it is recorded
        outcome.error = detector_error_text(error)
        outcome.traceback = traceback.format_exc()
        return outcome
    # outside the try: a cache that cannot be written is an I/O problem of this machine, not the detector's
    outcome.map_sha256 = save_output(cache, outcome.input_sha256, prediction, replace=fresh,
                                     dataset=dataset.name)
    return outcome


def detector_error_text(error):
    """The per-image failure message of an exception a detector raised.

    ``"RuntimeError: message"`` for an ``Exception``; a ``BaseException``
    that is not one (``SystemExit``, ``GeneratorExit``), which would
    otherwise end the whole run, reads ``"detector raised SystemExit(3)"``.
    """
    if isinstance(error, Exception):
        return f"{type(error).__name__}: {error}"
    return f"detector raised {error!r}"


def failed_outcome(dataset, split, sample_id, error):
    """The :class:`ImageOutcome` of an image whose worker timed out or died; ``error`` says which.

    The sample is read again here (the worker's reading was lost with it),
    so the outcome names the same checksums as one that worked.
    """
    sample = dataset.load_sample(split, sample_id).validated()
    outcome = new_outcome(sample, sample_id=sample_id, card=dataset.card)
    outcome.error = error
    return outcome


def save_output(cache, input_sha256, prediction, *, replace, dataset=None):
    """``cache.save(...)``, with an ``OSError`` turned into a :class:`~crbench.errors.StorageError` naming the path.

    ``dataset`` (the data set's name) goes to the cache's index for
    ``crbench cache info`` and ``crbench cache clear --dataset``.

    Returns
    -------
    str
        The entry's digest (:meth:`crbench.cache.ScoreCache.save`).
    """
    try:
        return cache.save(input_sha256, prediction, replace=replace, dataset=dataset)
    except OSError as error:
        raise storage_error(error, path=cache.path(input_sha256), what="the score cache",
                            fix="free space, or point --cache-dir (or $CRBENCH_CACHE) at a folder you can write; "
                                "nothing is wrong with the detector") from error


def capped_workers(jobs):
    """``jobs`` lowered to the CPUs this process may use, with a :class:`~crbench.errors.WorkersCappedWarning` if lowered.

    More worker processes than CPUs only add memory and start-up time (and
    an absurd number overflows the OS's semaphore limit).
    """
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 1
    if jobs <= usable:
        return jobs
    warnings.warn(f"--jobs {jobs} is more than the {usable} CPU(s) this process may use; running {usable} worker "
                  "process(es)", WorkersCappedWarning, stacklevel=3)
    return usable


# Worker-process state: each worker builds and sets up its detector once.
_WORKER = {}


def _worker_init(detector_factory, dataset_factory, device, cache):
    """Initializer of a :class:`~crbench.isolation.WorkerPool` worker; its errors reach the parent.

    ``device`` (as requested: ``"auto"``, ``"cpu"``, ``"cuda"``) is resolved
    here, in the worker, since the workers of one run need not share hardware;
    ``"cuda"`` on a worker without a GPU raises :class:`~crbench.errors.InputError`.
    """
    resolved = resolve_device(device)
    detector = detector_factory()
    set_up_detector(detector, device=resolved)
    _WORKER.update(detector=detector, dataset=dataset_factory(), cache=cache, device=device_label(resolved))


def worker_state():
    """The worker's ``{detector, dataset, cache, device}`` (``device``: the label of the device it resolved)."""
    return _WORKER


def detection_pool(detector, dataset, *, jobs, device, cache, dataset_kwargs=None, timeout=None):
    """A :class:`~crbench.isolation.WorkerPool` whose workers each build and set up ``detector`` once.

    Parameters
    ----------
    detector, dataset
        Rebuilt in every worker from their class and parameters
        (``dataset_kwargs``, default ``{"size": dataset.size}``).
    jobs : int
        Worker processes.
    device : str
    cache
        The worker's ``cache`` (a :class:`~crbench.cache.ScoreCache` or
        the adaptive sweep's per-value caches).
    timeout : float, optional
        Seconds per image (None: no limit).
    """
    return WorkerPool(
        jobs,
        initializer=_worker_init,
        initargs=(_Factory(type(detector), dict(detector.params), selected_backend()),
                  _Factory(type(dataset), dict(dataset_kwargs or {"size": dataset.size})), device, cache),
        timeout=timeout,
    )


def _worker_detect(split, sample_id, fresh):
    state = worker_state()
    return _detect_image(state["detector"], state["dataset"], split, sample_id, state["cache"], fresh=fresh,
                         device=state["device"])


def _dask_detect_chunk(key, detector_factory, dataset_factory, device, cache, split, fresh, sample_ids):
    """A Dask task: detect ``sample_ids`` in this worker, setting the detector up once per run configuration ``key``.

    A worker that cannot provide the requested ``device`` (``"cuda"`` without
    a GPU) fails the images of its chunk with that error, naming the worker;
    the other workers' images are not affected.
    """
    if _WORKER.get("key") != key:
        try:
            resolve_device(device)
        except InputError as error:
            _WORKER.clear()
            dataset = dataset_factory()
            text = f"{type(error).__name__} on dask worker {_dask_worker_address()}: {error}"
            return [failed_outcome(dataset, split, sample_id, text) for sample_id in sample_ids]
    state = dask_worker_state(key, detector_factory, dataset_factory, device, cache)
    return [_detect_image(state["detector"], state["dataset"], split, sample_id, cache, fresh=fresh,
                          device=state["device"])
            for sample_id in sample_ids]


def _dask_worker_address():
    """The address of the Dask worker running this task (``"?"`` outside one)."""
    from distributed import get_worker  # only ever called inside a Dask task

    try:
        return get_worker().address
    except ValueError:
        return "?"


@dataclass(frozen=True)
class _Factory:
    """Picklable recipe that rebuilds a detector or data set in a worker.

    ``backend`` carries the parent's inference engine
    (:func:`crbench.inference_backend.selected_backend`) to the worker, which
    selects it before building the detector: a worker of a remote Dask
    cluster does not share the parent's environment.
    """

    cls: type
    kwargs: dict
    backend: str | None = None

    def __call__(self):
        if self.backend is not None:
            set_backend(self.backend)
        return self.cls(**self.kwargs)


def detector_cache(detector, *, cache_dir=None):
    """The :class:`~crbench.cache.ScoreCache` of ``detector``'s outputs (keyed by its identity and parameters).

    Parameters
    ----------
    detector : crbench.detectors.Detector
        After the card's protocol was applied: its parameters are part of the key.
    cache_dir : path-like, optional
        Cache root (default :func:`crbench.cache.cache_root`).
    """
    return ScoreCache(
        Path(cache_dir or cache_root()),
        detector_name=detector.name,
        identity_hash=detector.identity_hash(),
        params_hash=detector.params_hash,
    )


def uses_workers(*, jobs, isolate=False, timeout=None):
    """True when detection runs in worker processes: with ``jobs > 1``, ``isolate`` or a ``timeout``.

    Otherwise it runs in this process (the fast path: no start-up, no
    copying of outputs between processes), where nothing can be killed.
    """
    return jobs > 1 or bool(isolate) or timeout is not None


def _detector_info(detector, parameter_source):
    """``detector.info()``, plus ``parameter_source`` when the run used upstream defaults (other records unchanged)."""
    info = copy.deepcopy(detector.info())
    if parameter_source is not None:
        info["parameter_source"] = copy.deepcopy(parameter_source)
    return info


def run_detector(
    detector,
    dataset,
    *,
    split="test",
    limit=None,
    device="cpu",
    ignore_policy=None,
    jobs=1,
    cache_dir=None,
    keep_going=False,
    progress=True,
    dataset_kwargs=None,
    fresh=False,
    object_scores=True,
    protocol="crbench",
    bootstrap=None,
    isolate=False,
    timeout=None,
    shard=None,
    cached_only=False,
    executor=None,
    scheduler=None,
    priority=0,
):
    """Run ``detector`` over ``dataset[split]`` and score it.

    Parameters
    ----------
    detector : crbench.detectors.Detector
        A constructed detector; the data set card's protocol parameters are
        applied to it (explicit user parameters win).
    dataset : crbench.datasets.Dataset
    split : str
    limit : int, optional
        Score only the first ``limit`` images.
    device : {"cpu", "cuda", "auto"}
        Resolved in the process that detects: here for the local executor,
        in each worker otherwise (a Dask cluster's workers may differ).
        ``"cuda"`` where PyTorch sees no GPU is an error: here or in a
        ``processes`` worker it stops the run; on a Dask worker it fails
        that worker's images. Each outcome records its device
        (``ImageOutcome.device``).
    ignore_policy : {"exclude", "negative", "zero"}, optional
        Defaults to the card's policy (crbench's protocol only: another
        preset fixes it, and passing one raises InputError).
    jobs : int
        Worker processes for the detect stage (1 = in this process).
    cache_dir : path-like, optional
        Cache root (default :func:`crbench.cache.cache_root`).
    keep_going : bool
        Score the images that worked even if some failed.
    progress : bool
        Show progress bars.
    dataset_kwargs : dict, optional
        Keyword arguments that rebuild ``dataset`` in worker processes.
    fresh : bool
        Ignore cached outputs: run the detector on every image and supersede
        its cache entries.
    object_scores : bool
        Also count CR objects, false-positive objects and their strata at
        the operating point (:mod:`crbench.object_pass`).
    protocol : str or ProtocolPreset
        The evaluation protocol (:mod:`crbench.scoring.presets`); a preset
        that subsamples evaluates only its subset of the (limited) images.
    bootstrap : BootstrapSettings, optional
        Bootstrap intervals of every metric (default: :class:`BootstrapSettings`
        defaults; ``BootstrapSettings(n_resamples=0)`` switches them off).
    isolate : bool
        Run detection in worker processes (:mod:`crbench.isolation`) even
        with ``jobs == 1``, so that a detector that crashes or exits its
        process fails only the image it was working on.
    timeout : float, optional
        Seconds one image's detect stage may take in its worker before the
        worker is killed and the image recorded as failed ("timed out after
        N s"); implies ``isolate``.
    shard : crbench.sharding.Shard, optional
        Score only this shard of the split's images
        (:func:`crbench.sharding.shard_sample_ids`, applied after a preset's
        image selection); not with ``limit`` or an adaptive sweep, whose grid
        depends on every image.
    cached_only : bool
        Read every output from the score cache and never run the detector
        (it is not even set up); an image without a cached output raises
        InputError. Used by :func:`crbench.jobs.merge.merge_shards`.
    executor : {"local", "processes", "dask"}, optional
        Where the detect stage runs (:mod:`crbench.executors`; default
        ``processes`` with ``jobs > 1``, ``isolate`` or ``timeout``, else
        ``local``). ``dask`` starts a LocalCluster of ``jobs`` worker
        processes unless ``scheduler`` names a running cluster; scoring
        runs here from the cached outputs whichever executor detected, so
        the metrics are identical.
    scheduler : str or distributed.Client, optional
        Address of a Dask scheduler, or a connected client that is used and
        left open (``executor="dask"``; default ``$DASK_SCHEDULER_ADDRESS``,
        else a LocalCluster).
    priority : int
        Priority of this run's Dask tasks on a cluster shared with other
        runs (higher starts first; :func:`crbench.jobs.graph.run_jobs_on_dask`).

    Without ``isolate``, ``timeout`` and ``jobs > 1`` detection runs in this
    process, unchanged. In worker processes (:func:`uses_workers`) an image
    whose worker times out or dies (a segfault, ``os._exit``) is a failed
    image like one whose detector raised, and the worker is replaced.

    Mask detectors with a ``sweep_refinement`` parameter run an adaptive
    sweep (:mod:`crbench.adaptive_sweep`): the grid, then only the values
    that bracket the FPR targets, each value's masks cached on their own.

    Returns
    -------
    RunResult

    Raises
    ------
    DetectorFailedError
        When any image failed and ``keep_going`` is False (after every image
        has been tried, so the cache holds all that worked).
    InputError
        When ``timeout`` is not a positive number, ``shard`` is combined with
        ``limit`` or an adaptive sweep, ``cached_only`` with ``fresh`` or
        worker processes, (``cached_only``) an output is not cached, or the
        executor does not go with the other options
        (:func:`crbench.executors.choose_executor`).
    """
    started = time.perf_counter()
    jobs = capped_workers(jobs)
    if timeout is not None and not (isinstance(timeout, (int, float)) and timeout > 0):
        raise InputError(f"timeout must be a positive number of seconds, got {timeout!r}")
    executor = choose_executor(executor, jobs=jobs, isolate=isolate, timeout=timeout)
    in_workers = executor != "local"
    if shard is not None and limit is not None:
        raise InputError("--shard and --limit cannot be combined: a shard is part of a whole run, which --limit "
                         "is not; drop one of them")
    if cached_only and (fresh or in_workers):
        raise InputError("reading every output from the score cache needs fresh=False and no worker processes")
    card = dataset.card
    # one rule (crbench.detectors.upstream_defaults): the card's parameters, else upstream's for classical detectors
    card_protocol, parameter_source = protocol_or_upstream(detector.name, card.protocol_for(detector.name),
                                                           user_params=detector.user_params)
    detector.apply_protocol(card_protocol)
    preset = get_preset(protocol)
    if ignore_policy and not preset.is_default:
        raise InputError(f"protocol {preset.name!r} fixes how ignored pixels count; drop --ignore-policy")
    ignore_policy = ignore_policy or preset.ignore_policy or card.ignore_policy
    requested_device = check_device(device)
    resolved_device = local_device = None
    if not in_workers:
        # resolved in the process that detects: here, or in each worker (whose hardware may differ)
        resolved_device = resolve_device(requested_device)
        local_device = device_label(resolved_device)
    ids = dataset.sample_ids(split)
    n_images_available = len(ids)
    if limit is not None:
        ids = ids[:limit]
    if not preset.is_default:
        selected = preset.select_images(ids)
        if not selected:
            raise InputError(f"protocol {preset.name!r} evaluates {preset.subsample_fraction:.0%} of the images, "
                             f"int({preset.subsample_fraction} x {len(ids)}) = 0 of {dataset.name}/{split}; "
                             "score more images")
        ids = selected
    if shard is not None:
        candidates, ids = ids, shard_sample_ids(ids, shard)
        if not ids:
            raise InputError(f"shard {shard} of {dataset.name}/{split} holds no image: the run has only "
                             f"{len(candidates)} images to score; use fewer shards")
    cache = detector_cache(detector, cache_dir=cache_dir)
    cache.remove_orphans()  # temporary files of killed runs

    setup_start = time.perf_counter()
    outcomes = []
    # imported here: the adaptive sweep builds on this module's image outcomes and workers
    from .adaptive_sweep import refinement_policy, run_refined_sweep

    policy = refinement_policy(detector)
    if policy is not None and (shard is not None or cached_only):
        raise InputError(f"detector {detector.name!r} runs an adaptive sweep, whose grid depends on every image: "
                         "it cannot be sharded or merged; run it without --shard (or with --fixed-sweep)")
    refinement = loaders = None
    sweep_values = (detector.sweep_values() or [0.0]) if detector.output_kind == "mask" else None
    if policy is not None:
        if not in_workers:
            set_up_detector(detector, device=resolved_device)
        setup_seconds = time.perf_counter() - setup_start if not in_workers else 0.0
        with contextlib.ExitStack() as stack:
            dask = None
            if executor == "dask":
                # one client for every round; the record states the cluster's workers
                client = stack.enter_context(dask_client(scheduler=scheduler, n_workers=jobs))
                jobs, dask = total_threads(client), DaskTarget(scheduler=client, priority=priority)
            outcomes, refinement, loaders = run_refined_sweep(
                detector, dataset, ids, split=split, policy=policy,
                protocol=card.pixel_protocol(dilate_output=detector.dilate_output, ignore_policy=ignore_policy),
                cache_root=Path(cache_dir or cache_root()), jobs=jobs, device=requested_device,
                dataset_kwargs=dataset_kwargs, fresh=fresh, progress=progress, isolate=in_workers and dask is None,
                timeout=timeout, dask=dask,
                check_failures=lambda outcomes: _check_failures(outcomes, detector, dataset, split, keep_going),
            )
        sweep_values = refinement["final_values"]
        if local_device is not None:  # the adaptive sweep's images ran in this process, on its device
            for outcome in outcomes:
                if outcome.detect_seconds is not None:
                    outcome.device = local_device
    elif not in_workers:
        if not cached_only:
            set_up_detector(detector, device=resolved_device)
        setup_seconds = time.perf_counter() - setup_start
        for sample_id in tqdm(ids, desc=f"{detector.name} on {dataset.name}", disable=not progress, unit="img"):
            outcomes.append(_detect_image(detector, dataset, split, sample_id, cache, fresh=fresh,
                                          cached_only=cached_only, device=local_device))
    elif executor == "dask":
        setup_seconds = 0.0  # paid inside each worker, overlapping with detection
        outcomes, jobs = _detect_on_dask(detector, dataset, ids, split=split, jobs=jobs, device=requested_device,
                                         cache=cache, dataset_kwargs=dataset_kwargs, fresh=fresh, progress=progress,
                                         scheduler=scheduler, priority=priority)
    else:
        setup_seconds = 0.0  # paid inside each worker, overlapping with detection
        bar = tqdm(total=len(ids), desc=f"{detector.name} on {dataset.name}", disable=not progress, unit="img")
        # a worker that hangs past the timeout or dies is replaced; its image becomes a failure, the others run
        with detection_pool(detector, dataset, jobs=jobs, device=requested_device, cache=cache,
                            dataset_kwargs=dataset_kwargs, timeout=timeout) as pool:
            outcomes = pool.map(_worker_detect, [(split, sample_id, fresh) for sample_id in ids],
                                on_failure=lambda index, error: failed_outcome(dataset, split, ids[index], error),
                                on_done=bar.update)
        bar.close()

    _check_failures(outcomes, detector, dataset, split, keep_going)
    scored = [outcome for outcome in outcomes if outcome.error is None]
    if not scored:
        _fail_nothing_scored(outcomes, detector, dataset, split)
    bootstrap = bootstrap if bootstrap is not None else BootstrapSettings()
    scores = _score(detector, scored, cache, card=card, ignore_policy=ignore_policy, progress=progress,
                    preset=preset, bootstrap=bootstrap, loaders=loaders, values=sweep_values)
    _check_scored_pixels(scores, scored, dataset, split)
    objects = None
    # object-level scores are crbench's own definitions: not part of another paper's protocol
    if object_scores and scored and preset.is_default:
        objects = score_objects(detector, dataset, split, scored, cache, card=card, ignore_policy=ignore_policy,
                                progress=progress, loaders=loaders, values=sweep_values)
        if objects is not None and bootstrap.enabled and objects["per_image"]:
            objects["uncertainty"] = bootstrap_object_metrics(objects, n_resamples=bootstrap.n_resamples,
                                                              seed=bootstrap.seed, strata=_strata(scored, card),
                                                              level=bootstrap.level)
    return RunResult(
        split=split,
        ignore_policy=ignore_policy,
        device=run_device(outcomes, default=local_device or requested_device),
        jobs=jobs,
        setup_seconds=setup_seconds,
        outcomes=outcomes,
        scores=scores,
        wall_seconds=time.perf_counter() - started,
        detector_info=_detector_info(detector, parameter_source),
        dataset_info=copy.deepcopy(dataset.info(split)),
        truth_dilation=card.truth_dilation if preset.truth_dilation is None else preset.truth_dilation,
        n_sweep_values=(len(refinement["final_values"]) if refinement is not None
                        else len(detector.sweep_values()) if detector.output_kind == "mask" else 0),
        peak_rss_bytes=peak_rss_bytes(include_children=True),
        objects=objects,
        protocol=preset.name,
        sweep_refinement=refinement,
        sweep_values=sweep_values,
        output_loaders=loaders,
        n_images_available=n_images_available,
        limit=limit,
        shard=shard,
        isolated=in_workers,
        timeout_seconds=None if timeout is None else float(timeout),
        executor=executor,
    )


def dask_worker_args(detector, dataset, *, dataset_kwargs, device, cache):
    """``(key, detector factory, dataset factory, device, cache)``: what a Dask task needs to set its worker up.

    A worker keeps one set-up detector; ``key`` says which run configuration
    it belongs to, so a task of another run (a rebuild shares one cluster
    between many) sets the worker up again.
    """
    dataset_kwargs = dict(dataset_kwargs or {"size": dataset.size})
    key = repr((detector.name, detector.identity_hash(), detector.params_hash, type(dataset).__qualname__,
                sorted(dataset_kwargs.items()), device, str(cache.root)))
    return (key, _Factory(type(detector), dict(detector.params), selected_backend()),
            _Factory(type(dataset), dataset_kwargs), device, cache)


def dask_worker_state(key, detector_factory, dataset_factory, device, cache):
    """This Dask worker's ``{detector, dataset, cache}`` for run configuration ``key``, set up on first use."""
    if _WORKER.get("key") != key:
        _WORKER.clear()  # one configuration at a time: an older detector's weights are released
        _worker_init(detector_factory, dataset_factory, device, cache)
        _WORKER["key"] = key
    return worker_state()


def _detect_on_dask(detector, dataset, ids, *, split, jobs, device, cache, dataset_kwargs, fresh, progress, scheduler,
                    priority=0):
    """The detect stage on a Dask cluster (:mod:`crbench.executors`); returns the outcomes and the cluster's workers."""
    args = (*dask_worker_args(detector, dataset, dataset_kwargs=dataset_kwargs, device=device, cache=cache),
            split, fresh)
    bar = tqdm(total=len(ids), desc=f"{detector.name} on {dataset.name}", disable=not progress, unit="img")
    with dask_client(scheduler=scheduler, n_workers=jobs) as client:
        outcomes = detect_on_dask(client, _dask_detect_chunk, args=args, ids=ids,
                                  on_failure=lambda sample_id, error: failed_outcome(dataset, split, sample_id, error),
                                  on_done=bar.update, priority=priority, resources=gpu_resources(client, device))
        n_workers = total_threads(client)
    bar.close()
    return outcomes, n_workers


def run_device(outcomes, *, default):
    """The ``runtime.device`` of a run: the devices its images ran on, sorted and comma-separated ("cpu,cuda:0").

    ``default`` (the device resolved here, or the one requested of the
    workers) when no image ran its detector, e.g. every output came from the cache.
    """
    return ",".join(sorted({outcome.device for outcome in outcomes if outcome.device})) or default


def _strata(outcomes, card):
    """``{sample_id: stratum}`` of the bootstrap, or None when the card names no strata."""
    return {outcome.sample_id: outcome.stratum for outcome in outcomes} if card.bootstrap_strata else None


def _check_scored_pixels(scores, scored, dataset, split):
    """Raise :class:`InputError` when images were scored but not one of their pixels counted.

    Metrics of zero pixels are undefined; a record of them would read as a
    complete run with null metrics. The usual cause is data that are all NaN
    or inf (moved to the ignore mask).
    """
    if not scored or scores.get("n_pixels_scored") != 0:
        return
    n_pixels = sum(int(np.prod(outcome.shape)) for outcome in scored)
    n_nonfinite = sum(outcome.n_nonfinite for outcome in scored)
    worst = [outcome.sample_id for outcome in scored if outcome.n_nonfinite == int(np.prod(outcome.shape))]
    cause = (f"{n_nonfinite} of the {n_pixels} pixels are NaN or inf"
             + (f" ({len(worst)} images entirely, e.g. {worst[0]!r})" if worst else "")
             if n_nonfinite else "the ignore masks cover every pixel")
    raise InputError(
        f"{dataset.name}/{split}: {len(scored)} images were scored but no pixel could be: {cause}. "
        "Metrics of zero pixels are undefined, so no record was written; check the data files "
        "(e.g. re-download or rebuild them)."
    )


def _check_failures(outcomes, detector, dataset, split, keep_going):
    """Raise :class:`DetectorFailedError` listing the failed images, unless ``keep_going``."""
    failures = [outcome for outcome in outcomes if outcome.error is not None]
    if failures and not keep_going:
        listing = "\n".join(f"  {outcome.sample_id}: {outcome.error}" for outcome in failures)
        raise DetectorFailedError(
            f"detector {detector.name!r} failed on {len(failures)} of {len(outcomes)} images of "
            f"{dataset.name}/{split}:\n{listing}\nRe-run with --keep-going to score the others "
            "(the record is then marked partial); images that worked are cached and will not re-run."
        )


def _fail_nothing_scored(outcomes, detector, dataset, split):
    """Raise :class:`DetectorFailedError`: a run that scored no image has no result, ``--keep-going`` or not."""
    first = next((outcome.error for outcome in outcomes if outcome.error), None)
    cause = f"; the first error: {first}" if first else ""
    raise DetectorFailedError(
        f"detector {detector.name!r} scored none of the {len(outcomes)} images of {dataset.name}/{split}{cause}. "
        "No record was written; fix the detector (try 'crbench mock-run') and re-run."
    )


def image_sources(outcomes, cache, *, kind, loaders=None):
    """Scoring-stream sources that read each outcome's masks and its cached output (checked by digest).

    ``loaders`` (``{sample_id: load_output}``) replaces the score-cache look-up,
    e.g. for an adaptive sweep whose values are cached one by one.
    """
    return [
        scoring.ImageSource(
            outcome.sample_id,
            load_masks=lambda outcome=outcome: (outcome.unpack("truth"), outcome.unpack("ignore")),
            load_output=output_loader(outcome, cache, kind=kind, loaders=loaders),
        )
        for outcome in outcomes
    ]


def _score(detector, outcomes, cache, *, card, ignore_policy, progress, bootstrap, preset=None, loaders=None,
           values=None):
    """Both scoring passes over cached outputs; returns metrics, curves, counts and bootstrap intervals.

    ``values``: the swept values of a mask detector's outputs (default its
    grid); ``loaders``: see :func:`image_sources`.
    """
    protocol = card.pixel_protocol(dilate_output=detector.dilate_output, ignore_policy=ignore_policy)
    kind = detector.output_kind
    sources = image_sources(outcomes, cache, kind=kind, loaders=loaders)
    values = values or detector.sweep_values() or [0.0]

    def bars(items, desc):
        return tqdm(items, desc=desc, disable=not progress, unit="img", leave=False)

    if preset is not None and not preset.is_default:
        # another paper's protocol (crbench.scoring.presets); crbench's own is scored below, unchanged
        swept = kind == "mask" and bool(detector.sweep_values())
        return score_preset(sources, preset=preset, kind=kind, card_truth_dilation=card.truth_dilation,
                            card_ignore_policy=card.ignore_policy, detector_dilates=detector.dilate_output,
                            operating_point=detector.operating_point if kind == "score" or swept else 0.0,
                            sweep_values=values, progress=bars)
    states = bootstrap.states_for(kind)
    on_image = None if states is None else states.add
    if kind == "mask":
        # a mask detector without a sweep is a single ROC point at value 0
        total = scoring.sweep_stream(sources, protocol=protocol, values=values, progress=bars, on_image=on_image)
        operating = detector.operating_point if detector.sweep_values() else 0.0
        summary = scoring.summarize_sweep(total, total.images, operating_point=operating) if total is not None else None
    else:
        operating = detector.operating_point
        total = scoring.score_stream(sources, protocol=protocol, operating_point=operating, progress=bars,
                                     on_image=on_image)
        summary = scoring.summarize_scores(total, total.images, operating_point=operating) if total is not None else None
    if summary is not None:
        summary["uncertainty"] = bootstrap.section(states, operating_point=operating, strata=_strata(outcomes, card),
                                                   strata_field=card.bootstrap_strata)
    return summary
