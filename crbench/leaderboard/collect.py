"""Load run and bench records and group them into comparable sets.

Two run records are comparable only when they scored the same images
under the same rules: same data set name, version, size and split, same
manifest hash (the sha256 list of the images actually scored), same
metric-spec version and same protocol preset (records without one are
``"crbench"``; only crbench-protocol groups are ever current and ranked).
Everything else (different versions, other images) lands in a separate
group; groups of one data set that are not the current one are labelled
"not comparable" and never merged.

Subset records (status ``"subset"``: a ``crbench run --limit N`` that left
images out) are ignored, each with a note: a quick check on a few images
must never displace or join the full results (:func:`subset_note`). Shard
records (status ``"shard"``: one shard of a ``crbench run --shard i/N``) are
ignored the same way until ``crbench merge`` turns them into one record.
The regression gate ignores both.

Duplicates (same group, detector name and params hash) are resolved by
content first, date last (:func:`display_preference`): a complete record
beats a partial or failed one, a record dated in the future (forged or a
wrong clock, :meth:`~crbench.records.RunRecord.dated_in_future`) loses to
any other and is named in a note, and only then the newer record wins.
A future date never makes its group the current one. The regression gate
does not pick at all: it checks every duplicate
(:func:`crbench.leaderboard.regression.compare`).
"""

import datetime
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..records import BENCH_SCHEMA, RUN_SCHEMA, BenchRecord, Environment, RunRecord, as_bench_record, as_run_record
from ..records.fields import read_json_file
from ..records.migrate import known_schemas
from ..records.run import DEFAULT_PROTOCOL_NAME

__all__ = [
    "BENCH_SCHEMA",
    "REBUILD_SCHEMA",
    "GroupKey",
    "RecordGroup",
    "Collection",
    "group_key",
    "detector_label",
    "trained_on_family",
    "hardware_label",
    "collect_records",
    "display_preference",
    "load_results",
    "RecordFiles",
    "read_record_files",
    "subset_note",
]

# written by `crbench leaderboard rebuild` next to the records: how they were produced
REBUILD_SCHEMA = "crbench.rebuild/1"
# Other crbench JSON files that may sit next to records (baseline, manifests): skipped, not errors.
_IGNORED_SCHEMA_PREFIX = "crbench."


@dataclass(frozen=True)
class GroupKey:
    """What must be equal for two run records to be comparable."""

    dataset: str
    version: str
    size: str
    split: str
    manifest_hash: str
    metric_spec_version: str
    protocol: str = DEFAULT_PROTOCOL_NAME

    @property
    def dataset_label(self):
        """Short human label, e.g. ``sim_lco_1m (small/test, v2)`` (plus ``, protocol xu2023`` for another protocol)."""
        protocol = "" if self.protocol == DEFAULT_PROTOCOL_NAME else f", protocol {self.protocol}"
        return f"{self.dataset} ({self.size}/{self.split}, v{self.version}{protocol})"


@dataclass
class RecordGroup:
    """Run records of one comparable set, one per detector configuration.

    Attributes
    ----------
    key : GroupKey
    family : str
        Data set family from the records (matched against training data).
    records : list of RunRecord
        Newest record per (detector name, params hash), sorted by detector name.
    not_comparable : str or None
        Why this group is shown apart from the current group of the same
        data set (None for the current group).
    notes : list of str
        Duplicates dropped and other facts worth a footnote.
    """

    key: GroupKey
    family: str
    records: list = field(default_factory=list)
    not_comparable: str | None = None
    notes: list = field(default_factory=list)

    @property
    def kind(self):
        """The data set kind of the records' cards: ``"stress"``, ``"real"`` or ``"user"`` when any card says so, else ``"standard"``.

        Records written before the card had a ``kind`` are standard.
        """
        kinds = {record.dataset.card.get("kind", "standard") for record in self.records}
        return next((kind for kind in ("stress", "real", "user") if kind in kinds), "standard")

    @property
    def is_stress(self):
        """True for a stress variant (card ``kind == "stress"``): shown apart, never in the summary ranking."""
        return self.kind == "stress"

    @property
    def is_real(self):
        """True for a real-data set (card ``kind == "real"``): its own section, never in the simulated ranking."""
        return self.kind == "real"

    @property
    def caveat(self):
        """The cards' ``caveat`` (distinct texts joined; "" when no card states one)."""
        caveats = dict.fromkeys(str(record.dataset.card.get("caveat") or "") for record in self.records)
        return " ".join(caveat for caveat in caveats if caveat)

    @property
    def newest(self):
        """Creation time of the newest record (ISO string); dates in the future count as ``""``."""
        now = datetime.datetime.now(datetime.timezone.utc)
        return max(_trusted_created(record, now) for record in self.records)


