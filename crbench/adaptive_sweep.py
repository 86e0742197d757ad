"""Adaptive sweeps: detect a mask detector's grid, then only the values that bracket the FPR targets.

A mask detector with a ``sweep_refinement`` parameter (see
:class:`crbench.scoring.refine.SweepRefinement`) is run in rounds:

1. round 0 detects the initial grid (``sweep`` plus the operating value) on
   every image and sums the counts per value;
2. :func:`crbench.scoring.refine.plan_refinement` proposes new values
   (log-space bisection between the points bracketing each FPR target,
   widening beyond the grid when no point reaches a target) and the next
   round detects **only those values** on every image;
3. this repeats until no value is proposed (every target converged or
   stopped, or the budget of new values is spent); then the whole final grid
   is scored in one stream exactly like a fixed sweep of the same values, so
   the metrics equal those of ``sweep = <final grid>`` run the fixed way.

Score cache. A fixed sweep caches one mask stack per image under the
parameter hash, which includes the ``sweep`` list: any change of the grid
recomputes every value. Here each value's masks are their own entry, keyed
by the detector identity, the hash of the parameters with ``sweep`` and
``sweep_refinement`` removed and the swept parameter set to that value
(:func:`value_params_hash`), and the input's sha256. So a value is detected
once per image and reused by every later round, every re-run and every
other grid or policy that contains it; a re-run repeats the (cheap)
refinement from cached masks and reproduces the same grid and history.

The run record stores the history (``sweep_refinement``: the policy, the
initial and final grids, each round's added values with the reason, the
detection seconds per round, and each target's final state); its
``counts.values`` are the final grid.
"""

import contextlib
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from . import scoring
from .cache import ScoreCache
from .detectors.base import params_hash
from .environment import thread_counts
from .executors import dask_client, detect_on_dask
from .inputs import prepare_input
from .runner import (
    ImageOutcome,
    dask_worker_args,
    dask_worker_state,
    detection_pool,
    detector_error_text,
    failed_outcome,
    new_outcome,
    save_output,
    validate_prediction,
    worker_state,
)
from .scoring.refine import SweepRefinement, plan_refinement

__all__ = ["refinement_policy", "value_params_hash", "ValueCaches", "detect_values", "run_refined_sweep"]

#: parameters that describe the grid, not one value's masks
_GRID_PARAMS = ("sweep", "sweep_refinement")


def refinement_policy(detector):
    """The detector's :class:`SweepRefinement`, or None for a fixed sweep (or a detector without one)."""
    if detector.output_kind != "mask" or detector.sweep_parameter is None:
        return None
    return SweepRefinement.from_param(detector.params.get("sweep_refinement"))


def value_params_hash(detector, value):
    """Hash of the parameters that decide the masks of one swept ``value`` (the grid left out)."""
    params = {key: item for key, item in detector.params.items() if key not in _GRID_PARAMS}
    params[detector.sweep_parameter] = float(value)
    return params_hash(detector.name, detector.version, params)


@dataclass(frozen=True)
class ValueCaches:
    """One :class:`~crbench.cache.ScoreCache` per swept value of one detector configuration (picklable)."""

    root: Path
    detector_name: str
    identity_hash: str
    hashes: dict = field(default_factory=dict, hash=False, compare=False)

    @classmethod
    def for_detector(cls, root, detector, values=()):
        caches = cls(Path(root), detector.name, detector.identity_hash())
        caches.add(detector, values)
        return caches

    def add(self, detector, values):
        """Register the hashes of ``values`` (call before a round that detects them)."""
        for value in values:
            self.hashes.setdefault(float(value), value_params_hash(detector, value))

    def cache(self, value):
        """The cache of one value's masks (entries hold one bit-packed mask)."""
        return ScoreCache(self.root, detector_name=f"{self.detector_name}.values", identity_hash=self.identity_hash,
                          params_hash=self.hashes[float(value)])


