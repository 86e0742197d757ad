"""The regression check: compare fresh run records with a committed baseline.

Every baseline entry is one (detector, data set, size, split) with the
versions that make it comparable and its metric values. A fresh record of
the same entry gets one verdict:

``improved`` / ``unchanged`` / ``worse``
    Per metric, direction-aware (``higher_is_better``) with tolerance
    ``max(abs, rel x |baseline|)``; the entry is worse if any checked metric is.
``not comparable``
    The data set version, metric-spec version or detector version changed:
    numbers are not compared.
``missing`` / ``new``
    In the baseline but not in the results, or the other way round.
``failed``
    The fresh record is partial (some images failed), the run raised, the
    images (manifest hash) or detector parameters changed while every
    version stayed the same, or the record's metrics cannot be trusted: a
    value is NaN or infinite, outside [0, 1], or contradicts the metrics
    recomputed from the record's own stored counts
    (:func:`crbench.records.metric_problems`, tolerance
    :data:`crbench.records.METRIC_TOLERANCE`).

Several fresh records of one entry (duplicates: a stale file, a re-run with
other parameters, a hand-made copy) are never resolved by their ``created``
date, which anyone can forge. The precedence, strongest first:

1. a record dated in the future (more than
   :data:`crbench.records.run.CLOCK_SKEW` after now) fails the entry: its
   date is forged or its clock wrong;
2. a record that is not complete (partial, failed, any status other than
   ``complete``) fails the entry, whatever its date and whether or not the
   baseline holds the entry;
3. every complete record is compared with the baseline and the most severe
   verdict counts (a stale record that is worse fails the entry: remove it).

Subset records (status ``subset``: ``crbench run --limit N`` left images
out) are ignored, not failed: they are quick checks that may sit in a
results folder and never stand for an entry (``crbench check`` names each
one it ignored). Shard records (status ``shard``: ``crbench run --shard
i/N``) are ignored the same way; ``crbench merge`` makes one record of them.
An entry whose only fresh record is a subset or a shard is therefore
``missing``.

The leaderboard shows one record per detector configuration
(:func:`crbench.leaderboard.collect.display_preference`); the gate checks
them all.

TPR at FPR targets a mask detector's sweep did not reach are null with the
lowest FPR reached (:mod:`crbench.records.reach`). Baselines written before
that rule hold 0.0 there; a fresh record that reports the same target as not
reached gets the metric verdict ``reinterpreted`` (the 0.0 never was a
measured TPR): not a regression, not a failure, but listed in the summary
with the lowest FPR. A real value that becomes "not reached" is ``worse``;
"not reached" that becomes a value is ``improved``.

Run time is reported but fails an entry only when the detector's slow-down
relative to the other detectors measured in the same run exceeds a ratio
(2x by default): absolute timings on shared machines are too noisy.
"""

import datetime
import fnmatch
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml
from tabulate import tabulate

from .. import __version__
from ..atomic import write_json_atomic
from ..errors import InputError
from ..escaping import markdown_cell
from ..records import as_run_record, metric_problems, not_reached_text
from ..records.fields import FieldReader, read_json_file
from ..records.run import DEFAULT_PROTOCOL_NAME

__all__ = [
    "BASELINE_SCHEMA",
    "VERDICTS",
    "FAILING_VERDICTS",
    "MetricComparison",
    "EntryResult",
    "entry_key",
    "baseline_entry",
    "make_baseline",
    "write_baseline",
    "load_baseline",
    "default_rules",
    "load_rules",
    "select_entries",
    "compare",
    "exit_code",
    "summary_markdown",
]

