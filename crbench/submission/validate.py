"""``crbench validate-submission``: every check the leaderboard's CI runs on a submission bundle.

Each check gives a verdict: ``PASS``, ``REFUSED`` with the named reasons, or
``SKIPPED`` (a step that could not be tested here, e.g. installing from
PyPI offline; never counted as passed). A bundle passes when no check is
refused.
"""

import json
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..errors import CRBenchError
from ..records import RunRecord
from ..timing import load_bench_records
from .bundle import SUBMISSION_NAME, SUBMISSION_SCHEMA
from .install import FreshEnvironment
from .manifest import manifest_problems
from .official import official_datasets, official_split
from .records import record_problems
from .requirement import parse_requirement
from .rerun import DEFAULT_TOLERANCE, rerun_problems
from .training import declaration_problems, read_training_hashes, training_overlap

__all__ = ["PASS", "REFUSED", "SKIPPED", "CheckResult", "validate_bundle", "format_report"]

PASS, REFUSED, SKIPPED = "PASS", "REFUSED", "SKIPPED"


@dataclass
class CheckResult:
    """The verdict of one check.

    Attributes
    ----------
    name : str
        ``schema``, ``manifest``, ``requirement``, ``training``, ``training-overlap``,
        ``records``, ``bench``, ``install``, ``mock-run`` or ``rerun``.
    verdict : {"PASS", "REFUSED", "SKIPPED"}
    reasons : list of str
        Why it was refused or skipped; notes (e.g. † marks) when it passed.
    """

    name: str
    verdict: str
    reasons: list = field(default_factory=list)


def _verdict(name, problems, notes=()):
    return CheckResult(name, REFUSED if problems else PASS, list(problems) or list(notes))


def _schema_check(bundle):
    try:
        submission = json.loads((bundle / SUBMISSION_NAME).read_text())
    except (OSError, ValueError) as error:
        return None, CheckResult("schema", REFUSED, [f"{SUBMISSION_NAME} is missing or not JSON ({error})"])
    problems = []
    if not isinstance(submission, dict) or submission.get("schema") != SUBMISSION_SCHEMA:
        return None, CheckResult("schema", REFUSED, [f"{SUBMISSION_NAME} is not a {SUBMISSION_SCHEMA} document"])
    for key, kind in (("detector", dict), ("adapter", dict), ("splits", list), ("bench", list),
                      ("environment", dict), ("crbench_version", str)):
        if not isinstance(submission.get(key), kind):
            problems.append(f"{SUBMISSION_NAME}: {key!r} is missing or not a {kind.__name__}")
    if isinstance(submission.get("crbench_version"), str) and submission["crbench_version"] != __version__:
        problems.append(f"written by crbench {submission['crbench_version']}, this is crbench {__version__}: "
                        "re-submit with the current release")
    return (None if problems else submission), _verdict("schema", problems)


