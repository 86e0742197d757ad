"""Re-run a submission's detector on seeded, randomly chosen images and compare with its records.

Records hold no score maps, but every per-image row holds the image's counts
(positives, negatives, ignored pixels, and TP/FP/FN/TN at each operating
threshold or sweep value), and :func:`crbench.submission.records.count_problems`
ties those rows to the summed counts every metric comes from. Re-running the
detector on an image and scoring it under the record's protocol must give the
same row: the truth counts exactly, and the decision counts up to
``tolerance`` x the image's pixels (different BLAS or GPU arithmetic may
move a score across a threshold). Fabricated or edited numbers, or records
of another detector, do not survive this.

Run as ``python -m crbench.submission.rerun BUNDLE N SEED TOLERANCE`` inside
the fresh virtual environment the detector was installed into; it prints one
JSON list of problems.
"""

import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from ..jobs.build import build_dataset, build_detector
from ..records import RunRecord
from ..runner import run_detector
from ..uncertainty import BootstrapSettings

__all__ = ["choose_images", "rerun_problems", "DEFAULT_TOLERANCE"]

#: Largest fraction of an image's pixels whose decision may differ between the record and the re-run.
DEFAULT_TOLERANCE = 1e-5

_TRUTH_KEYS = ("n_pixels", "n_pos", "n_neg", "n_ignored")


def choose_images(records, n_images, *, seed):
    """Draw ``n_images`` (record, sample id) pairs without replacement with ``numpy.random.default_rng(seed)``."""
    pairs = [(record, row.sample_id) for record in sorted(records, key=lambda r: r.filename)
             for row in record.per_image]
    if not pairs or n_images <= 0:
        return []
    chosen = np.random.default_rng(seed).choice(len(pairs), size=min(n_images, len(pairs)), replace=False)
    return [pairs[index] for index in sorted(chosen)]


class _ChosenImages:
    """A data set restricted to some sample ids of one split (everything else delegated)."""

    def __init__(self, dataset, split, sample_ids):
        self._dataset, self._split, self._ids = dataset, split, list(sample_ids)

    def sample_ids(self, split):
        return list(self._ids) if split == self._split else self._dataset.sample_ids(split)

    def __getattr__(self, name):
        return getattr(self._dataset, name)


def _rerun_params(record):
    """The record's parameters; an adaptive sweep is re-run on the grid it ended with."""
    params = dict(record.detector.params)
    if params.get("sweep_refinement") and record.counts is not None and record.counts.kind == "sweep":
        params["sweep"] = list(record.counts.data["values"])
        params["sweep_refinement"] = False
    return params


def _row_problems(where, stored, fresh, tolerance):
    problems = []
    for key in _TRUTH_KEYS:
        if getattr(stored, key) != fresh.get(key):
            problems.append(f"{where}: {key} is {getattr(stored, key)} in the record, {fresh.get(key)} on re-run")
    rerun = {float(row["threshold"]): row for row in fresh.get("operating", [])}
    allowed = tolerance * (stored.n_pixels or 0)
    for row in stored.operating:
        again = rerun.get(float(row["threshold"]))
        if again is None:
            problems.append(f"{where}: threshold {row['threshold']} was not scored on re-run")
            continue
        moved = abs(int(row["tp"]) - int(again["tp"])) + abs(int(row["fp"]) - int(again["fp"]))
        if moved > allowed:
            problems.append(f"{where}: at threshold {row['threshold']} the record says TP={row['tp']} FP={row['fp']}, "
                            f"the re-run gives TP={again['tp']} FP={again['fp']} ({moved} pixels differ, "
                            f"tolerance {allowed:.3g})")
    return problems


def rerun_problems(records, n_images, *, seed=0, tolerance=DEFAULT_TOLERANCE, device="cpu"):
    """Re-run ``n_images`` seeded random images of ``records`` and return what does not reproduce.

    Parameters
    ----------
    records : list of crbench.records.RunRecord
    n_images : int
    seed : int
    tolerance : float
        Fraction of an image's pixels whose TP/FP counts may differ.
    device : str

    Returns
    -------
    checked : list of str
        ``record file:sample id`` of each re-run image.
    problems : list of str
    """
    chosen = choose_images(records, n_images, seed=seed)
    by_record = {}
    for record, sample_id in chosen:
        by_record.setdefault(record.filename, (record, []))[1].append(sample_id)
    checked, problems = [], []
    with tempfile.TemporaryDirectory(prefix="crbench-rerun-") as cache_dir:
        for filename, (record, sample_ids) in sorted(by_record.items()):
            checked += [f"{filename}:{sample_id}" for sample_id in sample_ids]
            detector = build_detector(record.detector.class_path or record.detector.name, _rerun_params(record))
            dataset, _ = build_dataset(record.dataset.name, size=record.dataset.size)
            result = run_detector(detector, _ChosenImages(dataset, record.dataset.split, sample_ids),
                                  split=record.dataset.split, device=device, cache_dir=cache_dir, fresh=True,
                                  progress=False, object_scores=False, protocol=record.protocol_name,
                                  ignore_policy=record.dataset.ignore_policy if record.protocol_name == "crbench"
                                  else None,
                                  bootstrap=BootstrapSettings(n_resamples=0))
            fresh_rows = (result.scores or {}).get("per_image", {})
            stored_rows = {row.sample_id: row for row in record.per_image}
            for sample_id in sample_ids:
                problems += _row_problems(f"{filename}:{sample_id}", stored_rows[sample_id],
                                          fresh_rows.get(sample_id, {}), tolerance)
    return checked, problems


def main(argv=None):
    """``python -m crbench.submission.rerun BUNDLE N SEED TOLERANCE``: print ``{"checked", "problems"}`` as JSON."""
    bundle, n_images, seed, tolerance = (argv if argv is not None else sys.argv[1:])
    records = [RunRecord.load(path) for path in sorted((Path(bundle) / "records").glob("run__*.json"))]
    checked, problems = rerun_problems(records, int(n_images), seed=int(seed), tolerance=float(tolerance))
    print(json.dumps({"checked": checked, "problems": problems}))


if __name__ == "__main__":
    main()