BASELINE_SCHEMA = "crbench.baseline/1"
VERDICTS = ("failed", "worse", "not comparable", "missing", "new", "improved", "unchanged")
FAILING_VERDICTS = frozenset({"failed", "worse"})
STRICT_FAILING_VERDICTS = FAILING_VERDICTS | {"not comparable", "missing", "new"}
# a change of any of these versions makes an entry "not comparable" (expected, not a failure)
_VERSION_FIELDS = ("dataset_version", "metric_spec_version", "detector_version")
# these must then match too; if they changed while every version stayed, the images or the
# parameters changed without a version bump: the entry fails (bump the version or fix the cause)
_UNVERSIONED_FIELDS = ("manifest_hash", "params_hash")


@dataclass
class MetricComparison:
    """One metric of one entry: baseline, fresh value and verdict."""

    metric: str
    baseline: float | None
    fresh: float | None
    higher_is_better: bool
    tolerance: float | None
    verdict: str
    checked: bool = True
    #: lowest FPR reached where a TPR-at-FPR target was not reached (baseline, fresh record)
    baseline_lowest_fpr: float | None = None
    fresh_lowest_fpr: float | None = None

    @property
    def delta(self):
        """fresh - baseline (None when either is undefined)."""
        if self.baseline is None or self.fresh is None:
            return None
        return self.fresh - self.baseline


@dataclass
class EntryResult:
    """The verdict for one baseline or fresh entry."""

    key: str
    verdict: str
    reason: str = ""
    metrics: list = field(default_factory=list)
    baseline_seconds_per_megapixel: float | None = None
    fresh_seconds_per_megapixel: float | None = None
    relative_slowdown: float | None = None
    detect_seconds: float | None = None


def entry_key(detector, dataset, size, split):
    """The identity of a baseline entry, e.g. ``"astroscrappy@sim_lco_1m/small/test"``."""
    return f"{detector}@{dataset}/{size}/{split}"


def _record_key(record):
    dataset = record.dataset
    return entry_key(record.detector.name, dataset.name, dataset.size, dataset.split)


def baseline_entry(record):
    """Turn a run record (:class:`~crbench.records.RunRecord` or dict) into a baseline entry.

    The entry holds numbers and comparability fields only.
    """
    record = as_run_record(record)
    dataset, detector, runtime = record.dataset, record.detector, record.runtime
    return {
        "key": _record_key(record),
        "detector": detector.name,
        "dataset": dataset.name,
        "size": dataset.size,
        "split": dataset.split,
        "dataset_version": str(dataset.version),
        "manifest_hash": dataset.manifest_hash,
        "metric_spec_version": str(record.metric_spec_version),
        "detector_version": str(detector.version),
        "params_hash": detector.params_hash,
        # exact parameters, so that `crbench check --rerun` reproduces this entry
        "params": detector.params,
        "status": record.status,
        "created": record.created,
        "metrics": {
            name: {"value": metric.value, "higher_is_better": metric.higher_is_better,
                   **({} if metric.not_reached is None else {"lowest_fpr": metric.lowest_fpr})}
            for name, metric in record.metrics.items()
        },
        "seconds_per_megapixel": runtime.seconds_per_megapixel,
        "detect_seconds": runtime.detect_seconds,
    }


def _newest_per_key(records):
    """One record per entry for a baseline: :func:`~crbench.leaderboard.collect.display_preference` decides."""
    from .collect import display_preference

    now = datetime.datetime.now(datetime.timezone.utc)
    newest = {}
    for record in records:
        key = _record_key(record)
        if key not in newest or display_preference(record, now=now) > display_preference(newest[key], now=now):
            newest[key] = record
    return newest


def _per_key(records):
    grouped = {}
    for record in records:
        grouped.setdefault(_record_key(record), []).append(record)
    return grouped


def _named(record):
    return f"{record.source or 'a record'} (created {record.created})"


