"""``crbench run``: score detectors on one data set split (one record per detector)."""

import json
import sys
import warnings

import click
from tabulate import tabulate

from ..errors import CRBenchError, WorkersCappedWarning
from ..jobs import Job, run_job
from ..jobs.footprint import require_disk, run_footprint
from ..records import metrics_table, object_scores_table
from ..runner import capped_workers
from ..scoring import IGNORE_POLICIES, preset_names
from ..sharding import parse_shard
from ..uncertainty import DEFAULT_RESAMPLES, DEFAULT_SEED, BootstrapSettings
from .options import (
    backend_option,
    check_scheduler,
    device_option,
    executor_jobs,
    executor_option,
    parse_key_values,
    scheduler_option,
    split_names,
)
from .sweep_mode import refinement_summary, with_sweep_mode

__all__ = ["run", "summary_table", "SUMMARY_METRICS"]


def _device_summary(runtime):
    """``"cpu"``, or ``"cpu (10 images), cuda:0 (22 images)"`` when the images ran on several devices."""
    if runtime.devices and len(runtime.devices) > 1:
        return ", ".join(f"{device} ({count} images)" for device, count in sorted(runtime.devices.items()))
    return runtime.device


@click.command()
@click.option("--detector", "detector_names", required=True, multiple=True,
              help="Registry name or 'package.module:Class'. Several run one after another, one record each: "
                   "--detector a,b,c or --detector a --detector b (a summary table follows; the exit status is 1 "
                   "when any failed).")
@click.option("--dataset", "dataset_name", required=True, help="Registry name, e.g. sim_lco_1m.")
@click.option("--split", default="test", show_default=True)
@click.option("--size", default=None, help="Size of simulated data sets (small | full).")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Where a real data set lives.")
@click.option("--detector-args", default="", help="Detector parameters as k=v,k2=v2 (values read as YAML).")
@device_option()
@backend_option()
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Score only the first N images: a subset record (its own file, status 'subset'), which the "
                   "leaderboard and the regression check ignore.")
@click.option("--shard", "shard_text", default=None, metavar="I/N",
              help="Score only shard I of N (from 0): image k of the sorted sample ids goes to shard k mod N. "
                   "Writes a shard record (status 'shard', its own file name) that the leaderboard and the "
                   "regression check ignore; 'crbench merge' makes the whole run's record of the N shard records "
                   "(the shards' score cache must be reachable from the merge). See docs/scaling.md.")
@click.option("--ignore-policy", type=click.Choice(IGNORE_POLICIES), default=None,
              help="Ignored pixels excluded from counts (default), counted as negatives with their score, or "
                   "as negatives with score 0 (the Cosmic-CoNN / deepCR code). Defaults to the data set card's "
                   "policy; crbench protocol only.")
@click.option("--protocol", default="crbench", show_default=True, type=click.Choice(preset_names()),
              help="Evaluation protocol: crbench's, or a paper's reproduced rule by rule (see docs/scoring.md). "
                   "Records of different protocols are never compared or ranked together.")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes for running the detector (at most the number of CPUs). Default 1; with "
                   "--executor dask (and no scheduler), the number of CPUs.")
@executor_option(work="detection", default_rule="--jobs > 1, --isolate or --timeout",
                 outcome="The metrics are the same")
@scheduler_option(shared="the --cache-dir path")
@click.option("--keep-going", is_flag=True, help="Score the images that worked if some fail; mark the record partial.")
@click.option("--isolate/--no-isolate", "isolate", default=None,
              help="Run detection in a worker process that is replaced when the detector crashes (segfault, "
                   "os._exit), so that only that image fails. Default: in this process, unless --timeout or "
                   "--jobs > 1 is given (both always use worker processes).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="Kill the worker after SECONDS on one image and record the image as failed ('timed out'); "
                   "implies --isolate. Recorded in the run record (runtime.timeout_seconds).")
@click.option("--output", type=click.Path(file_okay=False), default="results", show_default=True,
              help="Directory for the run record.")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
              help="Cache root for score maps (default $CRBENCH_CACHE or ~/.cache/crbench).")
@click.option("--fresh", is_flag=True,
              help="Ignore cached detector outputs: run the detector on every image and replace its cache entries.")
@click.option("--adaptive-sweep/--fixed-sweep", "adaptive_sweep", default=None,
              help="Mask detectors: after the grid, add swept values until FPR 1e-4 and 1e-3 are bracketed "
                   "(sets the detector parameter sweep_refinement=true; default: the detector's fixed grid).")
