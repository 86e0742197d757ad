"""Write a submission bundle: run records, bench records, ``submission.json`` and ``MANIFEST.json``.

Layout::

    bundle/
      submission.json        what is submitted (schema SUBMISSION_SCHEMA)
      MANIFEST.json          sha256 of every other file
      records/run__*.json    one complete run record per official split
      bench/bench__*.json    crbench bench records
      dist/<wheel or sdist>  when the requirement is a file
      training_hashes.txt    when the submitter listed training-image hashes

The bundle is written into a hidden staging folder beside ``output`` and
renamed into place at the end, so a failed submit leaves no half bundle.
"""

import datetime
import importlib.metadata
import json
import os
import shutil
import tempfile
from pathlib import Path

from .. import __version__
from ..environment import environment_info
from ..errors import InputError
from ..records import RunRecord, write_record
from .manifest import write_manifest
from .official import official_jobs, official_split
from .records import record_problems
from .requirement import parse_requirement
from .training import TRAINING_HASHES_NAME, read_training_hashes, training_overlap

__all__ = ["SUBMISSION_SCHEMA", "SUBMISSION_NAME", "adapter_distribution", "build_bundle", "find_fresh_records"]

SUBMISSION_SCHEMA = "crbench.submission/1"
SUBMISSION_NAME = "submission.json"


def adapter_distribution(detector_cls):
    """``(distribution name, version)`` of the installed package that provides ``detector_cls``.

    Raises
    ------
    InputError
        When the class's top-level package belongs to no installed
        distribution (a module on the path only): a submission must be installable.
    """
    top = detector_cls.__module__.split(".")[0]
    for distribution in importlib.metadata.packages_distributions().get(top, []):
        try:
            return distribution, importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
    raise InputError(f"detector class {detector_cls.__module__}:{detector_cls.__qualname__} comes from no installed "
                     f"package (top-level {top!r}); package it (see docs/submitting.md) and pip install it")


def find_fresh_records(records_dir, official, *, detector):
    """The newest record in ``records_dir`` that stands for ``official`` (None when none does).

    Returns
    -------
    record : RunRecord or None
    problems : list of str
        Why the candidate records do not qualify (empty when one does).
    """
    candidates, problems = [], []
    pattern = f"run__{official.dataset}__{official.size}__{official.split}__{detector['name']}__*.json"
    for path in sorted(Path(records_dir).glob(pattern)):
        record = RunRecord.load(path)
        found = record_problems(record, official, detector=detector)
        (problems.extend(found) if found else candidates.append(record))
    if not candidates:
        return None, problems or [f"no run record of {detector['name']} on {official.key} in {records_dir}"]
    return max(candidates, key=lambda record: record.created or ""), []


