"""``crbench.run``: one detector on one data set split from Python, returning the record and a table row.

A thin layer over :func:`crbench.jobs.run_job`, the same runner ``crbench
run`` calls, so a notebook run and a command-line run with the same options
write the same record.
"""

import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..jobs import Job, run_job
from ..records import write_record
from ..runner import capped_workers
from ..uncertainty import DEFAULT_RESAMPLES, DEFAULT_SEED, BootstrapSettings
from .frames import record_row, records_frame

__all__ = ["RunResult", "run"]


@dataclass
class RunResult:
    """What :func:`run` returns.

    Attributes
    ----------
    record : crbench.records.RunRecord
        The run record as written (``record.to_dict()`` is the JSON).
    path : pathlib.Path or None
        The record file, or None when :func:`run` was given no ``output``.
    n_from_cache : int
        Images whose detector output came from the score cache.
    """

    record: object
    path: Path | None
    n_from_cache: int = 0

    @property
    def metrics(self):
        """Every metric of the record: ``{name: {"value", "low", "high", "threshold", "higher_is_better"}}``.

        ``low`` and ``high`` bound the bootstrap interval (None when the run
        had no bootstrap or the bound is undefined); ``value`` is None when
        the metric is undefined (e.g. a TPR-at-FPR target no sweep value reached).
        """
        uncertainty = self.record.uncertainty
        metrics = {}
        for name, metric in self.record.metrics.items():
            interval = uncertainty.interval(name) if uncertainty is not None else None
            low, high = interval if interval is not None else (None, None)
            metrics[name] = {"value": metric.value, "low": low, "high": high, "threshold": metric.threshold,
                             "higher_is_better": metric.higher_is_better}
        return metrics

    def to_frame(self):
        """The record as a one-row pandas DataFrame, with the columns of :func:`crbench.load_records`."""
        return records_frame([self.record])

    def to_row(self):
        """The record as a flat dict (one :func:`crbench.load_records` row)."""
        return record_row(self.record)

    def save(self, directory):
        """Write the record into ``directory`` under its canonical file name and return the path."""
        self.path = write_record(self.record, directory)
        return self.path


def run(detector, dataset, *, size=None, split="test", limit=None, protocol="crbench", device="auto", jobs=1,
        cache_dir=None, output=None, params=None, data_dir=None, ignore_policy=None, keep_going=False, fresh=False,
        object_scores=True, bootstrap=DEFAULT_RESAMPLES, bootstrap_seed=DEFAULT_SEED, executor=None,
        progress=False):
    """Run a detector on a data set split, score it and return its record.

    The Python form of ``crbench run``: the same runner, score cache and
    record (see the README, "What a run does").

    Parameters
    ----------
    detector : str
        Registry name (``crbench list detectors``) or ``"package.module:Class"``.
    dataset : str
        Registry name (``crbench list datasets``).
    size : str, optional
        ``"small"`` or ``"full"`` for simulated sets (None: the set's default).
    split : str
    limit : int, optional
        Score only the first ``limit`` images: a subset record (status
        ``"subset"``), which the leaderboard and the regression check ignore.
    protocol : str
        Evaluation protocol preset (``"crbench"``, ``"xu2023"``, ...).
    device : {"auto", "cpu", "cuda"}
    jobs : int
        Worker processes for the detector (lowered to the CPUs available,
        with a :class:`~crbench.errors.WorkersCappedWarning`).
    cache_dir : path-like, optional
        Score cache root (default ``$CRBENCH_CACHE`` or ``~/.cache/crbench``).
    output : path-like, optional
        Directory the record file is written to (created if needed). None
        keeps the record in memory only: :meth:`RunResult.save` writes it later.
    params : dict, optional
        Detector parameters (``--detector-args``); the data set card's
        protocol parameters fill in the rest.
    data_dir : path-like, optional
        Where a real data set lives.
    ignore_policy : {"exclude", "negative", "zero"}, optional
        Default: the card's (crbench protocol only).
    keep_going : bool
        Score the images that worked when some fail (record status ``"partial"``).
    fresh : bool
        Ignore cached detector outputs.
    object_scores : bool
        Also score CR objects at the operating point (the record's ``objects`` section).
    bootstrap : int
        Bootstrap resamples over images for the 95 % interval of every metric (0: none).
    bootstrap_seed : int
    executor : {"local", "processes", "dask"}, optional
        Where detection runs (default: from ``jobs``).
    progress : bool
        Show progress bars.

    Returns
    -------
    RunResult
        ``.metrics`` (values and intervals), ``.record``, ``.to_frame()``.

    Raises
    ------
    crbench.errors.CRBenchError
        On unknown names or parameters, missing data, an output directory
        that cannot be written, a run that scored no image, or (without
        ``keep_going``) a detector that failed on some image.

    Examples
    --------
    >>> import crbench
    >>> result = crbench.run("random", "tiny", bootstrap=200, object_scores=False)
    >>> result.record.status, result.record.dataset.n_images
    ('complete', 3)
    >>> sorted(result.metrics["auroc"])
    ['high', 'higher_is_better', 'low', 'threshold', 'value']
    >>> result.metrics["auroc"]["low"] <= result.metrics["auroc"]["value"] <= result.metrics["auroc"]["high"]
    True
    >>> frame = result.to_frame()
    >>> frame.loc[0, ["detector", "dataset", "split", "status"]].tolist()
    ['random', 'tiny', 'test', 'complete']
    """
    job = Job(detector, dataset, size=size, split=split, params=dict(params or {}), data_dir=data_dir)
    options = dict(cache_dir=cache_dir, device=device, workers=capped_workers(jobs), limit=limit,
                   ignore_policy=ignore_policy, keep_going=keep_going, fresh=fresh, progress=progress,
                   object_scores=object_scores, protocol=protocol, executor=executor,
                   bootstrap=BootstrapSettings(n_resamples=bootstrap, seed=bootstrap_seed))
    if output is not None:
        output_of_job = run_job(job, results_dir=output, **options)
        return RunResult(record=output_of_job.record, path=output_of_job.path,
                         n_from_cache=output_of_job.result.n_from_cache)
    # run_job always writes the record; without an output it goes to a folder that is removed afterwards
    with tempfile.TemporaryDirectory(prefix="crbench-run-") as scratch:
        output_of_job = run_job(job, results_dir=scratch, **options)
    output_of_job.record.source = None
    return RunResult(record=output_of_job.record, path=None, n_from_cache=output_of_job.result.n_from_cache)