@click.option("--objects/--no-objects", "object_scores", default=True, show_default=True,
              help="Also score CR objects, false-positive objects and their strata at the operating point.")
@click.option("--bootstrap", "n_resamples", type=click.IntRange(min=0), default=DEFAULT_RESAMPLES, show_default=True,
              help="Bootstrap resamples over images for the 95 % interval of every metric (0 = off).")
@click.option("--bootstrap-seed", type=int, default=DEFAULT_SEED, show_default=True,
              help="Seed of the bootstrap resamples (records compared pairwise must share it).")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON instead of a table.")
def run(detector_names, dataset_name, split, size, data_dir, detector_args, device, limit, shard_text, ignore_policy,
        protocol, jobs, executor, scheduler, keep_going, isolate, timeout, output, cache_dir, fresh, adaptive_sweep,
        object_scores, n_resamples, bootstrap_seed, quiet, as_json):
    """Run DETECTOR on DATASET, print its metrics and write a run record (one per detector)."""
    names = split_names(detector_names)
    if not names:
        raise click.UsageError("--detector names no detector")
    if isolate is False and timeout is not None:
        raise click.UsageError("--timeout needs a worker process that can be killed: drop --no-isolate")
    check_scheduler(scheduler, executor)
    jobs = executor_jobs(jobs, executor)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", WorkersCappedWarning)
        jobs = capped_workers(jobs)
    for warning in caught:
        click.echo(f"warning: {warning.message}", err=True)
    if shard_text is not None and limit is not None:
        raise click.UsageError("--shard and --limit cannot be combined: a shard is part of a whole run")
    try:
        shard = None if shard_text is None else parse_shard(shard_text)
        params = parse_key_values(detector_args)
    except CRBenchError as error:
        raise click.ClickException(str(error)) from error
    settings = dict(dataset_name=dataset_name, split=split, size=size, data_dir=data_dir, params=params,
                    adaptive_sweep=adaptive_sweep, output=output, cache_dir=cache_dir, workers=jobs,
                    run_options=dict(device=device, limit=limit, ignore_policy=ignore_policy, keep_going=keep_going,
                                     fresh=fresh, progress=not quiet and not as_json, object_scores=object_scores,
                                     protocol=protocol,
                                     bootstrap=BootstrapSettings(n_resamples=n_resamples, seed=bootstrap_seed),
                                     isolate=bool(isolate), timeout=timeout, shard=shard, executor=executor,
                                     scheduler=scheduler))
    if len(names) == 1:
        try:
            job_output = _run_one(names[0], **settings)
        except CRBenchError as error:
            raise click.ClickException(str(error)) from error
        if as_json:
            click.echo(json.dumps(job_output.record.to_dict(), indent=2))
        else:
            _print_run(job_output)
        return
    _run_several(names, settings, as_json=as_json)


def _run_one(detector_name, *, dataset_name, split, size, data_dir, params, adaptive_sweep, output, cache_dir, workers,
             run_options):
    """Run one detector of the invocation; return its :class:`~crbench.jobs.JobOutput`."""
    if adaptive_sweep is not None:
        params = with_sweep_mode(detector_name, params, adaptive=adaptive_sweep)
    job = Job(detector_name, dataset_name, size=size, split=split, params=params, data_dir=data_dir)
    if size == "full":
        # paper scale: say what it costs and refuse before filling the disk
        footprint = run_footprint(job, cache_dir=cache_dir, workers=workers)
        click.echo(footprint.summary(), err=True)
        require_disk(footprint)
    return run_job(job, results_dir=output, cache_dir=cache_dir, workers=workers, **run_options)


def _run_several(names, settings, *, as_json):
    """Run each detector in turn (a failure does not stop the others), then print the summary; exit 1 on a failure."""
    outcomes = []
    for name in names:
        if not as_json:
            click.echo(f"\n== {name}")
        try:
            job_output = _run_one(name, **settings)
        except CRBenchError as error:
            click.echo(f"FAILED {name}: {error}", err=True)
            outcomes.append((name, None, str(error)))
            continue
        outcomes.append((name, job_output, None))
        if not as_json:
            _print_run(job_output)
    if as_json:
        click.echo(json.dumps([job_output.record.to_dict() for _, job_output, _ in outcomes if job_output], indent=2))
    else:
        click.echo(f"\nsummary: {len(names)} detectors on {settings['dataset_name']}")
        click.echo(summary_table(outcomes))
    failed = [name for name, _, error in outcomes if error is not None]
    if failed:
        click.echo(f"{len(failed)} of {len(names)} detector(s) failed: {', '.join(failed)}", err=True)
        raise click.exceptions.Exit(1)


