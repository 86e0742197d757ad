"""Detectors with crbench-trained checkpoints shipped in the package (transunet_small, att_unet)."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from crbench.cli import main
from crbench.datasets import SampleMeta
from crbench.detectors import get_detector_class
from crbench.detectors.crbench_trained import TRAINED_DIR
from crbench.hashing import file_sha256
from crbench.models import load_model, unique_parameter_count

from ._helpers import scene

SHIPPED = ("transunet_small", "att_unet")
MAX_CHECKPOINT_BYTES = 5 * 1024 * 1024


def _record(name):
    return json.loads((TRAINED_DIR / f"{name}_sim_decam.json").read_text())


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_checkpoint_is_small_loads_strictly_and_matches_its_record(name):
    path = TRAINED_DIR / f"{name}_sim_decam.pth"
    assert path.stat().st_size < MAX_CHECKPOINT_BYTES
    record = _record(name)
    assert record["kind"] == "crbench-training-record" and record["model"] == name
    assert record["checkpoint"] == {"path": path.name, "sha256": file_sha256(path)}
    assert record["command"].startswith(f"crbench train --model {name} --dataset sim_decam ")
    assert record["config"]["loss"] == "dice_bce" and record["config"]["learning_rate"] == 1e-3
    model, metadata = load_model(name, path)  # strict: every key and shape must match
    assert metadata["dataset_family"] == "sim_decam" and metadata["best_epoch"] == record["best_epoch"]
    assert 450_000 < unique_parameter_count(model) < 500_000


def test_shipped_models_had_the_same_budget_and_data():
    first, second = (_record(name) for name in SHIPPED)
    same = ("epochs", "batch_size", "stamp", "stamps_per_epoch", "loss", "learning_rate", "seed", "dataset_size")
    assert {key: first["config"][key] for key in same} == {key: second["config"][key] for key in same}
    for key in ("train_manifest_hash", "val_manifest_hash", "version"):
        assert first["dataset"][key] == second["dataset"][key]


@pytest.mark.parametrize("name", SHIPPED)
def test_detector_defaults_to_the_shipped_checkpoint(name):
    detector = get_detector_class(name)()
    assert detector.training_datasets == ("sim_decam",)
    assert detector.params["stamp"] == _record(name)["config"]["stamp"]
    # the version pins the checkpoint, so a retrained file never reuses cached scores
    assert detector.version == "1+" + file_sha256(TRAINED_DIR / f"{name}_sim_decam.pth")[:12]
    detector.setup(device="cpu")
    assert detector.info()["weights_sha256"] == file_sha256(TRAINED_DIR / f"{name}_sim_decam.pth")
    sample = scene((70, 90), seed=2, units="adu", gain=4.0, n_crs=10)
    scores = detector.detect(sample.image, meta=sample.meta)
    assert scores.shape == (70, 90) and scores.dtype == np.float32
    assert np.all((scores >= 0) & (scores <= 1))
    # trained detectors score the injected cosmic rays far above the rest (an untrained net: ratio ~1)
    assert scores[sample.truth].mean() > 10 * scores[~sample.truth].mean()


def test_train_command_accepts_transunet_and_the_checkpoint_is_a_detector(tmp_path):
    out = tmp_path / "transunet_small_tiny.pth"
    result = CliRunner().invoke(
        main,
        ["train", "--model", "transunet_small", "--dataset", "tiny", "--epochs", "2", "--batch-size", "4",
         "--stamp", "32", "--stamps-per-epoch", "8", "--loss", "dice_bce", "--lr", "0.001", "--limit", "2",
         "--device", "cpu", "--out", str(out), "--quiet"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(out.with_suffix(".json").read_text())["model"] == "transunet_small"
    detector = get_detector_class("transunet_small")(weights=str(out), stamp=32, margin=4)
    assert detector.training_datasets == ("tiny",) and detector.version == "1"
    detector.setup()
    meta = SampleMeta(instrument="tiny", units="adu", gain=1.0, read_noise=5.0, saturation=6e4, sky_subtracted=True)
    assert detector.detect(np.zeros((45, 37), np.float32), meta=meta).shape == (45, 37)