@dataclass
class Collection:
    """Everything the leaderboard is built from (``bench_records``: list of BenchRecord)."""

    groups: list
    bench_records: list
    notes: list
    sources: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    rebuild: dict | None = None
    #: every run record loaded, duplicates included (what the regression gate checks); subsets excluded
    all_run_records: list = field(default_factory=list)
    #: one note per subset or shard record left out (also among ``notes``)
    subset_notes: list = field(default_factory=list)


def group_key(record):
    """Return the :class:`GroupKey` of a run record (:class:`~crbench.records.RunRecord` or dict)."""
    record = as_run_record(record)
    dataset = record.dataset
    return GroupKey(
        dataset=dataset.name,
        version=dataset.version,
        size=dataset.size,
        split=dataset.split,
        manifest_hash=dataset.manifest_hash,
        metric_spec_version=record.metric_spec_version,
        protocol=record.protocol_name,
    )


def detector_label(record, *, with_hash=False):
    """Detector name, plus the first 8 characters of its params hash if asked."""
    return as_run_record(record).detector.label(with_hash=with_hash)


def trained_on_family(record):
    """True when the detector's training data include the record's data set family."""
    return as_run_record(record).trained_on_family


def hardware_label(environment, *, device="cpu", device_model=None):
    """Return the hardware a timing was measured on: GPU name on CUDA, else CPU model.

    Parameters
    ----------
    environment : Environment or dict or None
        The ``environment`` of a record (a dict is read with
        :meth:`Environment.from_dict`, which also converts the legacy
        ``cpu`` and ``gpu`` keys).
    device : str
        ``"cpu"`` or ``"cuda[:n]"``.
    device_model : str, optional
        The device name a bench record states (wins when given).
    """
    if not isinstance(environment, Environment):
        environment = Environment.from_dict(environment or {})
    if str(device).startswith("cuda"):
        gpu = device_model or ", ".join(environment.gpu_names)
        return f"GPU: {gpu or 'unknown GPU'}"
    cpu = environment.cpu_model or device_model or "unknown CPU"
    return f"CPU: {cpu}"


def _trusted_created(record, now):
    """``created`` when it is a date not in the future, else ``""`` (sorts before every date)."""
    if record.created_datetime() is None or record.dated_in_future(now=now):
        return ""
    return record.created


def display_preference(record, *, now=None):
    """Sort key of duplicate records for display: the largest is shown.

    Content first, date last: complete beats partial or failed; then a
    record with a readable creation date that is not in the future beats
    one without; then the newer date wins.
    """
    now = now or datetime.datetime.now(datetime.timezone.utc)
    trusted = _trusted_created(record, now)
    return (record.is_complete, bool(trusted), trusted)


def _duplicate_note(shown, dropped, *, now):
    """Why ``shown`` (record, source) was kept over ``dropped``."""
    def where(item):
        return f"{item[0].created}{', ' + item[1] if item[1] else ''}"

    if shown[0].is_complete != dropped[0].is_complete:
        return (f"kept the complete record ({where(shown)}) and dropped a {dropped[0].status} duplicate "
                f"({where(dropped)}); the gate still fails on it")
    if not _trusted_created(dropped[0], now) and _trusted_created(shown[0], now):
        return (f"kept the record dated {where(shown)} and dropped a duplicate whose date is in the future or "
                f"unreadable ({where(dropped)})")
    return f"kept the newer record ({where(shown)}) and dropped an older duplicate ({where(dropped)})"