def validate_bundle(bundle, *, datasets=None, size="small", rerun=0, seed=0, tolerance=DEFAULT_TOLERANCE,
                    install=True, progress=None):
    """Run every check on ``bundle``; return the list of :class:`CheckResult`.

    Parameters
    ----------
    bundle : path-like
    datasets : list of str, optional
        The splits the submission must cover (default: the leaderboard's data sets).
    size : str
        Size of the simulated data sets.
    rerun : int
        Images to re-run (seeded by ``seed``); 0 skips the check.
    tolerance : float
        Fraction of an image's pixels whose decision may differ on re-run.
    install : bool
        Install the detector in a fresh environment and run ``mock-run`` and
        the re-run there; False reports those steps as skipped and re-runs in
        this environment.
    progress : callable, optional
        Receives one message per slow step.

    Raises
    ------
    CRBenchError
        When an official split cannot be built here (e.g. a real data set not downloaded).
    """
    say = progress or (lambda message: None)
    bundle = Path(bundle)
    submission, schema = _schema_check(bundle)
    results = [schema, _verdict("manifest", manifest_problems(bundle))]
    if submission is None:
        return results
    pinned, requirement = _requirement_check(bundle, submission["adapter"])
    results += [requirement, _training_check(submission)]
    say("building the official splits")
    officials = [official_split(name, size=name_size)
                 for name, name_size in official_datasets(datasets=datasets, size=size)]
    results.append(_overlap_check(bundle, submission.get("training"), officials))
    records, records_check = _records_check(bundle, submission, officials)
    results += [records_check, _bench_check(bundle, submission)]
    with tempfile.TemporaryDirectory(prefix="crbench-submission-") as scratch:
        environment = None
        if install:
            environment, checks = _install_checks(Path(scratch) / "venv", bundle, submission, pinned, say)
            results += checks
        else:
            results += [CheckResult("install", SKIPPED, ["--no-install: the requirement was not installed"]),
                        CheckResult("mock-run", SKIPPED, ["--no-install"])]
        results.append(_rerun_check(bundle, records, rerun=rerun, seed=seed, tolerance=tolerance,
                                    environment=environment, installed=not install or environment is not None,
                                    say=say))
    return results


def _requirement_check(bundle, adapter):
    """``(PinnedRequirement or None, CheckResult)``: is the requirement pinned, and its file in the bundle?"""
    try:
        pinned = parse_requirement(adapter.get("requirement", ""), package=adapter.get("package"), base=bundle)
    except (CRBenchError, TypeError) as error:
        return None, CheckResult("requirement", REFUSED, [str(error)])
    if pinned.kind == "file" and not _inside(bundle / pinned.text, bundle):
        return None, CheckResult("requirement", REFUSED, [f"the requirement file {pinned.text} lies outside the "
                                                          "bundle"])
    return pinned, CheckResult("requirement", PASS)


def _training_check(submission):
    training, detector = submission.get("training"), submission["detector"]
    problems = declaration_problems(training)
    if not problems and sorted(training["datasets"]) != sorted(detector.get("training_datasets") or []):
        problems.append(f"'training.datasets' {training['datasets']} differ from the detector's training_datasets "
                        f"{detector.get('training_datasets')}")
    return _verdict("training", problems)


def _overlap_check(bundle, training, officials):
    hashes_file = training.get("hashes_file") if isinstance(training, dict) else None
    if not hashes_file:
        return CheckResult("training-overlap", SKIPPED, ["no training-image hashes in the bundle"])
    if not _inside(bundle / str(hashes_file), bundle):
        return CheckResult("training-overlap", REFUSED, [f"{hashes_file} lies outside the bundle"])
    try:
        overlap = training_overlap(read_training_hashes(bundle / str(hashes_file)), officials)
    except (OSError, CRBenchError) as error:
        return CheckResult("training-overlap", REFUSED, [f"cannot read {hashes_file}: {error}"])
    return _verdict("training-overlap", [f"{count} training image hash(es) overlap the official split {key}"
                                         for key, count in sorted(overlap.items())])


def _records_check(bundle, submission, officials):
    """``(records read, CheckResult)``: one fit record per official split; † notes for training families."""
    records, problems, notes = [], [], []
    entries = {(entry.get("dataset"), entry.get("size"), entry.get("split")): entry
               for entry in submission["splits"] if isinstance(entry, dict)}
    for official in officials:
        entry = entries.get((official.dataset, official.size, official.split))
        if entry is None:
            problems.append(f"missing record: no entry for the official split {official.key}")
            continue
        path = bundle / str(entry.get("record"))
        if not _inside(path, bundle):
            problems.append(f"the record {entry.get('record')} of {official.key} lies outside the bundle")
            continue
        try:
            record = RunRecord.load(path)
        except (OSError, CRBenchError) as error:
            problems.append(f"missing record: {entry.get('record')} for {official.key} cannot be read ({error})")
            continue
        problems += record_problems(record, official, detector=submission["detector"])
        records.append(record)
        if record.trained_on_family:
            notes.append(f"{official.key}: trained on the {record.dataset.family!r} family, marked † on the "
                         "leaderboard")
    return records, _verdict("records", problems, notes)


