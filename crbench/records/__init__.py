"""Run and bench records: the JSON files every number on the leaderboard comes from.

Every record is read through one typed class, :class:`RunRecord` or
:class:`BenchRecord` (``from_dict`` validates and names the file and the
field on error; ``to_dict`` gives the JSON back), with converters for older
schemas in :mod:`crbench.records.migrate`. :func:`metric_problems` checks
that a record's metrics are finite and agree with its own stored counts.

Modules: :mod:`.fields` (validation), :mod:`.parts` (detector, data set,
metric, counts, curve, image, runtime, machine), :mod:`.run`,
:mod:`.bench`, :mod:`.migrate`, :mod:`.consistency`, :mod:`.build`
(building a record from a run, writing and loading files).
"""

from .bench import BENCH_SCHEMA, BenchRecord, as_bench_record
from .build import build_run_record, load_record, metrics_table, record_filename, write_record
from .consistency import METRIC_TOLERANCE, metric_problems, recompute_metrics
from .fields import RecordError
from .migrate import known_schemas, register_migration
from .objects import ObjectScores, object_scores_table
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
from .reach import not_reached_text, upgrade_not_reached
from .refinement import SweepRefinementRecord
from .run import RUN_SCHEMA, RunRecord, as_run_record

__all__ = [
    "RUN_SCHEMA",
    "BENCH_SCHEMA",
    "RunRecord",
    "BenchRecord",
    "DetectorInfo",
    "DatasetInfo",
    "Metric",
    "StoredCounts",
    "StoredCurve",
    "ImageResult",
    "Failure",
    "Runtime",
    "Environment",
    "ObjectScores",
    "RecordError",
    "as_run_record",
    "as_bench_record",
    "known_schemas",
    "register_migration",
    "metric_problems",
    "recompute_metrics",
    "METRIC_TOLERANCE",
    "build_run_record",
    "record_filename",
    "write_record",
    "load_record",
    "metrics_table",
    "object_scores_table",
    "not_reached_text",
    "upgrade_not_reached",
    "SweepRefinementRecord",
]