def make_baseline(records, *, note=""):
    """Build a baseline document from run records (newest record per entry).

    Raises
    ------
    InputError
        When a record is partial (a baseline must be complete) or its
        metrics are not trustworthy (:func:`crbench.records.metric_problems`).
    """
    records = [as_run_record(record) for record in records]
    foreign = sorted({f"{_record_key(record)} ({record.protocol_name})" for record in records
                      if record.protocol_name != DEFAULT_PROTOCOL_NAME})
    if foreign:
        raise InputError(f"a baseline holds crbench-protocol records only; got {', '.join(foreign)}")
    future = [_named(record) for record in records if record.dated_in_future()]
    if future:
        raise InputError(f"cannot make a baseline from records dated in the future: {', '.join(future)}; "
                         "fix the clock of the machine that wrote them and re-run them")
    newest = _newest_per_key(records)
    partial = [key for key, record in newest.items() if not record.is_complete]
    if partial:
        raise InputError(f"cannot make a baseline from partial records: {', '.join(sorted(partial))}; re-run them")
    wrong = {key: metric_problems(record) for key, record in newest.items()}
    wrong = {key: problems for key, problems in wrong.items() if problems}
    if wrong:
        listing = "; ".join(f"{key}: {', '.join(problems)}" for key, problems in sorted(wrong.items()))
        raise InputError(f"cannot make a baseline from records with untrustworthy metrics ({listing}); re-run them")
    return {
        "schema": BASELINE_SCHEMA,
        "crbench_version": __version__,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "note": note,
        "entries": [baseline_entry(newest[key]) for key in sorted(newest)],
    }


def write_baseline(baseline, path):
    """Write a baseline document atomically."""
    write_json_atomic(Path(path), baseline)