def detect_values(detector, image, *, meta, values):
    """One mask per value of the swept parameter, each from one :meth:`Detector.detect` call.

    Returns
    -------
    ndarray of bool, shape (len(values), ny, nx)
    """
    masks = np.empty((len(values),) + np.shape(image), dtype=bool)
    original = detector.params[detector.sweep_parameter]
    try:
        for index, value in enumerate(values):
            detector.params[detector.sweep_parameter] = float(value)
            masks[index] = detector.detect(image, meta=meta)
    finally:
        detector.params[detector.sweep_parameter] = original
    return masks


@dataclass
class _ImageRound:
    """One image in one round: its outcome, the digests of its value entries and its counts of the round's values."""

    outcome: ImageOutcome
    digests: dict
    counts: object = None
    n_detected: int = 0


def _image_round(detector, dataset, split, sample_id, values, caches, protocol, fresh, device=None):
    """Detect the ``values`` missing from the cache for one image and count every one of them; never raises.

    ``device``: the label of the device this process set the detector up on, recorded when it runs.
    """
    sample = dataset.load_sample(split, sample_id).validated()
    outcome = new_outcome(sample, sample_id=sample_id, card=dataset.card)
    result = _ImageRound(outcome, {})
    masks = np.empty((len(values),) + outcome.shape, dtype=bool)
    missing = []
    for index, value in enumerate(values):
        cache = caches.cache(value)
        cached = None if fresh else cache.load_valid(outcome.input_sha256, shape=outcome.shape, kind="mask")
        if cached is not None:  # a damaged entry was removed with a warning: recompute
            loaded, result.digests[value] = cached
            masks[index] = loaded[0]
            continue
        missing.append(index)
    if missing:
        try:
            image, meta = prepare_input(sample, detector=detector)
            start = time.perf_counter()
            detected = detect_values(detector, image, meta=meta, values=[values[index] for index in missing])
            outcome.detect_seconds = time.perf_counter() - start
            outcome.torch_threads = thread_counts()["torch_threads"]
            outcome.device = device
            for index, mask in zip(missing, detected):
                masks[index] = validate_prediction(mask, shape=outcome.shape, output_kind="mask", n_sweep=0,
                                                   sample_id=sample_id, detector_name=detector.name)
        except KeyboardInterrupt:
            raise
        except BaseException as error:  # noqa: BLE001 - a detector may raise anything, even SystemExit; it is recorded
            outcome.error = detector_error_text(error)
            outcome.traceback = traceback.format_exc()
            return result
        for index in missing:
            result.digests[values[index]] = save_output(
                caches.cache(values[index]), outcome.input_sha256, masks[index][np.newaxis], replace=fresh,
                dataset=dataset.name)
        result.n_detected = len(missing)
    outcome.from_cache = not missing
    result.counts = scoring.SweepCounts.from_image(sample.truth, sample.ignore, masks, values=values,
                                                   protocol=protocol, sample_id=sample_id)
    return result


def _worker_image_round(split, sample_id, values, caches, protocol, fresh):
    state = worker_state()
    return _image_round(state["detector"], state["dataset"], split, sample_id, values, caches, protocol, fresh,
                        device=state["device"])


def _dask_round_chunk(key, detector_factory, dataset_factory, device, cache, split, values, caches, protocol, fresh,
                      sample_ids):
    """A Dask task: one round over ``sample_ids`` in this worker (set up once per run configuration ``key``)."""
    state = dask_worker_state(key, detector_factory, dataset_factory, device, cache)
    return [_image_round(state["detector"], state["dataset"], split, sample_id, values, caches, protocol, fresh,
                         device=state["device"])
            for sample_id in sample_ids]


