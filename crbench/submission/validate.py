"""``crbench validate-submission``: every check the leaderboard's CI runs on a submission bundle.

Each check gives a verdict: ``PASS``, ``REFUSED`` with the named reasons, or
``SKIPPED`` (a step that could not be tested here, e.g. installing from
PyPI offline; never counted as passed). A bundle passes when no check is
refused.
"""

import json
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
    """
    say = progress or (lambda message: None)
    bundle = Path(bundle)
    submission, schema = _schema_check(bundle)
    results = [schema, _verdict("manifest", manifest_problems(bundle))]
    if submission is None:
        return results
    detector, adapter = submission["detector"], submission["adapter"]

    requirement_problems = []
    try:
        pinned = parse_requirement(adapter.get("requirement", ""), package=adapter.get("package"), base=bundle)
        if pinned.kind == "file" and not _inside(bundle / pinned.text, bundle):
            requirement_problems.append(f"the requirement file {pinned.text} lies outside the bundle")
    except (CRBenchError, TypeError) as error:
        pinned = None
        requirement_problems.append(str(error))
    results.append(_verdict("requirement", requirement_problems))

    training = submission.get("training")
    declared = declaration_problems(training)
    if not declared and sorted(training["datasets"]) != sorted(detector.get("training_datasets") or []):
        declared.append(f"'training.datasets' {training['datasets']} differ from the detector's training_datasets "
                        f"{detector.get('training_datasets')}")
    results.append(_verdict("training", declared))

    say("building the official splits")
    officials = {}
    for name, name_size in official_datasets(datasets=datasets, size=size):
        official = official_split(name, size=name_size)
        officials[official.key] = official

    hashes_file = (training or {}).get("hashes_file") if isinstance(training, dict) else None
    overlap_problems = []
    if hashes_file:
        try:
            overlap = training_overlap(read_training_hashes(bundle / hashes_file), officials.values())
            overlap_problems = [f"{count} training image hash(es) overlap the official split {key}"
                                for key, count in sorted(overlap.items())]
        except (OSError, CRBenchError) as error:
            overlap_problems = [f"cannot read {hashes_file}: {error}"]
    results.append(_verdict("training-overlap", overlap_problems) if hashes_file
                   else CheckResult("training-overlap", SKIPPED, ["no training-image hashes in the bundle"]))

    records, record_issues, notes = [], [], []
    entries = {(entry.get("dataset"), entry.get("size"), entry.get("split")): entry
               for entry in submission["splits"] if isinstance(entry, dict)}
    for key, official in officials.items():
        entry = entries.get((official.dataset, official.size, official.split))
        if entry is None:
            record_issues.append(f"missing record: no entry for the official split {key}")
            continue
        path = bundle / str(entry.get("record"))
        if not _inside(path, bundle):
            record_issues.append(f"the record {entry.get('record')} of {key} lies outside the bundle")
            continue
        try:
            record = RunRecord.load(path)
        except (OSError, CRBenchError) as error:
            record_issues.append(f"missing record: {entry.get('record')} for {key} cannot be read ({error})")
            continue
        record_issues += record_problems(record, official, detector=detector)
        records.append(record)
        if record.trained_on_family:
            notes.append(f"{key}: trained on the {record.dataset.family!r} family, marked † on the leaderboard")
    results.append(_verdict("records", record_issues, notes))

    bench_problems = []
    try:
        outside = [str(name) for name in submission["bench"] if not _inside(bundle / str(name), bundle)]
        if outside:
            raise CRBenchError(f"bench records outside the bundle: {', '.join(outside)}")
        benches = load_bench_records([bundle / str(name) for name in submission["bench"]])
        if not benches:
            bench_problems.append("no bench record")
        bench_problems += [f"bench record of {record.detector.name!r}, not {detector.get('name')!r}"
                           for record in benches if record.detector.name != detector.get("name")]
    except (OSError, CRBenchError) as error:
        bench_problems.append(str(error))
    results.append(_verdict("bench", bench_problems))

    with tempfile.TemporaryDirectory(prefix="crbench-submission-") as scratch:
        environment = None
        if not install:
            results.append(CheckResult("install", SKIPPED, ["--no-install: the requirement was not installed"]))
            results.append(CheckResult("mock-run", SKIPPED, ["--no-install"]))
        elif pinned is None:
            results.append(CheckResult("install", REFUSED, ["no installable requirement"]))
        else:
            say(f"installing {adapter.get('requirement')} in a fresh virtual environment")
            environment = FreshEnvironment(Path(scratch) / "venv")
            target = str(bundle / pinned.text) if pinned.kind == "file" else pinned.text
            ok, text = environment.install(target, offline=pinned.kind == "file")
            installed = environment.distribution_version(adapter.get("package")) if ok else None
            if not ok:
                results.append(CheckResult("install", REFUSED, [f"pip install {target} failed: {text[-1500:]}"]))
                environment = None
            elif installed != adapter.get("version"):
                results.append(CheckResult("install", REFUSED, [f"installed {adapter.get('package')} {installed}, "
                                                                f"the submission states {adapter.get('version')}"]))
                environment = None
            else:
                results.append(CheckResult("install", PASS))
                ok, text = environment.crbench("mock-run", detector.get("name"))
                results.append(_verdict("mock-run", [] if ok else [f"crbench mock-run failed: {text[-1500:]}"]))
        if rerun <= 0:
            results.append(CheckResult("rerun", SKIPPED, ["--rerun 0"]))
        elif not records:
            results.append(CheckResult("rerun", REFUSED, ["no record to re-run"]))
        elif install and environment is None:
            results.append(CheckResult("rerun", REFUSED, ["the detector could not be installed to re-run it"]))
        else:
            say(f"re-running {rerun} image(s)")
            try:
                if environment is not None:
                    checked, problems = environment.rerun(bundle, rerun, seed=seed, tolerance=tolerance)
                else:
                    checked, problems = rerun_problems(records, rerun, seed=seed, tolerance=tolerance)
                    checked = list(checked)
            except (RuntimeError, CRBenchError) as error:
                checked, problems = [], [str(error)]
            results.append(_verdict("rerun", [f"scores do not reproduce: {problem}" for problem in problems],
                                    [f"re-ran {', '.join(checked)}"]))
    return results


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