def load_baseline(path):
    """Load and check a baseline document."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"baseline {path} does not exist; create it with 'crbench leaderboard rebuild'")
    baseline = read_json_file(path, fix="restore it from git or re-create it with 'crbench leaderboard baseline'")
    if not isinstance(baseline, dict) or baseline.get("schema") != BASELINE_SCHEMA:
        raise InputError(f"{path} is not a crbench baseline (schema {BASELINE_SCHEMA!r} expected)")
    _check_baseline_entries(baseline, path)
    return baseline


def _check_baseline_entries(baseline, path):
    """Check the fields :func:`compare` reads, so that a hand-edited baseline fails naming the field."""
    entries = FieldReader(baseline, where="", source=str(path)).get("entries", "list")
    for index, entry in enumerate(entries):
        read = FieldReader(entry, where=f"entries[{index}]", source=str(path))
        read.get("key", "str")
        for name in (*_VERSION_FIELDS, *_UNVERSIONED_FIELDS):
            read.get(name, "any", required=False)
        read.get("seconds_per_megapixel", "number", required=False)
        read.get("detect_seconds", "number", required=False)
        metrics = read.get("metrics", "dict", required=False) or {}
        for name, spec in metrics.items():
            metric = FieldReader(spec, where=f"entries[{index}].metrics.{name}", source=str(path))
            metric.get("value", "number", required=False)
            metric.get("lowest_fpr", "number", required=False)
            metric.get("higher_is_better", "bool", required=False)


def default_rules():
    """The default regression rules (``crbench/leaderboard/data/regression_rules.yaml``)."""
    text = resources.files("crbench.leaderboard").joinpath("data").joinpath("regression_rules.yaml").read_text()
    return yaml.safe_load(text)


def load_rules(path=None):
    """Default rules, updated with the rules file at ``path`` if given.

    The file may set ``default: {abs, rel}``, per-metric ``metrics: {name:
    {abs, rel}}``, ``report_only: [names]`` and ``runtime:
    {max_relative_slowdown}``; keys it does not set keep their defaults.
    """
    rules = default_rules()
    if path is None:
        return rules
    path = Path(path)
    try:
        override = yaml.safe_load(path.read_text()) or {}
    except (OSError, UnicodeDecodeError, RecursionError, yaml.YAMLError) as error:
        raise InputError(f"cannot read regression rules {path}: {error}") from error
    if not isinstance(override, dict):
        raise InputError(f"regression rules {path} must be a YAML mapping")
    unknown = set(override) - {"default", "metrics", "report_only", "runtime"}
    if unknown:
        raise InputError(f"regression rules {path}: unknown key(s) {sorted(unknown)}; "
                         "allowed: default, metrics, report_only, runtime")
    _check_rules(override, path)
    for section in ("default", "metrics", "runtime"):
        rules[section] = {**(rules.get(section) or {}), **(override.get(section) or {})}
    if "report_only" in override:
        rules["report_only"] = list(override["report_only"] or [])
    return rules


_TOLERANCE_KEYS = ("abs", "rel")
_RUNTIME_KEYS = ("max_relative_slowdown", "min_detect_seconds")


def _check_rules(rules, path):
    """Raise :class:`InputError` naming the rules file and the key when a value has the wrong type or sign."""
    def fail(where, expected, value):
        raise InputError(f"regression rules {path}: {where} must be {expected}, got {value!r}")

    def mapping(where, value):
        if value is not None and not isinstance(value, dict):
            fail(where, "a mapping", value)
        return value or {}

    def number(where, value, *, positive=False):
        if isinstance(value, str):  # YAML 1.1 reads 1e-3 (no dot) as a string
            try:
                value = float(value)
            except ValueError:
                fail(where, "a positive number" if positive else "a number >= 0", value)
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if not ok or value < 0 or (positive and value == 0):
            fail(where, "a positive number" if positive else "a number >= 0", value)

    def tolerance(where, spec):
        for key, value in mapping(where, spec).items():
            if key not in _TOLERANCE_KEYS:
                fail(f"{where}.{key}", f"one of {list(_TOLERANCE_KEYS)} (unknown key)", value)
            number(f"{where}.{key}", value)

    tolerance("default", rules.get("default"))
    for metric, spec in mapping("metrics", rules.get("metrics")).items():
        tolerance(f"metrics.{metric}", spec)
    report_only = rules.get("report_only")
    if report_only is not None and not (isinstance(report_only, list)
                                        and all(isinstance(name, str) for name in report_only)):
        fail("report_only", "a list of metric names", report_only)
    for key, value in mapping("runtime", rules.get("runtime")).items():
        if key not in _RUNTIME_KEYS:
            fail(f"runtime.{key}", f"one of {list(_RUNTIME_KEYS)} (unknown key)", value)
        number(f"runtime.{key}", value, positive=key == "max_relative_slowdown")


def _tolerance(metric, baseline_value, rules):
    spec = {**rules["default"], **(rules.get("metrics") or {}).get(metric, {})}
    return max(float(spec.get("abs", 0.0)), float(spec.get("rel", 0.0)) * abs(baseline_value))


def _compare_metric(metric, base, fresh_metric, rules):
    """``base``: the baseline entry's metric dict; ``fresh_metric``: a :class:`~crbench.records.Metric` or None."""
    higher = bool(base.get("higher_is_better", True))
    baseline_value = base.get("value")
    fresh_value = None if fresh_metric is None else fresh_metric.value
    checked = metric not in set(rules.get("report_only") or ())
    reach = {"baseline_lowest_fpr": base.get("lowest_fpr"),
             "fresh_lowest_fpr": None if fresh_metric is None else fresh_metric.lowest_fpr}

    def verdict(name, tolerance=None):
        return MetricComparison(metric, baseline_value, fresh_value, higher, tolerance, name, checked, **reach)

    if fresh_metric is None:
        return verdict("missing")
    if baseline_value is None and fresh_value is None:
        return verdict("unchanged")
    if baseline_value is None:
        # e.g. purity at 95 % TPR becomes defined because TPR now reaches 95 %
        return verdict("improved")
    if fresh_value is None:
        if baseline_value == 0.0 and base.get("lowest_fpr") is None and fresh_metric.not_reached is not None:
            # a baseline written before "not reached" was null: its 0.0 was this same unreached target
            return verdict("reinterpreted")
        return verdict("worse")
    tolerance = _tolerance(metric, baseline_value, rules)
    gain = (fresh_value - baseline_value) * (1 if higher else -1)
    return verdict("worse" if gain < -tolerance else "improved" if gain > tolerance else "unchanged", tolerance)


