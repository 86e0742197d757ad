"""Run records as pandas rows: the flat, one-row-per-record view a notebook wants.

Every value comes from the typed :class:`~crbench.records.RunRecord` as it
is stored (never recomputed or rounded). A metric ``m`` gives the columns
``m``, ``m_low`` and ``m_high`` (its bootstrap interval; None without one).
"""

from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..leaderboard.collect import read_record_files
from ..records import RunRecord, as_run_record

__all__ = ["IDENTITY_COLUMNS", "RUNTIME_COLUMNS", "record_row", "records_frame", "load_records"]

#: Columns naming what ran on what, in frame order (metric columns follow them).
IDENTITY_COLUMNS = (
    "detector", "detector_version", "detector_identity_hash", "params_hash", "output_kind",
    "dataset", "dataset_version", "size", "split", "dataset_kind", "family", "manifest_hash", "n_images",
    "protocol", "status", "operating_point", "created", "crbench_version",
)
#: Runtime columns, after the metrics.
RUNTIME_COLUMNS = (
    "seconds_per_megapixel", "seconds_per_megapixel_per_sweep_value", "wall_seconds", "peak_rss_bytes",
    "device", "executor", "jobs",
)


def record_row(record):
    """One run record as a flat dict (identity, metrics with interval bounds, runtime, source).

    Parameters
    ----------
    record : RunRecord or dict
        A dict in the record format is validated first.

    Returns
    -------
    dict
        Keys :data:`IDENTITY_COLUMNS`, then ``m``, ``m_low``, ``m_high`` per
        metric in the record's report order, then :data:`RUNTIME_COLUMNS`
        and ``source`` (the file it was loaded from, or None).
    """
    record = as_run_record(record)
    detector, dataset, runtime = record.detector, record.dataset, record.runtime
    row = {
        "detector": detector.name,
        "detector_version": detector.version,
        # written by Detector.info() since the score cache keyed on code identity; older records lack it
        "detector_identity_hash": detector.extra.get("identity_hash"),
        "params_hash": detector.params_hash,
        "output_kind": detector.output_kind,
        "dataset": dataset.name,
        "dataset_version": dataset.version,
        "size": dataset.size,
        "split": dataset.split,
        # cards written before kinds existed are standard, as on the leaderboard
        "dataset_kind": dataset.card.get("kind", "standard"),
        "family": dataset.family,
        "manifest_hash": dataset.manifest_hash,
        "n_images": dataset.n_images,
        "protocol": record.protocol_name,
        "status": record.status,
        "operating_point": record.operating_point,
        "created": record.created,
        "crbench_version": record.crbench_version,
    }
    for name, metric in record.metrics.items():
        interval = record.uncertainty.interval(name) if record.uncertainty is not None else None
        low, high = interval if interval is not None else (None, None)
        row[name] = metric.value
        row[f"{name}_low"] = low
        row[f"{name}_high"] = high
    row.update({column: getattr(runtime, column) for column in RUNTIME_COLUMNS})
    row["source"] = record.source
    return row


def records_frame(records):
    """A DataFrame with one :func:`record_row` per record (columns in first-seen order).

    Records of detectors with different metrics share one frame; a metric a
    record lacks is NaN in its row.
    """
    rows = [record_row(record) for record in records]
    columns = list(dict.fromkeys(key for row in rows for key in row)) if rows else [
        *IDENTITY_COLUMNS, *RUNTIME_COLUMNS, "source"]
    return pd.DataFrame(rows, columns=columns)


def load_records(path_or_dir):
    """Load run records as a pandas DataFrame, one row per record.

    Parameters
    ----------
    path_or_dir : path-like or sequence of path-like
        A run record file, a directory searched recursively (as
        ``crbench leaderboard --results DIR`` does: bench records and other
        crbench files there are skipped), or several of those.

    Returns
    -------
    pandas.DataFrame
        Detector identity (``detector``, ``detector_version``,
        ``detector_identity_hash``, ``params_hash``), data set identity
        (``dataset``, ``dataset_version``, ``size``, ``split``,
        ``dataset_kind``, ``manifest_hash``), ``protocol`` and ``status``
        (subset, shard and partial records are included: filter on
        ``status == "complete"`` for what the leaderboard ranks), every
        metric ``m`` with ``m_low`` / ``m_high`` (bootstrap interval),
        runtime columns (``seconds_per_megapixel``, ``peak_rss_bytes``,
        ``device``, ``executor``, ...) and ``source``.

    Raises
    ------
    InputError
        When a path does not exist, or a directory holds no run record.
    RecordError
        When a file is not a valid run record (naming the file and field).

    Examples
    --------
    >>> import crbench
    >>> frame = crbench.load_records("leaderboard/records")  # doctest: +SKIP
    >>> frame[["detector", "dataset", "tpr_at_fpr_1e-4", "tpr_at_fpr_1e-4_low"]]  # doctest: +SKIP
    """
    paths = [path_or_dir] if isinstance(path_or_dir, (str, Path)) else list(path_or_dir)
    records = []
    for path in map(Path, paths):
        if path.is_dir():
            found = read_record_files(path).runs
            if not found:
                raise InputError(f"no crbench run records found under {path}")
            records.extend(found)
        elif path.is_file():
            records.append(RunRecord.load(path))
        else:
            raise InputError(f"{path} does not exist; pass a run record file or a directory of records")
    return records_frame(records)
