"""Merge the shard records of one run into the record one run would have written.

``crbench run --shard i/N`` (:mod:`crbench.sharding`) scores shard ``i`` of
a split's images and writes a shard record; each shard caches its
detector outputs in the score cache. :func:`merge_shards` checks that the
records are the ``N`` disjoint shards of one run (same job, detector
identity, parameters, data set version, protocol and scoring options)
and then re-scores the whole split from the score cache, never running
the detector: the cache the shards wrote must therefore be reachable
(a shared file system, or the shards' caches copied into one).

Why re-score instead of summing the shards' counts: crbench's score
detectors are scored on a threshold grid built from the truth-pixel
scores of *every* image (pass 1), so a shard's pass-2 counts are on its
own grid and cannot be added. Re-scoring runs exactly the code of a
single run on exactly the same cached outputs, in the data set's order,
so every metric, curve, per-image count, bootstrap interval and replicate
and the object section are bit-identical to a single run's. Scoring is
cheap next to detection (the detector is never set up).

The per-image detection times come from the shard records; the runtime
section sums the shards' setup and wall seconds (the compute the run
took) and records the number of shards (``runtime.shards``).
"""

import time
from pathlib import Path

from ..errors import InputError
from ..records import build_run_record, load_record, write_record
from ..runner import run_detector
from ..uncertainty import BootstrapSettings
from ..writable import check_writable_directory
from .build import build_dataset, build_detector
from .run import Job, JobOutput

__all__ = ["check_shards", "merge_shards"]

# what every shard of one run must share, besides its dataset.shard.job: (label, how to read it)
_SHARED = (
    ("crbench version", lambda record: record.crbench_version),
    ("detector", lambda record: record.detector.name),
    ("detector version", lambda record: record.detector.version),
    ("detector parameters", lambda record: record.detector.params_hash),
    ("data set", lambda record: (record.dataset.name, record.dataset.size, record.dataset.split)),
    ("data set version", lambda record: record.dataset.version),
    ("metric-spec version", lambda record: record.metric_spec_version),
    ("protocol", lambda record: record.protocol_name),
    ("ignore policy", lambda record: record.dataset.ignore_policy),
    ("truth dilation", lambda record: record.dataset.truth_dilation),
    ("images in the split", lambda record: record.dataset.extra.get("n_images_available")),
)


def _job_identity(job):
    """The shard's ``job`` without ``data_dir`` (the data may live at another path on each node)."""
    return {key: value for key, value in job.items() if key != "data_dir"}


def check_shards(records):
    """Check that ``records`` are all shards of one run; return their shard count.

    Parameters
    ----------
    records : list of RunRecord
        Loaded shard records (``source`` names their files in errors).

    Returns
    -------
    int
        ``N``, the number of shards of the run.

    Raises
    ------
    InputError
        Naming the file at fault, when a record is not a shard record, has
        failed images, differs from the first in its job, detector identity,
        parameters, data set version, protocol or scoring options, or when
        shards overlap or one is missing.
    """
    if not records:
        raise InputError("crbench merge needs the shard records of one run (crbench run --shard i/N)")
    for record in records:
        if not record.is_shard or not isinstance(record.dataset.extra.get("shard"), dict):
            raise InputError(f"{record.source}: not a shard record (status {record.status!r}); crbench merge takes "
                             "only the records 'crbench run --shard i/N' wrote")
        if "job" not in record.dataset.extra["shard"]:
            raise InputError(f"{record.source}: the shard record does not name its job (dataset.shard.job); "
                             "re-run the shard with this crbench version")
        if record.failures:
            raise InputError(f"{record.source}: shard {_shard_text(record)} has {len(record.failures)} failed "
                             f"image(s), e.g. {record.failures[0].sample_id!r}; re-run that shard until every "
                             "image works (cached images do not run again)")
    first = records[0]
    for record in records[1:]:
        for label, read in _SHARED:
            if read(record) != read(first):
                raise InputError(f"{record.source} is not a shard of the same run as {first.source}: different "
                                 f"{label} ({read(record)!r} vs {read(first)!r})")
        ours, theirs = record.dataset.extra["shard"], first.dataset.extra["shard"]
        if ours.get("count") != theirs.get("count"):
            raise InputError(f"{record.source} is not a shard of the same run as {first.source}: it is one of "
                             f"{ours.get('count')} shards, not of {theirs.get('count')}")
        if _job_identity(ours["job"]) != _job_identity(theirs["job"]):
            differences = sorted(key for key in set(ours["job"]) | set(theirs["job"])
                                 if key != "data_dir" and ours["job"].get(key) != theirs["job"].get(key))
            raise InputError(f"{record.source} is not a shard of the same run as {first.source}: different "
                             f"run options ({', '.join(differences)})")
    count = first.dataset.extra["shard"]["count"]
    by_index = {}
    for record in records:
        index = record.dataset.extra["shard"]["index"]
        if index in by_index:
            raise InputError(f"overlapping shards: shard {index}/{count} is given twice ({by_index[index].source} "
                             f"and {record.source}); pass each shard's record once")
        by_index[index] = record
    missing = [index for index in range(count) if index not in by_index]
    if missing:
        raise InputError(f"missing shard(s) {', '.join(f'{index}/{count}' for index in missing)} of "
                         f"{first.detector.name} on {first.dataset.name}/{first.dataset.split}: run "
                         f"'crbench run ... --shard i/{count}' for each and pass every record")
    seen = {}
    for record in records:
        for row in record.per_image:
            if row.sample_id in seen:
                raise InputError(f"overlapping shards: image {row.sample_id!r} is in {seen[row.sample_id]} and "
                                 f"{record.source}")
            seen[row.sample_id] = record.source
    return count