def select_entries(keys, patterns):
    """Keys matching any ``detector@dataset`` glob pattern (all keys when no patterns)."""
    if not patterns:
        return list(keys)
    selected = []
    for key in keys:
        short = key.split("/", 1)[0]  # detector@dataset
        if any(fnmatch.fnmatchcase(key, pattern) or fnmatch.fnmatchcase(short, pattern) for pattern in patterns):
            selected.append(key)
    return selected


def _changes(base, fresh, fields):
    return [
        f"{name} {base.get(name)!s:.12} -> {fresh.get(name)!s:.12}"
        for name in fields
        if str(base.get(name)) != str(fresh.get(name))
    ]


def _geometric_mean(values):
    return math.exp(sum(math.log(value) for value in values) / len(values))


def compare(baseline, records, *, rules=None, only=(), run_failures=None, now=None):
    """Compare fresh run records with a baseline.

    Parameters
    ----------
    baseline : dict
        A document from :func:`make_baseline` / :func:`load_baseline`.
    records : iterable of RunRecord
        Fresh run records, duplicates included (each is checked, see the
        module docstring for the precedence; dicts in the record format are
        converted). Subset records are ignored.
    rules : dict, optional
        From :func:`load_rules` (defaults when None).
    only : sequence of str
        ``detector@dataset`` glob patterns restricting the entries compared
        (baseline entries outside them are not reported missing).
    run_failures : dict of str to str, optional
        Entry key -> error message for runs that raised before writing a record.
    now : datetime.datetime, optional
        The time records must not be dated after (default: the current UTC time).

    Returns
    -------
    list of EntryResult
        Sorted by verdict severity, then key.
    """
    rules = rules or default_rules()
    run_failures = dict(run_failures or {})
    now = now or datetime.datetime.now(datetime.timezone.utc)
    base_entries = {entry["key"]: entry for entry in baseline.get("entries", [])}
    # subset and shard records (--limit, --shard runs) are never checked: they stand for no entry (module docstring)
    records = [record for record in map(as_run_record, records) if not record.covers_part_of_split]
    # records of another paper's protocol are never compared with crbench's numbers
    foreign = {_record_key(record): record.protocol_name for record in records
               if record.protocol_name != DEFAULT_PROTOCOL_NAME}
    fresh = _per_key([record for record in records if record.protocol_name == DEFAULT_PROTOCOL_NAME])
    keys = select_entries(sorted(set(base_entries) | set(fresh) | set(run_failures) | set(foreign)), only)
    results = []
    for key in keys:
        base, candidates = base_entries.get(key), fresh.get(key, [])
        if key in run_failures and not candidates:
            results.append(EntryResult(key, "failed", f"run failed: {run_failures[key]}"))
            continue
        if not candidates and key in foreign:
            results.append(EntryResult(key, "not comparable", f"scored under protocol {foreign[key]!r}; the "
                                       "baseline and the ranking use crbench's protocol only"))
            continue
        if not candidates:
            results.append(EntryResult(key, "missing", "in the baseline but no fresh record"))
            continue
        results.append(_judge_entry(key, base, candidates, rules, now=now))
    _apply_runtime_rule(results, rules)
    order = {verdict: index for index, verdict in enumerate(VERDICTS)}
    return sorted(results, key=lambda result: (order[result.verdict], result.key))


