"""Build, write and read run records; print their metrics.

A record names everything needed to decide whether two results are
comparable: detector name, version, parameters and their hash; data set
name, version, size, split and the sha256 manifest hash of the images
actually scored; the metric-spec version; package versions and machine.
It stores raw counts (summed and per image) so metrics can be recomputed
and merged, and the metrics each with ``higher_is_better``.

Records are written atomically and never contain NaN: undefined metrics
are ``null``.
"""

import copy
import datetime
import json
from collections import Counter
from pathlib import Path

from tabulate import tabulate

from .. import __version__
from ..atomic import write_json_atomic
from ..datasets import manifest_hash
from ..environment import environment_info
from ..errors import InputError
from ..scoring import METRIC_SPEC_VERSION
from ..writable import storage_error
from .reach import not_reached_text
from .run import RUN_SCHEMA, RunRecord, as_run_record

__all__ = ["build_run_record", "record_filename", "write_record", "load_record", "metrics_table"]


def record_filename(record):
    """Return the canonical file name of a run record (:class:`RunRecord` or dict)."""
    return as_run_record(record).filename


def build_run_record(result):
    """Turn a :class:`crbench.runner.RunResult` into a validated :class:`RunRecord`.

    Reads only the result's snapshots (``detector_info``, ``dataset_info``,
    ``truth_dilation``, ``n_sweep_values``, ``peak_rss_bytes``, outcomes and
    scores), never the live detector or data set.
    """
    scored = [outcome for outcome in result.outcomes if outcome.error is None]
    failures = result.failures
    n_pixels_images = sum(int(outcome.shape[0] * outcome.shape[1]) for outcome in scored)
    timed = [outcome for outcome in scored if outcome.detect_seconds is not None]
    detect_seconds = sum(outcome.detect_seconds for outcome in timed)
    timed_megapixels = sum(outcome.shape[0] * outcome.shape[1] for outcome in timed) / 1e6
    # the device each timed image ran on, resolved in the process that ran it (crbench.device)
    devices = Counter(outcome.device for outcome in timed if getattr(outcome, "device", None))
    n_sweep = result.n_sweep_values
    scores = result.scores or {}
    dataset_info = copy.deepcopy(result.dataset_info)
    dataset_info.update(
        {
            "manifest_hash": manifest_hash({outcome.sample_id: outcome.sha256 for outcome in scored}),
            "n_images": len(scored),
            "n_images_requested": len(result.outcomes),
            "n_pixels": n_pixels_images,
            "n_pixels_scored": scores.get("n_pixels_scored"),
            "n_pixels_ignored": scores.get("n_pixels_ignored"),
            "n_pixels_nonfinite": sum(outcome.n_nonfinite for outcome in scored),
            "truth_dilation": result.truth_dilation,
            "ignore_policy": result.ignore_policy,
        }
    )
    subset = bool(getattr(result, "is_subset", False))
    if subset:
        # written only for --limit runs that left images out, so every other record is unchanged
        dataset_info.update({"limit": result.limit, "n_images_available": result.n_images_available})
    shard = getattr(result, "shard", None)
    if shard is not None:
        # written only for --shard runs; crbench merge checks that the shards of a run fit together
        dataset_info.update({"shard": shard.to_dict(), "n_images_available": result.n_images_available})
    record = {
        "schema": RUN_SCHEMA,
        "crbench_version": __version__,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "status": ("shard" if shard is not None else "subset" if subset else "partial" if failures
                   else "complete"),
        "detector": copy.deepcopy(result.detector_info),
        "dataset": dataset_info,
        "metric_spec_version": METRIC_SPEC_VERSION,
        "protocol": result.protocol,
        "operating_point": scores.get("operating_point"),
        "metrics": scores.get("metrics", {}),
        "counts": scores.get("counts"),
        "curves": scores.get("curves"),
        "per_image": [
            {
                "sample_id": outcome.sample_id,
                "shape": list(outcome.shape),
                "sha256": outcome.sha256,
                "detect_seconds": outcome.detect_seconds,
                "from_cache": outcome.from_cache,
                **({"device": outcome.device} if getattr(outcome, "device", None) else {}),
                "n_pixels_nonfinite": outcome.n_nonfinite,
                **scores.get("per_image", {}).get(outcome.sample_id, {}),
            }
            for outcome in scored
        ],
        "failures": [
            {"sample_id": outcome.sample_id, "error": outcome.error, "traceback": outcome.traceback}
            for outcome in failures
        ],
        "runtime": {
            "device": result.device,
            "jobs": result.jobs,
            "setup_seconds": result.setup_seconds,
            "detect_seconds": detect_seconds,
            "n_images_timed": len(timed),
            "n_images_from_cache": result.n_from_cache,  # a failed image is never a cache hit
            "seconds_per_megapixel": detect_seconds / timed_megapixels if timed else None,
            "n_sweep_values": n_sweep,
            "seconds_per_megapixel_per_sweep_value": (
                detect_seconds / timed_megapixels / n_sweep if timed and n_sweep else None
            ),
            "wall_seconds": result.wall_seconds,
            "peak_rss_bytes": result.peak_rss_bytes,
            # torch thread counts of the processes that ran the detector in this run (cached maps excluded)
            "torch_threads": sorted({outcome.torch_threads for outcome in timed if outcome.torch_threads is not None}),
            "isolated": bool(getattr(result, "isolated", False)),
            **({} if getattr(result, "timeout_seconds", None) is None else {"timeout_seconds": result.timeout_seconds}),
            **({} if getattr(result, "executor", None) is None else {"executor": result.executor}),
            "devices": dict(sorted(devices.items())),
        },
        "environment": environment_info(),
    }
    if result.objects is not None:
        record["objects"] = result.objects
    if scores.get("uncertainty") is not None:
        record["uncertainty"] = scores["uncertainty"]
    if getattr(result, "sweep_refinement", None) is not None:
        record["sweep_refinement"] = result.sweep_refinement
    # through JSON once, so that the record in memory is exactly what its file will hold (tuples become
    # lists, NaN is refused), and validated, so that a malformed record fails the run that made it
    record = json.loads(json.dumps(record, allow_nan=False))
    return RunRecord.from_dict(record, source=f"run record of {result.detector_info.get('name')!r}")


