"""Synthetic run and bench records in the real ``crbench.run/1`` / ``crbench.bench/1`` formats."""

import copy

import numpy as np
from scipy.stats import norm

__all__ = ["make_record", "make_bench", "binormal_curves"]


def binormal_curves(separation, *, n_points=60, n_pos=20_000, n_neg=2_000_000):
    """Stored curve (exact counts, as run records hold it) of a binormal detector.

    Scores of negatives ~ N(0, 1), of positives ~ N(separation, 1); thresholds
    are mapped into (0, 1) like probabilities.
    """
    cuts = np.linspace(separation + 4.0, -4.0, n_points)
    fp = np.round(norm.sf(cuts) * n_neg).astype(int)
    tp = np.round(norm.sf(cuts - separation) * n_pos).astype(int)
    thresholds = norm.cdf(cuts - separation / 2)
    return {
        "thresholds": thresholds.tolist(),
        "tp": tp.tolist(),
        "fp": fp.tolist(),
        "n_pos": n_pos,
        "n_neg": n_neg,
        "n_points_full": n_points,
    }


def _metric(value, higher=True, threshold=None):
    return {"value": value, "threshold": threshold, "higher_is_better": higher}


def make_record(
    detector="deepcr",
    dataset="sim_decam",
    *,
    family=None,
    version="1",
    size="small",
    split="test",
    manifest_hash="a" * 64,
    metric_spec_version="1",
    params_hash="p" * 16,
    detector_version="1",
    training_datasets=(),
    output_kind="score",
    status="complete",
    created="2026-11-22T01:00:00+00:00",
    metrics=None,
    separation=3.0,
    operating_point=None,
    seconds_per_megapixel=1.5,
    cpu="Test CPU 3000",
):
    """Return a run record; metric values default to a fixed, plausible set."""
    values = {
        "tpr_at_fpr_1e-4": 0.9512,
        "tpr_at_fpr_1e-3": 0.9876,
        "purity_at_tpr_0.95": 0.8765,
        "f1": 0.91234,
        "iou": 0.83871,
        "fdr": 0.07001,
        "precision": 0.92999,
        "recall": 0.89543,
        "auroc": 0.99912,
        "average_precision": 0.95432,
    }
    values.update(metrics or {})
    curves = binormal_curves(separation)
    if operating_point is None:
        operating_point = curves["thresholds"][30]
    record = {
        "schema": "crbench.run/1",
        "crbench_version": "0.1.0",
        "created": created,
        "status": status,
        "detector": {
            "name": detector,
            "class": f"tests:{detector}",
            "version": detector_version,
            "params": {"threshold": 0.5},
            "params_hash": params_hash,
            "training_datasets": list(training_datasets),
            "output_kind": output_kind,
            "dilate_output": False,
            "input_units": "electron",
            "sweep_parameter": "sigclip" if output_kind == "mask" else None,
            "citation": "",
            "license": "",
        },
        "dataset": {
            "name": dataset,
            "version": version,
            "family": family or dataset.removeprefix("sim_"),
            "size": size,
            "split": split,
            "card": {},
            "manifest_hash": manifest_hash,
            "n_images": 4,
            "n_images_requested": 4,
            "n_pixels": 4 * 256 * 256,
            "n_pixels_scored": 4 * 256 * 256 - 100,
            "n_pixels_ignored": 100,
            "n_pixels_nonfinite": 0,
            "truth_dilation": 3,
            "ignore_policy": "exclude",
        },
        "metric_spec_version": metric_spec_version,
        "operating_point": operating_point,
        "metrics": {
            name: _metric(value, higher=(name != "fdr"), threshold=operating_point) for name, value in values.items()
        },
        "counts": {},
        "curves": curves,
        "per_image": [],
        "failures": [] if status == "complete" else [{"sample_id": "img3", "error": "RuntimeError: boom", "traceback": ""}],
        "runtime": {
            "device": "cpu",
            "jobs": 1,
            "setup_seconds": 0.5,
            "detect_seconds": 0.4,
            "n_images_timed": 4,
            "n_images_from_cache": 0,
            "seconds_per_megapixel": seconds_per_megapixel,
            "n_sweep_values": 0,
            "seconds_per_megapixel_per_sweep_value": None,
            "wall_seconds": 2.0,
            "peak_rss_bytes": 512 * 2**20,
        },
        "environment": {"python": "3.11.7", "platform": "Linux", "cpu": cpu},
    }
    return copy.deepcopy(record)


def make_bench(detector="deepcr", *, median_seconds=4.0, shape=(2048, 4096), cpu="Test CPU 3000", device="cpu",
               date="2026-11-22T01:00:00+00:00", gpu=None):
    """Return a ``crbench.bench/1`` record."""
    megapixels = shape[0] * shape[1] / 1e6
    environment = {"python": "3.11.7", "cpu_model": cpu}
    if gpu:
        environment["gpu"] = gpu
    return {
        "schema": "crbench.bench/1",
        "crbench_version": "0.1.0",
        "date": date,
        "detector": {"name": detector, "params_hash": "p" * 16, "version": "1"},
        "shape": list(shape),
        "device": device,
        "setup_seconds": 1.0,
        "warmup_seconds": 5.0,
        "seconds": [median_seconds * 0.98, median_seconds, median_seconds * 1.03],
        "median_seconds": median_seconds,
        "seconds_per_megapixel": median_seconds / megapixels,
        "peak_rss_bytes": 900 * 2**20,
        "threads": 2,
        "environment": environment,
    }