class _Rounds:
    """Runs rounds over the images: in this process, in worker processes, or on a Dask cluster, for the whole sweep."""

    def __init__(self, detector, dataset, *, split, jobs, device, dataset_kwargs, cache, progress, isolate=False,
                 timeout=None, dask=None):
        self.detector, self.dataset, self.split, self.progress = detector, dataset, split, progress
        self.pool = self.client = None
        self._exit = contextlib.ExitStack()
        if dask is not None:
            # one cluster (or the caller's client) for every round: workers keep their set-up detector between rounds
            self.client = self._exit.enter_context(dask_client(scheduler=dask.scheduler, n_workers=jobs))
            self.priority = dask.priority
            self.worker_args = dask_worker_args(detector, dataset, dataset_kwargs=dataset_kwargs, device=device,
                                                cache=cache)
        elif jobs > 1 or isolate or timeout is not None:
            self.pool = detection_pool(detector, dataset, jobs=jobs, device=device, cache=cache,
                                       dataset_kwargs=dataset_kwargs, timeout=timeout)

    def _failed(self, sample_id, error):
        return _ImageRound(failed_outcome(self.dataset, self.split, sample_id, error), {})

    def run(self, ids, values, caches, protocol, fresh, *, desc):
        bar = tqdm(total=len(ids), desc=desc, disable=not self.progress, unit="img")
        if self.client is not None:
            results = detect_on_dask(self.client, _dask_round_chunk,
                                     args=(*self.worker_args, self.split, values, caches, protocol, fresh), ids=ids,
                                     on_failure=self._failed, on_done=bar.update, priority=self.priority)
        elif self.pool is None:
            results = []
            for sample_id in ids:
                results.append(_image_round(self.detector, self.dataset, self.split, sample_id, values, caches,
                                            protocol, fresh))
                bar.update()
        else:
            results = self.pool.map(
                _worker_image_round, [(self.split, sample_id, values, caches, protocol, fresh) for sample_id in ids],
                on_failure=lambda index, error: self._failed(ids[index], error),
                on_done=bar.update,
            )
        bar.close()
        return results

    def close(self):
        if self.pool is not None:
            self.pool.close()
        self._exit.close()


def _pooled(per_value, sample_ids):
    """SweepCounts over the measured values, summed over ``sample_ids`` (values sorted)."""
    values = sorted(per_value)
    rows = np.array([[sum(per_value[value][sample_id][k] for sample_id in sample_ids) for k in range(4)]
                     for value in values], dtype=np.int64).reshape(len(values), 4)
    return scoring.SweepCounts(values, rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3])


def _merge(outcome, update):
    """Fold a later round's outcome of the same image into the first one."""
    if update.detect_seconds is not None:
        outcome.detect_seconds = (outcome.detect_seconds or 0.0) + update.detect_seconds
        outcome.torch_threads = update.torch_threads
        outcome.device = update.device or outcome.device
    outcome.from_cache = outcome.from_cache and update.from_cache
    if update.error is not None and outcome.error is None:
        outcome.error, outcome.traceback = update.error, update.traceback


