"""The typed run record (schema ``crbench.run/1``): one detector on one data set split.

Every reader of run records (leaderboard, regression check, ``crbench run``) goes
through :class:`RunRecord`; the JSON layout is known here only. Older
schemas are converted by :mod:`crbench.records.migrate` before reading.
"""

import datetime
from dataclasses import dataclass, field
from pathlib import Path

from .fields import FieldReader, RecordError, read_json_file
from .migrate import migrate
from .objects import ObjectScores
from .parts import (
    DatasetInfo,
    DetectorInfo,
    Environment,
    Failure,
    ImageResult,
    Metric,
    Runtime,
    StoredCounts,
    StoredCurve,
)
from .reach import upgrade_not_reached
from .refinement import SweepRefinementRecord
from .uncertainty import Uncertainty

__all__ = ["RUN_SCHEMA", "CLOCK_SKEW", "SHARD_STATUS", "SUBSET_STATUS", "RunRecord", "as_run_record"]

RUN_SCHEMA = "crbench.run/1"

#: ``status`` of a record that scored only the first ``limit`` images of its split.
SUBSET_STATUS = "subset"

#: ``status`` of a record of one shard of a run (``crbench run --shard i/N``; see ``dataset.shard``).
SHARD_STATUS = "shard"

#: The protocol of records that do not name one (written before protocol presets existed).
DEFAULT_PROTOCOL_NAME = "crbench"

#: How far a record's ``created`` may lie after "now" before it counts as dated in the future
#: (clocks of the machines that wrote and read a record differ a little).
CLOCK_SKEW = datetime.timedelta(minutes=5)

# what a run record must name for the leaderboard to place it
_REQUIRED_DETECTOR_KEYS = ("name", "version", "params", "params_hash", "output_kind")


