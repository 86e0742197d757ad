"""Run records with constructed bootstrap replicates, for the comparison and ranking tests."""

import copy
import json
from pathlib import Path

from crbench.records import RunRecord

# records in older formats, which the rebuilt leaderboard no longer holds (tests/data/legacy_records/README.md)
LEGACY_RECORDS = Path(__file__).resolve().parents[1] / "data" / "legacy_records"
#: the smallest committed run record, used as the skeleton of constructed records
BASE_FILE = LEGACY_RECORDS / "run__sim_lco_2m__small__test__lacosmic__157bfec692fe138f.json"
DIGEST = "ab" * 32


def constructed_record(name, replicates, *, values=None, digest=DIGEST, n_images=4, mutate=None):
    """A valid run record of detector ``name`` whose ``uncertainty`` holds ``replicates``.

    ``replicates`` maps metric names to lists (None = undefined); the point
    estimate is ``values[name]`` or, by default, the first replicate's mean.
    """
    data = copy.deepcopy(json.loads(BASE_FILE.read_text()))
    data["detector"]["name"] = name
    data["detector"]["params_hash"] = f"{name:0<16}"[:16]
    n_resamples = len(next(iter(replicates.values())))
    metrics = {}
    for metric, rows in replicates.items():
        defined = [row for row in rows if row is not None]
        value = (values or {}).get(metric, sum(defined) / len(defined) if defined else None)
        metrics[metric] = {**data["metrics"][metric], "value": value}
    data["metrics"] = {**data["metrics"], **metrics}
    data["uncertainty"] = {
        "method": "percentile", "resampling_unit": "image", "level": 0.95, "n_resamples": n_resamples,
        "seed": 0, "strata": None, "stratum_sizes": {}, "n_images": n_images, "weights_sha256": digest,
        "seconds": 0.1,
        "metrics": {metric: {"low": None, "high": None, "n_undefined": sum(row is None for row in rows),
                             "replicates": list(rows)} for metric, rows in replicates.items()},
    }
    if mutate is not None:
        mutate(data)
    return RunRecord.from_dict(data, source=f"<constructed {name}>")