def _judge_entry(key, base, candidates, rules, *, now):
    """The verdict of one entry from all its fresh records (the precedence of the module docstring)."""
    future = [record for record in candidates if record.dated_in_future(now=now)]
    if future:
        return EntryResult(key, "failed", "; ".join(
            f"{_named(record)} is dated in the future (now {now.isoformat(timespec='seconds')}): a forged date "
            "or a wrong clock; fix the clock and re-run, or remove the file" for record in future))
    unfinished = [record for record in candidates if not record.is_complete]
    if unfinished:
        return EntryResult(key, "failed", "; ".join(
            f"record status {record.status!r} ({len(record.failures)} image(s) failed), {_named(record)}"
            for record in unfinished))
    order = {verdict: index for index, verdict in enumerate(VERDICTS)}
    judged = sorted((_judge_record(key, base, record, rules) for record in candidates),
                    key=lambda result: order[result.verdict])
    worst = judged[0]
    if len(candidates) > 1:
        note = (f"{len(candidates)} fresh records of this entry ({', '.join(_named(record) for record in candidates)}); "
                "each was checked and the most severe verdict counts")
        worst.reason = f"{worst.reason}; {note}" if worst.reason else note
    return worst


def _judge_record(key, base, record, rules):
    """The verdict of one complete fresh record against its baseline entry (``base``; None when new)."""
    fresh_entry = baseline_entry(record)
    result = EntryResult(key, "unchanged", fresh_seconds_per_megapixel=fresh_entry["seconds_per_megapixel"],
                         detect_seconds=fresh_entry["detect_seconds"])
    problems = metric_problems(record)
    if problems:
        # NaN compares neither better nor worse and a hand-edited value looks like an improvement:
        # a record that contradicts itself fails, whatever the baseline says
        result.verdict = "failed"
        result.reason = "metrics not trustworthy: " + "; ".join(problems)
        return result
    if base is None:
        result.verdict, result.reason = "new", "no baseline entry"
        return result
    result.baseline_seconds_per_megapixel = base.get("seconds_per_megapixel")
    versions = _changes(base, fresh_entry, _VERSION_FIELDS)
    if versions:
        result.verdict, result.reason = "not comparable", "; ".join(versions)
        return result
    silent = _changes(base, fresh_entry, _UNVERSIONED_FIELDS)
    if silent:
        result.verdict = "failed"
        result.reason = ("; ".join(silent) + " with unchanged versions: bump the data set or detector version "
                         "(then refresh the baseline) or find what made the run differ")
        return result
    result.metrics = [
        _compare_metric(name, spec, record.metrics.get(name), rules)
        for name, spec in sorted(base.get("metrics", {}).items())
    ]
    checked = [comparison for comparison in result.metrics if comparison.checked]
    if any(comparison.verdict in ("worse", "missing") for comparison in checked):
        result.verdict = "worse"
        result.reason = ", ".join(
            f"{comparison.metric} {comparison.verdict}" for comparison in checked
            if comparison.verdict in ("worse", "missing")
        )
    elif any(comparison.verdict == "improved" for comparison in checked):
        result.verdict = "improved"
    reinterpreted = [comparison.metric for comparison in result.metrics if comparison.verdict == "reinterpreted"]
    if reinterpreted and result.verdict != "worse":
        note = (f"{', '.join(reinterpreted)}: baseline 0.0 was an unreached FPR target (old convention), "
                "now reported as not reached")
        result.reason = f"{result.reason}; {note}" if result.reason else note
    return result


def _apply_runtime_rule(results, rules):
    """Slow-down of each entry relative to the other entries timed in the same run."""
    runtime_rules = rules.get("runtime") or {}
    limit = float(runtime_rules.get("max_relative_slowdown", 2.0))
    # runs of a fraction of a second are dominated by overhead and timer noise: not checked
    min_seconds = float(runtime_rules.get("min_detect_seconds", 0.0))
    timed = {
        result.key: result.fresh_seconds_per_megapixel / result.baseline_seconds_per_megapixel
        for result in results
        if result.verdict in ("unchanged", "improved", "worse")
        and result.fresh_seconds_per_megapixel and result.baseline_seconds_per_megapixel
        and (result.detect_seconds or 0.0) >= min_seconds
    }
    if len(timed) < 2:
        return  # no ratio within one run: report absolute times only
    for result in results:
        if result.key not in timed:
            continue
        others = [ratio for key, ratio in timed.items() if key != result.key]
        result.relative_slowdown = timed[result.key] / _geometric_mean(others)
        if result.relative_slowdown > limit:
            result.verdict = "worse"
            reason = f"{result.relative_slowdown:.2f}x slower relative to the other detectors in this run (limit {limit:g}x)"
            result.reason = f"{result.reason}; {reason}" if result.reason else reason