def _bench_check(bundle, submission):
    name = submission["detector"].get("name")
    outside = [str(item) for item in submission["bench"] if not _inside(bundle / str(item), bundle)]
    if outside:
        return CheckResult("bench", REFUSED, [f"bench records outside the bundle: {', '.join(outside)}"])
    try:
        benches = load_bench_records([bundle / str(item) for item in submission["bench"]])
    except (OSError, CRBenchError) as error:
        return CheckResult("bench", REFUSED, [str(error)])
    problems = [] if benches else ["no bench record"]
    problems += [f"bench record of {record.detector.name!r}, not {name!r}"
                 for record in benches if record.detector.name != name]
    return _verdict("bench", problems)


def _install_checks(folder, bundle, submission, pinned, say):
    """``(FreshEnvironment or None, [install, mock-run])``: the environment when the detector installed."""
    adapter, name = submission["adapter"], submission["detector"].get("name")
    not_run = CheckResult("mock-run", SKIPPED, ["the detector did not install"])
    if pinned is None:
        return None, [CheckResult("install", REFUSED, ["no installable requirement"]), not_run]
    say(f"installing {adapter.get('requirement')} in a fresh virtual environment")
    try:
        environment = FreshEnvironment(folder)
    except (OSError, subprocess.SubprocessError) as error:
        return None, [CheckResult("install", REFUSED, [f"cannot create a virtual environment ({error})"]), not_run]
    target = str(bundle / pinned.text) if pinned.kind == "file" else pinned.text
    ok, text = environment.install(target, offline=pinned.kind == "file")
    if not ok:
        return None, [CheckResult("install", REFUSED, [f"pip install {target} failed: {text[-1500:]}"]), not_run]
    installed = environment.distribution_version(adapter.get("package"))
    if installed != adapter.get("version"):
        return None, [CheckResult("install", REFUSED, [f"installed {adapter.get('package')} {installed}, the "
                                                       f"submission states {adapter.get('version')}"]), not_run]
    ok, text = environment.crbench("mock-run", name)
    return environment, [CheckResult("install", PASS),
                         _verdict("mock-run", [] if ok else [f"crbench mock-run failed: {text[-1500:]}"])]


def _rerun_check(bundle, records, *, rerun, seed, tolerance, environment, installed, say):
    if rerun <= 0:
        return CheckResult("rerun", SKIPPED, ["--rerun 0"])
    if not records:
        return CheckResult("rerun", REFUSED, ["no record to re-run"])
    if not installed:
        return CheckResult("rerun", REFUSED, ["the detector could not be installed to re-run it"])
    say(f"re-running {rerun} image(s)")
    try:
        if environment is not None:
            checked, problems = environment.rerun(bundle, rerun, seed=seed, tolerance=tolerance)
        else:
            checked, problems = rerun_problems(records, rerun, seed=seed, tolerance=tolerance)
    except (RuntimeError, CRBenchError) as error:
        checked, problems = [], [str(error)]
    return _verdict("rerun", [f"scores do not reproduce: {problem}" for problem in problems],
                    [f"re-ran {', '.join(checked)}"])


def _inside(path, bundle):
    """True when ``path`` (symlinks resolved) lies inside ``bundle``: files named by the bundle stay in it."""
    return Path(path).resolve().is_relative_to(Path(bundle).resolve())


def format_report(results):
    """One line per check (``VERDICT  name``) and its reasons indented below, then the overall verdict."""
    lines = []
    for result in results:
        lines.append(f"{result.verdict:<8} {result.name}")
        lines += [f"         - {reason}" for reason in result.reasons]
    refused = [result.name for result in results if result.verdict == REFUSED]
    lines.append(f"REFUSED ({', '.join(refused)})" if refused else "PASS")
    return "\n".join(lines)