def run_refined_sweep(detector, dataset, ids, *, split, policy, protocol, cache_root, jobs=1, device="cpu",
                      dataset_kwargs=None, fresh=False, progress=False, check_failures=None, isolate=False,
                      timeout=None, dask=None):
    """Detect and score an adaptive sweep (see the module docstring).

    Parameters
    ----------
    detector : Detector
        A mask detector with a swept parameter, set up (in this process
        unless detection runs in workers) and
        with the card's protocol applied.
    dataset : Dataset
    ids : list of str
        The images to run on.
    split : str
    policy : SweepRefinement
    protocol : PixelProtocol
    cache_root : path-like
    jobs : int
        Worker processes (1 = this process).
    device : str
    dataset_kwargs : dict, optional
        Rebuild ``dataset`` in workers.
    fresh : bool
        Ignore (and replace) cached masks.
    progress : bool
    check_failures : callable, optional
        Called with the list of outcomes after every round (the runner's
        keep-going rule: it raises to stop the run).
    isolate : bool
        Detect in worker processes even with ``jobs == 1`` (the detector is
        then not set up in this process).
    timeout : float, optional
        Seconds per image and round in a worker (implies ``isolate``); an
        image that times out or whose worker dies fails.
    dask : crbench.executors.DaskTarget, optional
        Run every round's images as chunk tasks on this Dask cluster
        (``jobs`` workers of a new LocalCluster when it names no scheduler);
        the rounds themselves, and the planning between them, stay here.

    Returns
    -------
    outcomes : list of ImageOutcome
        One per image; ``detect_seconds`` sums every round's detection.
    history : dict
        The ``sweep_refinement`` part of the run record.
    loaders : dict
        ``{sample_id: load_output}`` of the images that did not fail: each
        loads the image's mask stack over the final grid
        (``history["final_values"]``, sorted) from the per-value caches,
        checking every entry's digest.
    """
    initial = [float(value) for value in detector.sweep_values()]
    caches = ValueCaches.for_detector(cache_root, detector, initial)
    runner = _Rounds(detector, dataset, split=split, jobs=jobs, device=device, dataset_kwargs=dataset_kwargs,
                     cache=caches.cache(initial[0]), progress=progress, isolate=isolate, timeout=timeout,
                     dask=dask)
    outcomes, per_value, digests = {}, {}, {sample_id: {} for sample_id in ids}
    rounds, values, added, reasons = [], initial, [], []
    try:
        while True:
            caches.add(detector, values)
            # an image that failed (raised, crashed, timed out) stays failed: later rounds skip it
            round_ids = [sample_id for sample_id in ids if sample_id not in outcomes or outcomes[sample_id].error is None]
            results = runner.run(round_ids, values, caches, protocol, fresh,
                                 desc=f"{detector.name} on {dataset.name} (round {len(rounds)})")
            seconds = 0.0
            for result in results:
                sample_id = result.outcome.sample_id
                seconds += result.outcome.detect_seconds or 0.0
                if sample_id in outcomes:
                    _merge(outcomes[sample_id], result.outcome)
                else:
                    outcomes[sample_id] = result.outcome
                digests[sample_id].update(result.digests)
                if result.counts is not None:
                    for value, tp, fp, fn, tn in zip(result.counts.values, result.counts.tp, result.counts.fp,
                                                     result.counts.fn, result.counts.tn):
                        per_value.setdefault(value, {})[sample_id] = (int(tp), int(fp), int(fn), int(tn))
            entry = {"round": len(rounds), "values": list(values), "detect_seconds": seconds,
                     "n_detected": sum(result.n_detected for result in results),
                     "n_from_cache": sum(len(values) - result.n_detected for result in results
                                         if result.outcome.error is None)}
            if reasons:
                entry["reasons"] = reasons
            rounds.append(entry)
            ordered = [outcomes[sample_id] for sample_id in ids]
            if check_failures is not None:
                check_failures(ordered)
            good = [outcome.sample_id for outcome in ordered if outcome.error is None]
            if not good:
                break
            step = plan_refinement(_pooled(per_value, good).curve(), initial_values=initial, policy=policy)
            if not step.proposals:
                break
            values = [proposal.value for proposal in step.proposals]
            reasons = [{"value": proposal.value, "target": proposal.target, "reason": proposal.reason}
                       for proposal in step.proposals]
            added += values
    finally:
        runner.close()
    final = sorted(per_value) if per_value else initial
    ordered = [outcomes[sample_id] for sample_id in ids]
    scored = [outcome for outcome in ordered if outcome.error is None]
    history = {
        "policy": policy.to_param(),
        "initial_values": initial,
        "final_values": final,
        "added_values": added,
        "rounds": rounds,
        "targets": [state.to_dict() for state in step.targets] if scored else [],
        "extra_detect_seconds": sum(entry["detect_seconds"] for entry in rounds[1:]),
    }
    # the runner scores the final grid (pixel counts, bootstrap, objects) through these loaders
    loaders = {
        outcome.sample_id: (
            lambda outcome=outcome: np.concatenate([
                caches.cache(value).load(outcome.input_sha256, shape=outcome.shape, kind="mask",
                                         expected_sha256=digests[outcome.sample_id][value])[0]
                for value in final
            ])
        )
        for outcome in scored
    }
    return ordered, history, loaders
