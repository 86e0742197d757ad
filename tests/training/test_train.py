"""End to end: ``crbench train`` on the tiny data set."""

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from crbench.cli import main
from crbench.datasets import SampleMeta
from crbench.datasets.tiny import TinyDataset
from crbench.detectors import get_detector_class
from crbench.hashing import file_sha256
from crbench.models import load_model
from crbench.training import TrainingConfig, train_model


def test_train_command_writes_loadable_checkpoint_and_record(tmp_path):
    out = tmp_path / "run" / "deepcr_tiny.pth"
    result = CliRunner().invoke(
        main,
        ["train", "--model", "deepcr", "--dataset", "tiny", "--epochs", "5", "--batch-size", "4", "--stamp", "32",
         "--stamps-per-epoch", "16", "--max-val-stamps", "3", "--device", "cpu", "--out", str(out), "--quiet"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    record = json.loads(out.with_suffix(".json").read_text())
    assert record["model"] == "deepcr" and record["seed"] == 0 and record["device"] == "cpu"
    assert record["dataset"]["name"] == "tiny" and record["dataset"]["version"] == "2"
    assert len(record["history"]) == 5
    assert record["checkpoint"]["sha256"] == file_sha256(out)
    assert record["command"].startswith("crbench train --model deepcr --dataset tiny")
    assert record["batch_norm_phase0_epochs"] == 2
    assert record["dataset"]["n_val_stamps"] == 3 and record["dataset"]["n_val_grid_stamps"] == 24
    frozen = [entry["batch_norm_frozen"] for entry in record["history"]]
    assert frozen == [False, False, True, True, True]
    assert {"train_loss", "val_loss", "val_dice", "train_dice", "seconds"} <= set(record["history"][0])
    # the loss goes down
    assert record["history"][-1]["train_loss"] < record["history"][0]["train_loss"]
    # the checkpoint is a detector
    detector = get_detector_class("deepcr")(weights=str(out))
    assert detector.training_datasets == ("tiny",)
    detector.setup()
    meta = SampleMeta(instrument="tiny", units="adu", gain=1.0, read_noise=5.0, saturation=6e4, sky_subtracted=True)
    scores = detector.detect(np.zeros((48, 48), np.float32), meta=meta)
    assert scores.shape == (48, 48)
    model, metadata = load_model("deepcr", out)
    assert metadata["best_epoch"] == record["best_epoch"]


def test_training_is_reproducible(tmp_path):
    config = TrainingConfig(model="att_cosmic_conn", dataset="tiny", epochs=2, batch_size=4, stamp=32,
                            stamps_per_epoch=8, loss="median_bce")  # fmt: skip
    first = train_model(config, TinyDataset(), out=tmp_path / "a.pth")
    second = train_model(config, TinyDataset(), out=tmp_path / "b.pth")
    assert [e["train_loss"] for e in first["history"]] == [e["train_loss"] for e in second["history"]]
    assert first["history"][0]["alpha"] == 0.0 and first["history"][1]["alpha"] == 1.0
    a, _ = load_model("att_cosmic_conn", tmp_path / "a.pth")
    b, _ = load_model("att_cosmic_conn", tmp_path / "b.pth")
    for key, value in a.state_dict().items():
        assert torch.equal(value, b.state_dict()[key])


def test_bad_options_are_usage_errors(tmp_path):
    result = CliRunner().invoke(main, ["train", "--model", "deepcr", "--dataset", "tiny", "--stamp", "30",
                                       "--out", str(tmp_path / "x.pth")])  # fmt: skip
    assert result.exit_code == 2 and "multiple of 4" in result.output
    result = CliRunner().invoke(main, ["train", "--model", "deepcr", "--dataset", "nope"])
    assert result.exit_code != 0 and "unknown dataset" in str(result.output) + str(result.exception)


def test_validation_loss_does_not_favour_an_empty_prediction():
    from crbench.training.loop import _evaluate

    generator = torch.Generator().manual_seed(0)
    targets = torch.zeros(8, 1, 16, 16)
    targets[0, 0, 4:6, 4:6] = 1  # one stamp in eight holds a CR, as in sparse val sets
    valids = torch.ones_like(targets)
    stamps = (torch.rand(8, 1, 16, 16, generator=generator), targets, valids, torch.ones_like(targets))

    def empty(image):
        return torch.zeros_like(image)

    def perfect(image):
        return targets  # called once: batch_size=8 below

    empty_loss, empty_dice = _evaluate(empty, stamps, loss="dice_bce", batch_size=2, device="cpu")
    perfect_loss, perfect_dice = _evaluate(perfect, stamps, loss="dice_bce", batch_size=8, device="cpu")
    assert empty_dice == 0.0 and perfect_dice == 1.0
    # Dice over the whole set: the empty prediction pays the full Dice term
    empty_bce = -np.log(1e-7) * 4 / targets.numel()  # 4 missed CR pixels at the probability clamp
    assert empty_loss == pytest.approx((1 - 0 + empty_bce) / 2, rel=1e-4)
    assert perfect_loss < 1e-5