def _comparability_reason(key, current):
    if key.protocol != DEFAULT_PROTOCOL_NAME:
        return (f"scored under protocol {key.protocol!r}, not crbench's: shown apart, never ranked or merged with "
                "crbench results")
    differences = []
    if key.version != current.version:
        differences.append(f"data set version {key.version} vs {current.version}")
    if key.metric_spec_version != current.metric_spec_version:
        differences.append(f"metric spec {key.metric_spec_version} vs {current.metric_spec_version}")
    if not differences and key.manifest_hash != current.manifest_hash:
        differences.append(f"different images (manifest {key.manifest_hash[:12]} vs {current.manifest_hash[:12]})")
    return "not comparable with the current results: " + "; ".join(differences)


def subset_note(record, source=None):
    """The note saying that subset or shard ``record`` (from file ``source``) was ignored."""
    dataset = record.dataset
    if record.is_shard:
        shard = dataset.extra.get("shard") or {}
        return (f"{record.detector.name} on {dataset.name}: ignored shard record {source or ''} (shard "
                f"{shard.get('index')}/{shard.get('count')}, {dataset.n_images} images, crbench run --shard); "
                "shards are never ranked or checked: merge them with 'crbench merge'")
    available = dataset.extra.get("n_images_available")
    of = f" of {available}" if available is not None else ""
    return (f"{record.detector.name} on {dataset.name}: ignored subset record {source or ''} ({dataset.n_images}"
            f"{of} images, crbench run --limit); subset runs are never ranked or checked: run without --limit")


def collect_records(run_records, bench_records=(), *, sources=None):
    """Group run records into comparable sets and drop older duplicates.

    Parameters
    ----------
    run_records : iterable of RunRecord
        Run records (dicts in the ``crbench.run/1`` format are converted).
    bench_records : iterable of BenchRecord
        Bench records (dicts in the ``crbench.bench/1`` format are converted).
    sources : list of str, optional
        File name of each run record, used in notes.

    Subset records (``--limit`` runs) and shard records (``--shard`` runs)
    are left out with a note, also from ``all_run_records``.

    Returns
    -------
    Collection
        Groups sorted by data set name, size, split; within one data set the
        group with the newest record comes first and the others are labelled
        not comparable.
    """
    run_records = [as_run_record(record) for record in run_records]
    sources = list(sources) if sources is not None else [None] * len(run_records)
    subset_notes = [subset_note(record, source) for record, source in zip(run_records, sources)
                    if record.covers_part_of_split]
    notes = list(subset_notes)
    kept = [(record, source) for record, source in zip(run_records, sources) if not record.covers_part_of_split]
    run_records, sources = [item[0] for item in kept], [item[1] for item in kept]
    by_key = {}
    for record, source in zip(run_records, sources):
        by_key.setdefault(group_key(record), []).append((record, source))

    now = datetime.datetime.now(datetime.timezone.utc)
    for record, source in zip(run_records, sources):
        if record.dated_in_future(now=now):
            notes.append(f"{record.detector.name} on {record.dataset.name}: record {source or ''} is dated "
                         f"{record.created}, in the future; its date is not trusted (forged or a wrong clock)")
    groups = []
    for key, members in by_key.items():
        newest = {}
        group_notes = []
        for record, source in members:
            identity = (record.detector.name, record.detector.params_hash)
            kept = newest.get(identity)
            if kept is None:
                newest[identity] = (record, source)
                continue
            dropped, shown = sorted([kept, (record, source)], key=lambda item: display_preference(item[0], now=now))
            newest[identity] = shown
            group_notes.append(f"{identity[0]} on {key.dataset}: " + _duplicate_note(shown, dropped, now=now))
        records = sorted((item[0] for item in newest.values()),
                         key=lambda r: (r.detector.name, r.detector.params_hash or ""))
        families = {str(record.dataset.family) for record in records}
        groups.append(RecordGroup(key=key, family=sorted(families)[0], records=records, notes=group_notes))

    # Within one data set (name, size, split), the group holding the newest record is current.
    by_dataset = {}
    for group in groups:
        by_dataset.setdefault((group.key.dataset, group.key.size, group.key.split), []).append(group)
    ordered = []
    for dataset_id in sorted(by_dataset):
        # only a crbench-protocol group can be current (ranked); other protocols are always shown apart
        siblings = sorted(by_dataset[dataset_id], key=lambda group: (group.key.protocol == DEFAULT_PROTOCOL_NAME,
                                                                     group.newest), reverse=True)
        current = siblings[0]
        others = siblings[1:] if current.key.protocol == DEFAULT_PROTOCOL_NAME else siblings
        for other in others:
            other.not_comparable = _comparability_reason(other.key, current.key)
            notes.append(f"{other.key.dataset_label}: {len(other.records)} record(s) {other.not_comparable}")
        ordered.extend(siblings)
    for group in ordered:
        notes.extend(group.notes)
    bench_records = [as_bench_record(record) for record in bench_records]
    return Collection(groups=ordered, bench_records=bench_records, notes=notes, sources=sources,
                      all_run_records=run_records, subset_notes=subset_notes)


