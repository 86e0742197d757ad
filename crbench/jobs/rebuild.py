"""Regenerate the committed leaderboard: records, tables, plots and baseline.

``crbench leaderboard rebuild`` runs every registered detector (test
doubles excluded) on every simulated data set (``sim_*``) at size
``small``, in parallel worker processes with one thread each, times every
detector with ``crbench bench``, then renders ``LEADERBOARD.md`` with its
plots and writes ``baseline.json`` for the regression check. The new records are
written to a fresh directory and swapped in only at the end, so an
interrupted rebuild leaves the previous leaderboard intact.

Planning lives in :mod:`crbench.jobs.plan`, running in :mod:`crbench.jobs.run`
and :mod:`crbench.jobs.timing`; this module only puts them together and hands
the records to the leaderboard renderer.
"""

import datetime
import json
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..atomic import write_json_atomic
from ..environment import environment_info
from ..errors import InputError
from ..inference_backend import BACKEND_ENV, selected_backend
from ..leaderboard.collect import REBUILD_SCHEMA, hardware_label, load_results
from ..leaderboard.regression import make_baseline, write_baseline
from ..leaderboard.render import write_leaderboard
from ..site import write_site
from ..timing import parse_shape
from .build import build_dataset
from .plan import plan_rebuild
from .run import run_jobs
from .site_gallery import failure_galleries
from .timing import bench_jobs

__all__ = ["RebuildReport", "rebuild"]


@dataclass
class RebuildReport:
    """What a rebuild did."""

    records: list = field(default_factory=list)
    failures: dict = field(default_factory=dict)
    skipped: list = field(default_factory=list)
    bench_records: list = field(default_factory=list)
    bench_failures: dict = field(default_factory=dict)
    written: list = field(default_factory=list)
    seconds: float = 0.0


def _cache_sentence(run_records):
    """How many images the rebuild's detectors ran and how many it read from the score cache."""
    timed = sum(record.runtime.n_images_timed or 0 for record in run_records if record.runtime)
    cached = sum(record.runtime.n_images_from_cache or 0 for record in run_records if record.runtime)
    if not cached:
        return f"Every detector output was computed in this rebuild ({timed} image(s) detected)."
    return (f"{timed} image(s) were detected in this rebuild and {cached} detector output(s) were read from the "
            "score cache given with --cache-dir, written by an earlier run of the same detector code, parameters "
            "and input (the cache key: crbench/cache.py); their run times in the records are those of the images "
            "detected here, and the runtime table comes from crbench bench.")


def _preamble(report, *, processes, hardware, started, command, executor="processes", run_records=()):
    minutes = report.seconds / 60
    workers = (f"one Dask task graph on {processes} worker(s)" if executor == "dask"
               else f"{processes} worker process(es)")
    lines = [
        f"Produced by `{command}` on {started:%Y-%m-%d} ({hardware}, {workers}, "
        f"1 thread each); the whole rebuild took {minutes:.1f} min. Run the same command to regenerate "
        "every record, table, plot and `baseline.json`.",
        _cache_sentence(run_records),
    ]
    if report.skipped:
        lines.append("Not run (not installed here): " + "; ".join(report.skipped) + ".")
    if report.failures:
        lines.append("FAILED runs (no record): " + "; ".join(f"{key}: {error}" for key, error in sorted(report.failures.items())) + ".")
    if report.bench_failures:
        lines.append("Not timed by crbench bench: " + "; ".join(f"{name}: {error}" for name, error in sorted(report.bench_failures.items())) + ".")
    return "\n\n".join(lines)


def _keep_other_records(records_dir, staging, *, jobs, benched):
    """Copy the records an update does not replace into ``staging``; return the old ``rebuild.json``."""
    rerun = {f"run__{job.dataset}__{job.size}__{job.split}__{job.detector}__" for job in jobs}
    retimed = {f"bench__{name}__" for name in benched}
    for path in sorted(records_dir.glob("*.json")):
        if path.name == "rebuild.json" or any(path.name.startswith(prefix) for prefix in rerun | retimed):
            continue
        shutil.copy2(path, staging / path.name)
    history = records_dir / "rebuild.json"
    return json.loads(history.read_text()) if history.is_file() else {}


