import json

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.metrics import roc_auc_score

from crbench.cli import main
from crbench.datasets.tiny import TinyDataset
from crbench.records import load_record
from crbench.scoring import dilate_mask
from tests.conftest import onnx_engine

FAULTY = "tests.commands.faulty_detectors"


def _run(tmp_path, *args):
    result = CliRunner().invoke(main, ["run", "--quiet", "--output", str(tmp_path / "results"), *args])
    return result


def _only_record(tmp_path):
    paths = sorted((tmp_path / "results").glob("run__*.json"))
    assert len(paths) == 1, paths
    return load_record(paths[0]).to_dict()  # the file as written (validated on the way)


def test_oracle_is_perfect_and_record_is_complete(tmp_path):
    result = _run(tmp_path, "--detector", "oracle", "--dataset", "tiny")
    assert result.exit_code == 0, result.output
    assert "tpr_at_fpr_1e-4" in result.output
    record = _only_record(tmp_path)
    assert record["status"] == "complete"
    metrics = record["metrics"]
    # the oracle returns undilated truth; truth is dilated 3x3 for scoring, so the
    # dilation ring is missed: TPR < 1 but FPR is 0 and precision 1
    assert metrics["precision"]["value"] == 1.0
    assert metrics["fdr"]["value"] == 0.0
    assert record["dataset"]["n_images"] == 3
    assert len(record["per_image"]) == 3
    json.dumps(record, allow_nan=False)


def test_random_detector_auroc_matches_sklearn_on_the_same_pixels(tmp_path):
    result = _run(tmp_path, "--detector", "random", "--dataset", "tiny", "--detector-args", "seed=5")
    assert result.exit_code == 0, result.output
    record = _only_record(tmp_path)
    from crbench.detectors.doubles import RandomDetector

    detector = RandomDetector(seed=5)
    labels, scores = [], []
    for sample in TinyDataset().iter_samples("test"):
        truth = dilate_mask(sample.truth, size=3)
        keep = ~sample.ignore
        labels.append(truth[keep])
        scores.append(detector.detect(sample.image, meta=sample.meta)[keep])
    expected = roc_auc_score(np.concatenate(labels), np.concatenate(scores))
    assert record["metrics"]["auroc"]["value"] == pytest.approx(expected, abs=1e-12)


def test_second_run_reuses_cached_maps(tmp_path):
    assert _run(tmp_path, "--detector", "random", "--dataset", "tiny").exit_code == 0
    first = _only_record(tmp_path)
    assert _run(tmp_path, "--detector", "random", "--dataset", "tiny").exit_code == 0
    second = _only_record(tmp_path)
    assert second["runtime"]["n_images_from_cache"] == 3
    assert second["metrics"] == first["metrics"]


def test_crashing_detector_fails_loudly_then_keep_going_marks_partial(tmp_path):
    result = _run(tmp_path, "--detector", f"{FAULTY}:CrashOnTallImages", "--dataset", "tiny")
    assert result.exit_code != 0
    assert "failed on 1 of 3 images" in result.output and "test-01" in result.output
    result = _run(tmp_path, "--detector", f"{FAULTY}:CrashOnTallImages", "--dataset", "tiny", "--keep-going")
    assert result.exit_code == 0, result.output
    record = _only_record(tmp_path)
    assert record["status"] == "partial"
    assert [failure["sample_id"] for failure in record["failures"]] == ["test-01"]
    assert record["dataset"]["n_images"] == 2


def test_nan_scores_are_reported_as_a_detector_failure(tmp_path):
    result = _run(tmp_path, "--detector", f"{FAULTY}:ReturnsNaN", "--dataset", "tiny")
    assert result.exit_code != 0
    assert "outside [0, 1] or non-finite" in result.output


def test_mask_detector_sweep_gives_one_roc_point_per_value(tmp_path):
    result = _run(tmp_path, "--detector", f"{FAULTY}:ThresholdMask", "--dataset", "tiny")
    assert result.exit_code == 0, result.output
    record = _only_record(tmp_path)
    assert record["operating_point"] == 3.0
    assert record["metrics"]["f1"]["threshold"] == 3.0
    assert record["runtime"]["n_sweep_values"] == 5