def _shard_text(record):
    shard = record.dataset.extra.get("shard") or {}
    return f"{shard.get('index')}/{shard.get('count')}"


def merge_shards(paths, *, results_dir, cache_dir=None, data_dir=None, progress=False):
    """Merge shard records into the record of the whole run and write it.

    Parameters
    ----------
    paths : sequence of path-like
        Every shard record of one run (``crbench run --shard i/N``).
    results_dir : path-like
        Where the merged record goes (its usual file name, as a single run's).
    cache_dir : path-like, optional
        The score cache the shards wrote (default :func:`crbench.cache.cache_root`).
    data_dir : path-like, optional
        Where a real data set lives (default: the first shard's ``data_dir``).
    progress : bool

    Returns
    -------
    JobOutput

    Raises
    ------
    InputError
        When the records are not the shards of one run (:func:`check_shards`),
        an image's output is not in the score cache, or the data set's
        images differ from those the shards scored.
    StorageError
        When ``results_dir`` cannot be written.
    """
    started = time.perf_counter()
    check_writable_directory(results_dir, what="run records", fix="pass --output DIR that you can write")
    records = [load_record(path) for path in paths]
    count = check_shards(records)
    spec = records[0].dataset.extra["shard"]["job"]
    job = Job(spec["detector"], spec["dataset"], size=spec["size"], split=spec["split"], params=spec["params"],
              data_dir=data_dir if data_dir is not None else spec["data_dir"])
    detector = build_detector(job.detector, job.params)
    dataset, _ = build_dataset(job.dataset, size=job.size, data_dir=job.data_dir)
    result = run_detector(
        detector, dataset, split=job.split, ignore_policy=spec["ignore_policy"], cache_dir=cache_dir,
        progress=progress, object_scores=spec["object_scores"], protocol=spec["protocol"],
        bootstrap=BootstrapSettings(**spec["bootstrap"]), cached_only=True,
    )
    rows = {row.sample_id: row for record in records for row in record.per_image}
    scored = {outcome.sample_id: outcome for outcome in result.outcomes}
    if set(rows) != set(scored):
        raise InputError(f"the shards scored {len(rows)} images but {dataset.name}/{job.split} now has "
                         f"{len(scored)} to score; the data set changed since the shards ran: re-run them")
    for sample_id, outcome in scored.items():
        if outcome.sha256 != rows[sample_id].sha256:
            raise InputError(f"image {sample_id!r} of {dataset.name}/{job.split} changed since the shards ran "
                             "(different sha256); re-run the shards")
        # the detection was timed when its shard ran; this merge read it from the cache
        outcome.detect_seconds, outcome.from_cache = rows[sample_id].detect_seconds, rows[sample_id].from_cache
        outcome.device = rows[sample_id].device
    runtimes = [record.runtime for record in records]
    devices = sorted({runtime.device for runtime in runtimes if runtime.device})
    result.device = ",".join(devices) or result.device
    result.jobs = max((runtime.jobs or 1) for runtime in runtimes)
    result.setup_seconds = sum(runtime.setup_seconds or 0.0 for runtime in runtimes)
    result.peak_rss_bytes = max([runtime.peak_rss_bytes or 0 for runtime in runtimes] + [result.peak_rss_bytes])
    result.isolated = any(runtime.isolated for runtime in runtimes)
    timeouts = {runtime.timeout_seconds for runtime in runtimes} - {None}
    result.timeout_seconds = max(timeouts) if timeouts else None
    merge_seconds = time.perf_counter() - started
    result.wall_seconds = sum(runtime.wall_seconds or 0.0 for runtime in runtimes) + merge_seconds
    record = build_run_record(result)
    record.runtime.torch_threads = sorted({threads for runtime in runtimes for threads in runtime.torch_threads or []})
    record.runtime.extra["shards"] = count
    return JobOutput(job=job, result=result, record=record, path=write_record(record, Path(results_dir)))