def _with_update(previous, report, *, command, started, hardware):
    """The previous rebuild's history plus one entry for this update."""
    keys = sorted(Path(path).name for path in report.records)
    entry = {"command": command, "started": started.isoformat(timespec="seconds"), "seconds": report.seconds,
             "hardware": hardware, "records": keys, "failures": report.failures}
    summary = (f"{previous.get('summary', '')} On {started:%Y-%m-%d %H:%M} UTC `{command}` re-ran {len(keys)} "
               f"record(s) in {report.seconds / 60:.1f} min ({hardware}); every other record is unchanged.").strip()
    return {**previous, "schema": REBUILD_SCHEMA, "updates": [*previous.get("updates", []), entry],
            "summary": summary}


def _standard_split_jobs(jobs):
    """Keys of the jobs on standard data sets (not stress variants, not real data): they get protocol-sensitivity rows.

    The leaderboard's protocol-sensitivity table shows the standard splits only.
    """
    keys = set()
    for job in jobs:
        dataset, _ = build_dataset(job.dataset, size=job.size, data_dir=job.data_dir)
        if dataset.card.kind == "standard":
            keys.add(job.key)
    return keys


def rebuild(
    out_dir="leaderboard",
    *,
    detectors=None,
    datasets=None,
    size="small",
    split="test",
    processes=2,
    bench=True,
    bench_shape="2048x2048",
    bench_repeats=3,
    cache_dir=None,
    progress=True,
    command="crbench leaderboard rebuild",
    update=False,
    executor="processes",
    scheduler=None,
    site=True,
):
    """Regenerate ``out_dir``: ``records/``, ``LEADERBOARD.md``, ``plots/``, ``baseline.json`` and ``site/``.

    Parameters
    ----------
    out_dir : path-like
    detectors, datasets, size, split
        See :func:`plan_rebuild`.
    processes : int
        Parallel worker processes for the scoring runs.
    bench : bool
        Also time every detector with ``crbench bench`` (Table 4).
    bench_shape : str
        Frame shape of the timing runs (``ROWSxCOLS``).
    bench_repeats : int
    cache_dir : path-like, optional
        Score cache root; default a fresh temporary directory, so that every
        detector really runs and its time is measured.
    progress : bool
    command : str
        The command line quoted in the page.
    update : bool
        Re-run only the selected jobs and keep every other record of
        ``out_dir/records`` (e.g. after a data set version bump); the
        update is appended to ``rebuild.json``'s history.
    executor : {"processes", "local", "dask"}
        How the runs are spread (:func:`crbench.jobs.run.run_jobs`): whole
        runs in ``processes`` worker processes, or every run's chunks of
        images as one task graph on a Dask cluster (``processes`` workers
        of a LocalCluster unless ``scheduler`` names one).
    scheduler : str, optional
        Dask scheduler address (``executor="dask"``).
    site : bool
        Also write the static website to ``out_dir/site`` (:func:`crbench.site.write_site`), with
        failure galleries from ``cache_dir`` when one is given.

    Returns
    -------
    RebuildReport
    """
    if selected_backend() != "torch":
        # the leaderboard publishes the reference path; a faster engine's records are the user's own runs
        raise InputError(f"the leaderboard is rebuilt with eager PyTorch; unset {BACKEND_ENV} "
                         f"(it selects {selected_backend()!r})")
    started_at = datetime.datetime.now(datetime.timezone.utc)
    start = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs, skipped = plan_rebuild(detectors=detectors, datasets=datasets, size=size, split=split)
    if not jobs:
        raise RuntimeError(
            "nothing to run: no available detector or no data set selected "
            f"(skipped: {'; '.join(skipped) or 'none'}); check 'crbench list detectors' and 'crbench list datasets'"
        )
    report = RebuildReport(skipped=skipped)
    staging = Path(tempfile.mkdtemp(prefix=".records.new.", dir=out_dir))
    with tempfile.TemporaryDirectory(prefix="crbench-rebuild-cache-") as fresh_cache:
        paths, report.failures = run_jobs(jobs, results_dir=staging, cache_dir=str(cache_dir or fresh_cache),
                                          processes=processes, progress=progress,
                                          sensitivity=_standard_split_jobs(jobs), executor=executor,
                                          scheduler=scheduler)
    report.records = sorted(paths.values())
    if bench:
        names = sorted({job.detector for job in jobs})
        report.bench_records, report.bench_failures = bench_jobs(
            names, output=staging, shape=parse_shape(bench_shape), repeats=bench_repeats
        )
    if not report.records:
        shutil.rmtree(staging, ignore_errors=True)
        raise RuntimeError("the rebuild produced no run record; failures: "
                           + "; ".join(f"{key}: {error}" for key, error in report.failures.items()))
    records_dir = out_dir / "records"
    previous = None
    if update and records_dir.is_dir():
        # a job that failed keeps its old record: an update never loses a result it could not replace
        replaced = [job for job in jobs if job.key in paths]
        previous = _keep_other_records(records_dir, staging, jobs=replaced, benched=report.bench_records)
    # swap the new records in only now: an interrupted rebuild leaves the old leaderboard intact
    old = out_dir / ".records.old"
    shutil.rmtree(old, ignore_errors=True)
    if records_dir.exists():
        records_dir.rename(old)
    staging.rename(records_dir)
    shutil.rmtree(old, ignore_errors=True)
    plots_dir = out_dir / "plots"
    shutil.rmtree(plots_dir, ignore_errors=True)  # plots of groups that no longer exist must go

    collection = load_results(records_dir)
    run_records = [record for group in collection.groups for record in group.records]
    for record in run_records:
        if not record.is_complete:  # kept on the page (marked), never in the baseline
            dataset = record.dataset
            key = f"{record.detector.name}@{dataset.name}/{dataset.size}/{dataset.split}"
            report.failures[key] = f"partial: {len(record.failures)} image(s) failed"
    complete = [record for record in run_records if record.is_complete]
    write_baseline(make_baseline(complete, note=f"written by {command}"), out_dir / "baseline.json")

    report.seconds = time.perf_counter() - start
    hardware = hardware_label(environment_info())
    if previous is not None:
        collection.rebuild = _with_update(previous, report, command=command, started=started_at, hardware=hardware)
    else:
        collection.rebuild = {
            "schema": REBUILD_SCHEMA,
            "crbench_version": __version__,
            "command": command,
            "started": started_at.isoformat(timespec="seconds"),
            "seconds": report.seconds,
            "processes": processes,
            "executor": executor,
            "hardware": hardware,
            "skipped": report.skipped,
            "failures": report.failures,
            "bench_failures": report.bench_failures,
            "summary": _preamble(report, processes=processes, hardware=hardware, started=started_at, command=command,
                                 executor=executor, run_records=run_records),
        }
    # kept with the records so that 'crbench leaderboard --results <out>/records' renders the same page
    write_json_atomic(records_dir / "rebuild.json", collection.rebuild)
    report.written = write_leaderboard(collection, fmt="md", out=out_dir / "LEADERBOARD.md")
    report.written += [records_dir / "rebuild.json", out_dir / "baseline.json"]
    if site:  # failure galleries need the score cache, which only a given --cache-dir outlives the runs
        galleries = failure_galleries(collection, cache_dir=cache_dir) if cache_dir is not None else None
        report.written += write_site(collection, out_dir / "site", galleries=galleries)[:1]  # index.html
    return report