def test_parallel_jobs_give_the_same_metrics(tmp_path):
    assert _run(tmp_path, "--detector", "random", "--dataset", "tiny", "--cache-dir", str(tmp_path / "c1")).exit_code == 0
    serial = _only_record(tmp_path)
    for path in (tmp_path / "results").glob("*.json"):
        path.unlink()
    result = _run(tmp_path, "--detector", "random", "--dataset", "tiny", "--jobs", "2",
                  "--cache-dir", str(tmp_path / "c2"))
    assert result.exit_code == 0, result.output
    parallel = _only_record(tmp_path)
    assert parallel["runtime"]["n_images_from_cache"] == 0
    assert parallel["metrics"] == serial["metrics"]


def test_unknown_names_are_clear_errors(tmp_path):
    result = _run(tmp_path, "--detector", "oracl", "--dataset", "tiny")
    assert result.exit_code != 0 and "Did you mean 'oracle'" in result.output
    result = _run(tmp_path, "--detector", "oracle", "--dataset", "tinyy")
    assert result.exit_code != 0 and "Did you mean 'tiny'" in result.output


def test_json_output_is_the_record(tmp_path):
    result = _run(tmp_path, "--detector", "constant", "--dataset", "tiny", "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed["detector"]["name"] == "constant"
    # a constant map cannot separate anything: AUROC is exactly one half
    assert printed["metrics"]["auroc"]["value"] == 0.5


def test_list_shows_detectors_and_datasets():
    result = CliRunner().invoke(main, ["list", "detectors"])
    assert result.exit_code == 0 and "oracle" in result.output
    result = CliRunner().invoke(main, ["list", "datasets", "--json"])
    assert result.exit_code == 0
    assert any(row["name"] == "tiny" and row["status"] == "available" for row in json.loads(result.output))


def test_list_shows_real_data_sets_as_not_downloaded_with_the_command(monkeypatch, tmp_path):
    monkeypatch.delenv("CRBENCH_DATA", raising=False)
    result = CliRunner().invoke(main, ["list", "datasets", "--json"])
    rows = {row["name"]: row for row in json.loads(result.output)}
    assert rows["lco_1m"]["status"] == "needs download"
    assert rows["lco_1m"]["fix"] == "crbench datasets download lco"
    assert "--data-dir" in rows["decam"]["fix"]


def test_mask_detector_without_sweep_is_one_operating_point(tmp_path):
    result = _run(tmp_path, "--detector", f"{FAULTY}:PlainMask", "--dataset", "tiny")
    assert result.exit_code == 0, result.output
    record = _only_record(tmp_path)
    assert record["metrics"]["precision"]["value"] is not None
    assert record["runtime"]["n_sweep_values"] == 0


@onnx_engine
def test_a_run_on_onnxruntime_in_worker_processes_keeps_its_own_record(tmp_path, requires_published_weights):
    assert _run(tmp_path, "--detector", "deepcr", "--dataset", "tiny", "--jobs", "1").exit_code == 0
    result = _run(tmp_path, "--detector", "deepcr", "--dataset", "tiny", "--backend", "onnxruntime",
                  "--executor", "processes", "--jobs", "2")
    assert result.exit_code == 0, result.output
    reference, engine = sorted((tmp_path / "results").glob("run__*.json"), key=lambda path: len(path.name))
    assert engine.name == reference.name.removesuffix(".json") + "__onnxruntime.json"
    reference, engine = load_record(reference), load_record(engine)
    # the workers, not only the parent, ran ONNX Runtime: its maps are cached under their own identity
    assert engine.detector.inference_backend == "onnxruntime" and reference.detector.inference_backend is None
    assert engine.detector.extra["identity_hash"] != reference.detector.extra["identity_hash"]
    assert engine.runtime.n_images_from_cache == 0
    assert reference.metric_value("auroc") is not None
    assert engine.metric_value("auroc") == pytest.approx(reference.metric_value("auroc"), abs=1e-4)
