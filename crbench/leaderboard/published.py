"""Published figures from the papers, mapped onto crbench names.

The CSV files in ``crbench/leaderboard/data`` are transcribed from the
papers; ``sources.yaml`` there gives each file's citation and maps the
papers' detector names and data set keys onto crbench detector names and
data set families. Figures are stored here as fractions (the papers print
TPR and purity in percent).
"""

import functools
from dataclasses import dataclass
from importlib import resources

import pandas as pd
import yaml

__all__ = [
    "DATASET_FAMILIES",
    "PublishedSource",
    "published_sources",
    "published_metrics",
    "published_runtime",
    "paper_family",
]

# crbench data set name -> the paper's data set family. Data sets not listed here
# fall back to their card's family (real data sets use the paper's families directly).
DATASET_FAMILIES = {
    "sim_decam": "decam",
    "sim_lco_0m4": "lco_0m4",
    "sim_lco_1m": "lco_1m",
    "sim_lco_2m": "lco_2m",
    # the real data sets (their cards share the family "lco", the papers split by telescope class)
    "decam": "decam",
    "lco_0m4": "lco_0m4",
    "lco_1m": "lco_1m",
    "lco_2m": "lco_2m",
}


@dataclass(frozen=True)
class PublishedSource:
    """One paper and the figures taken from it.

    Attributes
    ----------
    key : str
        Short citation key shown in table headers (``"B22"``).
    citation : str
    metrics : pandas.DataFrame
        Long format: family, detector (crbench name), paper_detector,
        metric (crbench name), value (fraction), table, measured_on.
    runtime : pandas.DataFrame or None
        detector, paper_detector, seconds_per_frame, seconds_per_megapixel,
        frame_shape, hardware, table.
    """

    key: str
    citation: str
    metrics: pd.DataFrame
    runtime: pd.DataFrame | None


def _data_file(name):
    return resources.files("crbench.leaderboard").joinpath("data").joinpath(name)


def _read_csv(name):
    with _data_file(name).open("r") as handle:
        return pd.read_csv(handle)


def _load_source(key, spec):
    detector_map = spec.get("detectors", {})
    datasets = spec.get("datasets", {})
    rows = []
    for table in spec.get("tables", []):
        frame = _read_csv(table["file"])
        scale = 0.01 if table.get("percent") else 1.0
        for _, line in frame.iterrows():
            dataset_key = line["dataset"]
            if dataset_key not in datasets or line["detector"] not in detector_map:
                continue  # no crbench counterpart: not shown
            for column, metric in table["columns"].items():
                value = line[column]
                rows.append(
                    {
                        "family": datasets[dataset_key]["family"],
                        "detector": detector_map[line["detector"]],
                        "paper_detector": line["detector"],
                        "metric": metric,
                        # blank cells are figures the paper did not report
                        "value": None if pd.isna(value) else float(value) * scale,
                        "table": table["table"],
                        "measured_on": datasets[dataset_key]["measured_on"],
                    }
                )
    runtime = None
    if "runtime" in spec:
        runtime_spec = spec["runtime"]
        frame = _read_csv(runtime_spec["file"])
        shape = tuple(runtime_spec["frame_shape"])
        megapixels = shape[0] * shape[1] / 1e6
        runtime = pd.DataFrame(
            [
                {
                    "detector": detector_map.get(line["model"], line["model"]),
                    "paper_detector": line["model"],
                    "seconds_per_frame": float(line[runtime_spec["column"]]),
                    "seconds_per_megapixel": float(line[runtime_spec["column"]]) / megapixels,
                    "frame_shape": shape,
                    "hardware": runtime_spec["hardware"],
                    "table": runtime_spec["table"],
                }
                for _, line in frame.iterrows()
            ]
        )
    metrics = pd.DataFrame(rows, columns=["family", "detector", "paper_detector", "metric", "value", "table", "measured_on"])
    return PublishedSource(key=key, citation=" ".join(spec["citation"].split()), metrics=metrics, runtime=runtime)


@functools.lru_cache(maxsize=1)
def published_sources():
    """Return every :class:`PublishedSource` from the package data, keyed by citation key."""
    with _data_file("sources.yaml").open("r") as handle:
        specs = yaml.safe_load(handle)
    return {key: _load_source(key, spec) for key, spec in specs.items()}


def paper_family(dataset_name, card_family=None):
    """Return the paper data set family a crbench data set is compared with (or None)."""
    return DATASET_FAMILIES.get(dataset_name, card_family)


def published_metrics(*, family, detector, metric):
    """Published values for one detector, family and metric.

    Returns
    -------
    dict of str to (float or None)
        Citation key -> value as a fraction (None where the paper left the
        cell blank); sources without that figure are absent.
    """
    found = {}
    for key, source in published_sources().items():
        rows = source.metrics[
            (source.metrics["family"] == family)
            & (source.metrics["detector"] == detector)
            & (source.metrics["metric"] == metric)
        ]
        if len(rows):
            value = rows.iloc[0]["value"]
            found[key] = None if value is None or pd.isna(value) else float(value)
    return found


def published_runtime():
    """Published run times as one DataFrame with a ``source`` column (may be empty)."""
    frames = []
    for key, source in published_sources().items():
        if source.runtime is not None:
            frames.append(source.runtime.assign(source=key))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