def _read_json(path):
    return read_json_file(path, fix="delete it or re-run the command that wrote it")


@dataclass
class RecordFiles:
    """The crbench JSON files found under a directory, read and validated (see :func:`read_record_files`).

    ``run_sources`` holds each run record's path relative to the directory;
    ``skipped`` the other crbench files (baselines, manifests) left alone.
    """

    runs: list
    run_sources: list
    benches: list
    skipped: list
    rebuilds: list


def read_record_files(directory):
    """Read every run and bench record under ``directory`` (recursively), subset and shard records included.

    Parameters
    ----------
    directory : path-like

    Returns
    -------
    RecordFiles

    Raises
    ------
    InputError
        When the directory does not exist, or a JSON file there is neither a
        crbench record nor another crbench file.
    RecordError
        When a record is malformed (naming the file and the field).
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(f"results directory {directory} does not exist; run 'crbench run' or pass --results DIR")
    found = RecordFiles(runs=[], run_sources=[], benches=[], skipped=[], rebuilds=[])
    run_schemas, bench_schemas = known_schemas(RUN_SCHEMA), known_schemas(BENCH_SCHEMA)
    for path in sorted(directory.rglob("*.json")):
        payload = _read_json(path)
        schema = payload.get("schema") if isinstance(payload, dict) else None
        if schema in run_schemas:
            found.runs.append(RunRecord.from_dict(payload, source=path))
            found.run_sources.append(str(path.relative_to(directory)))
        elif schema in bench_schemas:
            found.benches.append(BenchRecord.from_dict(payload, source=path))
        elif schema == REBUILD_SCHEMA:
            found.rebuilds.append(payload)
        elif isinstance(schema, str) and schema.startswith(_IGNORED_SCHEMA_PREFIX):
            found.skipped.append(f"{path.relative_to(directory)} ({schema})")
        else:
            raise InputError(
                f"{path} is not a crbench record (schema {schema!r}); move it out of {directory} "
                "or point --results at the directory holding only records"
            )
    return found


def load_results(directory):
    """Load every run and bench record under ``directory`` (recursively).

    Parameters
    ----------
    directory : path-like

    Returns
    -------
    Collection

    Raises
    ------
    InputError
        When the directory does not exist, holds no records, or a JSON file
        there is neither a crbench record nor another crbench file.
    """
    found = read_record_files(directory)
    if not found.runs and not found.benches:
        raise InputError(f"no crbench run or bench records found under {directory}")
    collection = collect_records(found.runs, found.benches, sources=found.run_sources)
    collection.skipped = [f"{item}: not a run or bench record" for item in found.skipped]
    collection.rebuild = max(found.rebuilds, key=lambda item: str(item.get("started", ""))) if found.rebuilds else None
    return collection