def exit_code(results, *, strict=False):
    """1 when any entry is worse or failed (with ``strict`` also not comparable / missing / new), else 0."""
    failing = STRICT_FAILING_VERDICTS if strict else FAILING_VERDICTS
    return int(any(result.verdict in failing for result in results))


def _number(value, digits=4):
    return "n/a" if value is None else f"{value:.{digits}f}"


def _shown(value, lowest_fpr):
    """A metric value for the summary, or "not reached (FPR >= x)"."""
    return _number(value, 6) if lowest_fpr is None else not_reached_text(lowest_fpr)


def summary_markdown(results, *, strict=False, baseline_path=None):
    """A Markdown summary of the regression check for CI logs."""
    counts = {verdict: sum(result.verdict == verdict for result in results) for verdict in VERDICTS}
    status = "FAIL" if exit_code(results, strict=strict) else "PASS"
    lines = [f"## crbench regression check: {status}", ""]
    if baseline_path:
        lines += [f"Baseline: `{baseline_path}`", ""]
    lines.append(", ".join(f"{counts[verdict]} {verdict}" for verdict in VERDICTS if counts[verdict]) or "nothing compared")
    rows = [
        [
            result.verdict.upper() if result.verdict in FAILING_VERDICTS else result.verdict,
            result.key,
            result.reason,
            _number(result.baseline_seconds_per_megapixel, 3),
            _number(result.fresh_seconds_per_megapixel, 3),
            "" if result.relative_slowdown is None else f"{result.relative_slowdown:.2f}x",
        ]
        for result in results
    ]
    # entry keys and reasons hold detector names from record files; the summary is rendered on CI pages
    rows = [[markdown_cell(cell) for cell in row] for row in rows]
    lines += ["", tabulate(rows, headers=["verdict", "entry", "why", "s/MP baseline", "s/MP now", "relative slow-down"],
                           tablefmt="github", disable_numparse=True)]
    detail = []
    for result in results:
        for comparison in result.metrics:
            if comparison.verdict != "unchanged":
                detail.append([
                    result.key, comparison.metric, _shown(comparison.baseline, comparison.baseline_lowest_fpr),
                    _shown(comparison.fresh, comparison.fresh_lowest_fpr),
                    "n/a" if comparison.delta is None else f"{comparison.delta:+.6f}",
                    _number(comparison.tolerance, 6), comparison.verdict + ("" if comparison.checked else " (report only)"),
                ])
    if detail:
        detail = [[markdown_cell(cell) for cell in row] for row in detail]
        lines += ["", "Metrics that moved beyond tolerance (max(abs, rel x baseline), direction-aware):", "",
                  tabulate(detail, headers=["entry", "metric", "baseline", "now", "delta", "tolerance", "verdict"],
                           tablefmt="github", disable_numparse=True)]
    largest = [
        (abs(comparison.delta), result.key, comparison.metric)
        for result in results for comparison in result.metrics if comparison.delta is not None
    ]
    if largest:
        size, key, metric = max(largest)
        lines += ["", f"Largest absolute metric change: {size:.3g} ({markdown_cell(metric)}, {markdown_cell(key)})."]
    lines += ["", "Run time is reported, not checked, except a relative slow-down above the limit "
                  "(the detector's time ratio now/baseline divided by the geometric mean of the other detectors' ratios in this run)."]
    return "\n".join(lines) + "\n"