#: Metrics of the summary table of a several-detector run.
SUMMARY_METRICS = ("tpr_at_fpr_1e-4", "f1", "auroc")


def summary_table(outcomes):
    """The table ending a several-detector run: one row per detector (status, headline metrics, record or error).

    Parameters
    ----------
    outcomes : list of (str, JobOutput or None, str or None)
        Detector name, its output (None when it failed) and the error.
    """
    rows = []
    for name, job_output, error in outcomes:
        if job_output is None:
            rows.append([name, "FAILED", *["n/a"] * len(SUMMARY_METRICS), "n/a", error])
            continue
        record = job_output.record
        values = [record.metric_value(metric) for metric in SUMMARY_METRICS]
        speed = record.runtime.seconds_per_megapixel
        rows.append([name, record.status, *["n/a" if value is None else f"{value:.4f}" for value in values],
                     "n/a" if speed is None else f"{speed:.3f}", str(job_output.path)])
    return tabulate(rows, headers=["detector", "status", *SUMMARY_METRICS, "s/Mpix", "record or error"],
                    tablefmt="github")


def _print_run(job_output):
    """Print one run's metrics, intervals, object scores, runtime and notes, as a single-detector run does."""
    result, record, path = job_output.result, job_output.record, job_output.path
    dataset_info = record.dataset
    click.echo(
        f"{record.detector.name} on {dataset_info.name} ({dataset_info.size}/{dataset_info.split}, "
        f"protocol {record.protocol_name}): "
        f"{dataset_info.n_images} images ({result.n_from_cache} from the score cache), "
        f"{dataset_info.n_pixels_scored} pixels scored, {dataset_info.n_pixels_ignored} ignored"
    )
    click.echo(metrics_table(record))
    parameter_source = record.detector.extra.get("parameter_source")
    if parameter_source is not None:
        click.echo(f"note: {parameter_source['note']}", err=True)
    if record.sweep_refinement is not None:
        click.echo(refinement_summary(record.sweep_refinement))
    if record.uncertainty is not None:
        section = record.uncertainty
        strata = f", stratified by {section.strata}" if section.strata else ""
        click.echo(f"[low, high]: {section.level:.0%} percentile bootstrap over {section.n_images} images "
                   f"({section.n_resamples} resamples, seed {section.seed}{strata}; {section.seconds:.1f} s)")
    if record.objects is not None:
        click.echo(object_scores_table(record.objects))
    runtime = record.runtime
    if runtime.seconds_per_megapixel is not None:
        click.echo(f"runtime: {runtime.seconds_per_megapixel:.3f} s/Mpix on {_device_summary(runtime)}")
    if runtime.mixes_cpu_and_gpu:
        click.echo(f"MIXED DEVICES: images ran on the CPU and on a GPU ({_device_summary(runtime)}), so the time per "
                   "Mpix averages two kinds of hardware; the leaderboard shows this run in its own 'MIXED CPU and "
                   "GPU' run-time table. Give GPU work to GPU workers only (docs/scaling.md, 'Device per worker').",
                   err=True)
    if record.failures:
        click.echo(f"PARTIAL: {len(record.failures)} image(s) failed; see 'failures' in the record", err=True)
    if record.is_subset:
        click.echo(f"SUBSET: scored only the first {record.dataset.n_images_requested} of "
                   f"{record.dataset.extra.get('n_images_available')} images (--limit); the record has its own "
                   "file name and status 'subset', and the leaderboard and 'crbench check' ignore it", err=True)
    if record.is_shard:
        shard_info = record.dataset.extra["shard"]
        click.echo(f"SHARD: scored shard {shard_info['index']}/{shard_info['count']} ({record.dataset.n_images} of "
                   f"{record.dataset.extra.get('n_images_available')} images); merge the {shard_info['count']} "
                   "shard records with 'crbench merge' (the leaderboard and 'crbench check' ignore shards)", err=True)
    click.echo(f"record: {path}")
    sys.stdout.flush()