@dataclass
class RunRecord:
    """A run record.

    Attributes
    ----------
    schema : str
        Always :data:`RUN_SCHEMA` after loading (older schemas are migrated).
    crbench_version, created : str or None
        Version that wrote the record; ISO 8601 creation time (UTC).
    status : str
        ``"complete"``, ``"partial"`` (some images failed; see ``failures``)
        or ``"subset"`` (a ``--limit`` run that left images out; see
        ``dataset.limit``: never ranked or checked by the gate) or
        ``"shard"`` (one shard of a run, ``crbench run --shard i/N``; see
        ``dataset.shard``: never ranked or checked until ``crbench merge``
        has merged the shards).
    detector : DetectorInfo
    dataset : DatasetInfo
    metric_spec_version : str
    protocol : str or None
        The evaluation protocol preset (:mod:`crbench.scoring.presets`) the
        record was scored under; None in records written before presets
        existed, which were scored under ``"crbench"`` (see :attr:`protocol_name`).
    operating_point : float or None
        Threshold (score detectors) or sweep value (mask detectors) of the
        operating-point metrics.
    metrics : dict of str to Metric
        In report order.
    counts : StoredCounts or None
        Exact summed counts (None when the grid was too large to store).
    curves : StoredCurve or None
    per_image : list of ImageResult
    failures : list of Failure
    runtime : Runtime
    environment : Environment
    objects : ObjectScores or None
        Object-level scores (optional section; absent from older records).
    uncertainty : Uncertainty or None
        Bootstrap intervals and replicates (optional; older records have none).
    sweep_refinement : SweepRefinementRecord or None
        How an adaptive sweep chose its grid (None for fixed sweeps and score detectors).
    extra : dict
        Top-level keys this version does not know (written back as they are).
    source : str or None
        The file the record was loaded from (not written; used in messages).
    """

    schema: str
    crbench_version: str | None
    created: str | None
    status: str
    detector: DetectorInfo
    dataset: DatasetInfo
    metric_spec_version: str
    operating_point: float | None
    metrics: dict
    counts: StoredCounts | None = None
    curves: StoredCurve | None = None
    per_image: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    runtime: Runtime = field(default_factory=Runtime)
    environment: Environment = field(default_factory=Environment)
    objects: ObjectScores | None = None
    protocol: str | None = None
    uncertainty: Uncertainty | None = None
    sweep_refinement: SweepRefinementRecord | None = None
    extra: dict = field(default_factory=dict)
    source: str | None = field(default=None, compare=False)

    # ------------------------------------------------------------------ JSON
    @classmethod
    def from_dict(cls, data, *, source=None):
        """Validate a record dict (migrating older schemas) and return the typed record.

        Parameters
        ----------
        data : dict
            The parsed JSON. It is not modified.
        source : str, optional
            Where it came from (a path), named in errors.

        Raises
        ------
        RecordError
            Naming ``source`` and the dotted field at fault.
        """
        origin = str(source) if source is not None else "<run record>"
        data = migrate(data, current=RUN_SCHEMA, source=origin)
        read = FieldReader(data, where="", source=origin)
        metrics = read.get("metrics", "dict")
        per_image = read.get("per_image", "list", required=False) or []
        failures = read.get("failures", "list", required=False) or []
        record = cls(
            schema=read.get("schema", "str"),
            crbench_version=read.get("crbench_version", "str", required=False),
            created=read.get("created", "str", required=False),
            status=read.get("status", "str"),
            detector=DetectorInfo.from_dict(read.get("detector", "dict"), source=origin,
                                            required=_REQUIRED_DETECTOR_KEYS),
            dataset=DatasetInfo.from_dict(read.get("dataset", "dict"), source=origin),
            metric_spec_version=read.get("metric_spec_version", "str"),
            operating_point=read.get("operating_point", "number", required=False),
            metrics={str(name): Metric.from_dict(metric, where=f"metrics.{name}", source=origin)
                     for name, metric in metrics.items()},
            counts=StoredCounts.from_dict(read.get("counts", "dict", required=False), source=origin),
            curves=StoredCurve.from_dict(read.get("curves", "dict", required=False), source=origin),
            per_image=[ImageResult.from_dict(row, where=f"per_image[{index}]", source=origin)
                       for index, row in enumerate(per_image)],
            failures=[Failure.from_dict(row, where=f"failures[{index}]", source=origin)
                      for index, row in enumerate(failures)],
            runtime=Runtime.from_dict(read.get("runtime", "dict", required=False), source=origin),
            environment=Environment.from_dict(read.get("environment", "dict", required=False), source=origin),
            objects=ObjectScores.from_dict(read.get("objects", "dict", required=False), source=origin),
            protocol=read.get("protocol", "str", required=False),
            uncertainty=Uncertainty.from_dict(read.get("uncertainty", "dict", required=False), source=origin),
            sweep_refinement=SweepRefinementRecord.from_dict(read.get("sweep_refinement", "dict", required=False),
                                                             source=origin),
            source=None if source is None else str(source),
        )
        # records before 2026-11-29 stored 0.0 for a TPR-at-FPR target no sweep point reached
        upgrade_not_reached(record.metrics, record.counts)
        record.extra = read.rest()
        return record

    def to_dict(self):
        """The JSON form, keys in the order crbench writes them (see :mod:`crbench.records.parts` for normalisations).

        ``uncertainty`` is written only when present, so older records round-trip unchanged.
        """
        optional = {} if self.uncertainty is None else {"uncertainty": self.uncertainty.to_dict()}
        return {
            "schema": self.schema,
            "crbench_version": self.crbench_version,
            "created": self.created,
            "status": self.status,
            "detector": self.detector.to_dict(),
            "dataset": self.dataset.to_dict(),
            "metric_spec_version": self.metric_spec_version,
            # written only when known, so that an older record reads and writes back unchanged
            **({} if self.protocol is None else {"protocol": self.protocol}),
            "operating_point": self.operating_point,
            "metrics": {name: metric.to_dict() for name, metric in self.metrics.items()},
            "counts": None if self.counts is None else self.counts.to_dict(),
            "curves": None if self.curves is None else self.curves.to_dict(),
            "per_image": [row.to_dict() for row in self.per_image],
            "failures": [row.to_dict() for row in self.failures],
            "runtime": self.runtime.to_dict(),
            "environment": self.environment.to_dict(),
            # optional section: written only when present, so older records round-trip byte for byte
            **({} if self.objects is None else {"objects": self.objects.to_dict()}),
            **optional,
            # adaptive sweeps only: absent from every other record
            **({} if self.sweep_refinement is None else {"sweep_refinement": self.sweep_refinement.to_dict()}),
            **self.extra,
        }

    @classmethod
    def load(cls, path):
        """Read and validate the run record at ``path``.

        Raises
        ------
        RecordError
            When the file is not JSON, not a run record, or malformed (the
            message names the file and the field).
        """
        path = Path(path)
        return cls.from_dict(read_json_file(path, fix="delete it and re-run"), source=path)

    # ------------------------------------------------------------------ facts
    @property
    def is_subset(self):
        """True for a ``--limit`` run that scored only some of the split's images (``status == "subset"``)."""
        return self.status == SUBSET_STATUS

    @property
    def is_shard(self):
        """True for the record of one shard of a run (``status == "shard"``, ``crbench run --shard``)."""
        return self.status == SHARD_STATUS

    @property
    def covers_part_of_split(self):
        """True for subset and shard records: they scored part of the split and never stand for an entry."""
        return self.is_subset or self.is_shard

    @property
    def is_complete(self):
        """True unless some images failed (``status != "complete"``)."""
        return self.status == "complete"

    def created_datetime(self):
        """``created`` as an aware datetime (a naive time is read as UTC); None when absent or not ISO 8601."""
        try:
            moment = datetime.datetime.fromisoformat(str(self.created))
        except ValueError:
            return None
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.timezone.utc)

    def dated_in_future(self, *, now=None):
        """True when ``created`` lies more than :data:`CLOCK_SKEW` after ``now`` (default: the current UTC time).

        Such a date is forged or comes from a wrong clock: it must not decide
        which of two records is the current one.
        """
        moment = self.created_datetime()
        now = now or datetime.datetime.now(datetime.timezone.utc)
        return moment is not None and moment > now + CLOCK_SKEW

    @property
    def protocol_name(self):
        """The protocol preset's name; ``"crbench"`` for records that do not name one."""
        return self.protocol or DEFAULT_PROTOCOL_NAME

    @property
    def filename(self):
        """The canonical file name, ``run__<dataset>__<size>__<split>__<detector>__<params hash>.json``.

        Records of another protocol than crbench's end in ``__<protocol>.json``,
        subset records in ``__subset<limit>.json``, shard records in
        ``__shard<i>of<N>.json`` and records of a network run on another engine
        than eager PyTorch in ``__<engine>.json``, so they never replace a full
        crbench record of the reference path.
        """
        suffix = "" if self.protocol_name == DEFAULT_PROTOCOL_NAME else f"__{self.protocol_name}"
        if self.is_subset:
            suffix += f"__subset{self.dataset.extra.get('limit', self.dataset.n_images)}"
        if self.is_shard:
            shard = self.dataset.extra.get("shard") or {}
            suffix += f"__shard{shard.get('index')}of{shard.get('count')}"
        if self.detector.inference_backend:
            suffix += f"__{self.detector.inference_backend}"
        return (f"run__{self.dataset.name}__{self.dataset.size}__{self.dataset.split}__"
                f"{self.detector.name}__{self.detector.params_hash}{suffix}.json")

    @property
    def trained_on_family(self):
        """True when the detector's training data include the record's data set family."""
        family = str(self.dataset.family or "").lower()
        trained = {str(name).lower() for name in self.detector.training_datasets}
        return bool(family) and family in trained

    def metric_value(self, name):
        """The value of metric ``name`` as float, or None when absent or undefined."""
        metric = self.metrics.get(name)
        return None if metric is None or metric.value is None else float(metric.value)


def as_run_record(record):
    """Return ``record`` as a :class:`RunRecord` (a dict in the record format is validated and converted)."""
    if isinstance(record, RunRecord):
        return record
    if isinstance(record, dict):
        return RunRecord.from_dict(record)
    raise RecordError(f"expected a RunRecord or a run record dict, got {type(record).__name__}")