def write_record(record, directory):
    """Write ``record`` (:class:`RunRecord` or dict) atomically into ``directory``; return its path.

    Raises
    ------
    InputError
        When the file name would not be a plain file directly in ``directory``
        (a name holding ``/`` or ``..``, from a hand-made record).
    StorageError
        When the file cannot be written (the message names the path).
    """
    record = as_run_record(record)
    directory = Path(directory)
    path = directory / record.filename
    if Path(record.filename).name != record.filename or "\\" in record.filename:
        raise InputError(f"run record file name {record.filename!r} would be written outside {directory}; "
                         "detector and data set names must be plain identifiers")
    try:
        write_json_atomic(path, record.to_dict())
    except OSError as error:
        raise storage_error(error, path=path, what="the run record", fix="pass --output DIR that you can write") \
            from error
    return path


def load_record(path):
    """Load and validate a run record; return a :class:`RunRecord`.

    Raises
    ------
    crbench.records.RecordError
        (an :class:`~crbench.errors.InputError`) when the file is not valid
        JSON, not a run record of a readable schema, or malformed; the
        message names the file and the field.
    """
    return RunRecord.load(path)


def _format(value):
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _format_value(record, name, metric):
    """The value (or "not reached (FPR >= x)"), followed by its bootstrap interval ``[low, high]`` when the record has one."""
    text = not_reached_text(metric.lowest_fpr) if metric.not_reached else _format(metric.value)
    interval = record.uncertainty.interval(name) if record.uncertainty is not None else None
    if interval is None:
        return text
    return f"{text} [{_format(interval[0])}, {_format(interval[1])}]"


def metrics_table(record, *, tablefmt="github"):
    """Return the metrics of a record as a text table.

    Columns: metric, value (with its bootstrap interval when the record has
    an ``uncertainty`` section), threshold or sweep value used, and whether
    higher is better. A TPR-at-FPR target no sweep point reached prints as
    "not reached (FPR >= x)", x the lowest FPR the sweep achieved.
    """
    record = as_run_record(record)
    rows = [
        [name, _format_value(record, name, metric),
         _format(metric.threshold), "yes" if metric.higher_is_better else "no"]
        for name, metric in record.metrics.items()
    ]
    return tabulate(rows, headers=["metric", "value", "at threshold", "higher is better"], tablefmt=tablefmt)