def build_bundle(detector_name, *, output, requirement, datasets=None, size="small", records_dir=None,
                 untrained=False, training_hashes=None, bench_shape=(4096, 2048), bench_repeats=3, run=None,
                 bench=None, progress=None):
    """Run (or collect) the detector's official runs and write the submission bundle.

    Parameters
    ----------
    detector_name : str
        Registry name (an installed plug-in's entry point).
    output : path-like
        The bundle folder; must not exist yet.
    requirement : str
        How to install the adapter: ``name==version``, a wheel/sdist path or
        ``git+https://...@<commit>`` (:func:`crbench.submission.requirement.parse_requirement`).
    datasets : list of str, optional
        Default: the leaderboard's data sets.
    size : str
        Size of the simulated data sets (the leaderboard's: ``"small"``).
    records_dir : path-like, optional
        Take complete, current records from here instead of running.
    untrained : bool
        State that the detector was trained on nothing (needed when its
        ``training_datasets`` is empty).
    training_hashes : path-like, optional
        One :func:`crbench.datasets.sample_sha256` of a training image per line.
    bench_shape, bench_repeats :
        Frame and repeats of the ``crbench bench`` record.
    run, bench : callable, optional
        ``run(job, results_dir)`` -> RunRecord and ``bench(name, params, output)``
        (default: :func:`crbench.jobs.run_job` and :func:`crbench.jobs.bench_job`).
    progress : callable, optional
        Receives one message per step.

    Returns
    -------
    pathlib.Path
        The bundle.

    Raises
    ------
    InputError
        Unpinned requirement, undeclared training data, training images in
        a test split, missing or stale records, or an existing ``output``.
    """
    from ..jobs import bench_job, build_detector, run_job

    say = progress or (lambda message: None)
    output = Path(output)
    if output.exists():
        raise InputError(f"{output} exists; pass a new --output folder for the bundle")
    detector = build_detector(detector_name)
    info = detector.info()
    package, version = adapter_distribution(type(detector))
    pinned = parse_requirement(requirement, package=package)
    families = list(info["training_datasets"])
    if not families and not untrained:
        raise InputError(f"detector {detector_name!r} declares no training_datasets: add the families it was trained "
                         "on to the class, or pass --untrained if it was trained on nothing")
    if families and untrained:
        raise InputError(f"detector {detector_name!r} declares training data {families}; drop --untrained")
    jobs = official_jobs(detector_name, datasets=datasets, size=size)
    if not jobs:
        raise InputError(f"detector {detector_name!r} cannot run here; see `crbench list`")
    say(f"hashing the images of {len(jobs)} official split(s)")
    splits = {job.key: official_split(job.dataset, size=job.size, split=job.split) for job in jobs}
    hashes = read_training_hashes(training_hashes) if training_hashes else set()
    overlap = training_overlap(hashes, splits.values())
    if overlap:
        raise InputError("training images overlap official test splits: " +
                         "; ".join(f"{count} hash(es) in {key}" for key, count in sorted(overlap.items())))

    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.", suffix=".staging", dir=output.parent))
    try:
        (staging / "records").mkdir()
        (staging / "bench").mkdir()
        entries = []
        for job in jobs:
            official = splits[job.key]
            if records_dir is not None:
                record, problems = find_fresh_records(records_dir, official, detector=info)
                if record is None:
                    raise InputError(f"no usable record for {official.key} in {records_dir}: " + "; ".join(problems))
            else:
                say(f"running {job.key}")
                record = (run(job, staging / "records") if run is not None
                          else run_job(job, results_dir=staging / "records").record)
                problems = record_problems(record, official, detector=info)
                if problems:
                    raise InputError(f"the run of {job.key} cannot be submitted: " + "; ".join(problems))
            path = write_record(record, staging / "records")
            entries.append({"dataset": official.dataset, "size": official.size, "split": official.split,
                            "version": official.version, "manifest_hash": official.manifest_hash,
                            "record": f"records/{path.name}"})
        say(f"timing {detector_name} on a {bench_shape[0]}x{bench_shape[1]} frame")
        params = jobs[0].params
        if bench is None:
            bench_job(detector_name, params=params, shape=bench_shape, repeats=bench_repeats, isolate=True,
                      output=staging / "bench")
        else:
            bench(detector_name, params, staging / "bench")
        requirement_text = pinned.text
        if pinned.kind == "file":
            (staging / "dist").mkdir()
            shutil.copy2(pinned.text, staging / "dist" / Path(pinned.text).name)
            requirement_text = f"dist/{Path(pinned.text).name}"
        if hashes:
            (staging / TRAINING_HASHES_NAME).write_text("".join(f"{digest}\n" for digest in sorted(hashes)))
        submission = {
            "schema": SUBMISSION_SCHEMA,
            "crbench_version": __version__,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "detector": {key: info[key] for key in ("name", "class", "version", "output_kind", "citation", "license",
                                                    "training_datasets")},
            "adapter": {"package": package, "version": version, "requirement": requirement_text,
                        "requirement_kind": pinned.kind},
            "training": {"datasets": families, "untrained": bool(untrained),
                         "hashes_file": TRAINING_HASHES_NAME if hashes else None, "n_hashes": len(hashes)},
            "splits": entries,
            "bench": sorted(f"bench/{path.name}" for path in (staging / "bench").glob("bench__*.json")),
            "environment": environment_info(),
        }
        (staging / SUBMISSION_NAME).write_text(json.dumps(submission, indent=2) + "\n")
        write_manifest(staging)
        os.replace(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return output

