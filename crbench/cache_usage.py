"""What the score cache holds and how much disk it takes, per detector and data set; clearing parts of it.

The score cache (:class:`crbench.cache.ScoreCache`) is laid out as
``scores/<detector>/<identity>-<params>/<xx>/<key>.npy.zst``, with a
``datasets.tsv`` index in each configuration folder naming the data set
each key was saved for. An entry whose input appears in several data sets
is listed under all their names joined by ``+`` (so no byte is counted
twice); entries saved before the index existed (crbench before issue 17)
are listed under ``unknown``.
"""

import shutil
from collections import defaultdict
from pathlib import Path

import pandas as pd

from .cache import DATASET_INDEX_NAME, ENTRY_SUFFIX, LEGACY_ENTRY_SUFFIX

__all__ = ["UNKNOWN_DATASET", "cache_entries", "cache_usage", "clear_cache"]

UNKNOWN_DATASET = "unknown"
"""Data set label of entries without an index line (saved by crbench before issue 17)."""


def _entry_key(path):
    name = path.name
    for suffix in (ENTRY_SUFFIX, LEGACY_ENTRY_SUFFIX):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return None


def _read_index(configuration):
    datasets = defaultdict(set)
    index = configuration / DATASET_INDEX_NAME
    if index.is_file():
        for line in index.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, dataset = line.partition("\t")
            if key and dataset:
                datasets[key].add(dataset)
    return datasets


def cache_entries(root):
    """Every score-cache entry below ``root``: one row per file.

    Parameters
    ----------
    root : path-like
        The cache root (``$CRBENCH_CACHE``); entries are below ``root / "scores"``.

    Returns
    -------
    pandas.DataFrame
        Columns ``detector`` (the registry name, ``<name>.values`` for an
        adaptive sweep's per-value entries), ``configuration`` (folder),
        ``datasets`` (tuple of names; ``("unknown",)`` without an index
        line), ``compressed`` (bool), ``bytes`` and ``path``.
    """
    rows = []
    scores = Path(root) / "scores"
    for detector_folder in sorted(scores.iterdir()) if scores.is_dir() else []:
        for configuration in sorted(detector_folder.iterdir()) if detector_folder.is_dir() else []:
            if not configuration.is_dir():
                continue
            datasets = _read_index(configuration)
            for path in sorted(configuration.glob("*/*")):
                key = _entry_key(path)
                if key is None or path.name.startswith(".") or not path.is_file():
                    continue  # writers' temporaries
                rows.append({"detector": detector_folder.name, "configuration": configuration.name,
                             "datasets": tuple(sorted(datasets.get(key, ()))) or (UNKNOWN_DATASET,),
                             "compressed": path.name.endswith(ENTRY_SUFFIX), "bytes": path.stat().st_size,
                             "path": path})
    return pd.DataFrame(rows, columns=["detector", "configuration", "datasets", "compressed", "bytes", "path"])


def cache_usage(root):
    """Entries and megabytes per detector and data set.

    Returns
    -------
    pandas.DataFrame
        Columns ``detector``, ``dataset`` (names joined by ``+`` for inputs
        shared between data sets), ``configurations``, ``entries``,
        ``uncompressed entries`` (older ``.npy``) and ``MB`` (10**6 bytes
        on disk), sorted by detector and data set.
    """
    entries = cache_entries(root)
    columns = ["detector", "dataset", "configurations", "entries", "uncompressed entries", "MB"]
    if entries.empty:
        return pd.DataFrame(columns=columns)
    entries["dataset"] = entries["datasets"].map("+".join)
    entries["uncompressed"] = ~entries["compressed"]
    table = entries.groupby(["detector", "dataset"], sort=True).agg(
        configurations=("configuration", "nunique"), entries=("path", "size"),
        **{"uncompressed entries": ("uncompressed", "sum")}, MB=("bytes", "sum")).reset_index()
    table["MB"] = table["MB"] / 1e6
    return table[columns]


def clear_cache(root, *, detector=None, dataset=None):
    """Remove score-cache entries, all or those of one detector and/or data set.

    Parameters
    ----------
    root : path-like
        The cache root. Only ``root / "scores"`` is touched (downloaded
        data and weights stay).
    detector : str, optional
        Registry name; its adaptive sweep's per-value entries
        (``<name>.values``) go too.
    dataset : str, optional
        Entries indexed for this data set (including inputs shared with
        another data set, which that one recomputes). Entries without an
        index line are matched by ``dataset="unknown"``.

    Returns
    -------
    tuple of (int, int)
        Entries removed and their bytes.
    """
    entries = cache_entries(root)
    if entries.empty:
        return 0, 0
    chosen = pd.Series(True, index=entries.index)
    if detector is not None:
        chosen &= entries["detector"].isin([detector, f"{detector}.values"])
    if dataset is not None:
        chosen &= entries["datasets"].map(lambda names: dataset in names)
    removed = entries[chosen]
    for path in removed["path"]:
        path.unlink(missing_ok=True)
    if dataset is None:
        # nothing of these configurations is left: their indexes (and empty folders) go with them
        for configuration in {path.parent.parent for path in removed["path"]}:
            if not any(_entry_key(path) for path in configuration.glob("*/*")):
                shutil.rmtree(configuration, ignore_errors=True)
    return len(removed), int(removed["bytes"].sum())
