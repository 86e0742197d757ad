"""The training loop of the UNet-3-32 family on a crbench data set.

Protocol (after deepCR and the attention paper, adapted to a CPU budget):

- Adam (default learning rate 0.005), learning rate x0.1 when the
  validation loss has not improved by 0.5 % for 5 epochs (patience 4,
  cooldown 2), as in the authors' trainer;
- BatchNorm models follow deepCR's two phases: batch statistics for the
  first 40 % of the epochs, then the running statistics are frozen (the
  network is trained in eval mode) and Adam restarts at lr / 2.5;
- random stamps with rotation/flip and sky-level augmentation
  (:class:`~crbench.training.data.RandomStampSet`); validation on a fixed
  grid of stamps of the val split;
- the weights of the epoch with the lowest validation loss are kept.

:func:`train_model` writes the checkpoint (``.pth``, loadable with
``--detector NAME --detector-args weights=PATH``) and a JSON training
record next to it (``.json``).
"""

import math
import shlex
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from .. import __version__
from ..atomic import write_json_atomic
from ..datasets.base import manifest_hash
from ..models.checkpoints import MODEL_CONFIGS, build_model, save_checkpoint
from .data import SKY_AUGMENTATION_RANGE, RandomStampSet, grid_stamps, prepare_split
from .losses import LOSSES, bce_loss, compute_loss, dice_from_sums, dice_sums

__all__ = ["TrainingConfig", "train_model", "record_path_for", "default_command", "BN_PHASE0_FRACTION"]

BN_PHASE0_FRACTION = 0.4


@dataclass(frozen=True)
class TrainingConfig:
    """Everything that determines a training run (stored in the record).

    Attributes
    ----------
    model : str
        One of ``deepcr``, ``att_deepcr``, ``cosmic_conn``, ``att_cosmic_conn``.
    dataset : str
        Registry name of the data set.
    dataset_size : str or None
        Size of the data set (e.g. ``"small"``).
    epochs, batch_size, stamp : int
    stamps_per_epoch : int or None
        Random stamps drawn per epoch; None = the number of stamp-sized areas
        in the train split (at least one batch).
    loss : {"bce", "median_bce", "dice_bce"}
    learning_rate : float
    seed : int
    alpha_ramp_fraction : float
        ``median_bce`` only: the floor ``alpha`` rises linearly from 0 at the
        first epoch to 1 at this fraction of the epochs.
    train_split, val_split : str
    limit : int or None
        Use at most this many samples per split (quick runs).
    max_val_stamps : int or None
        Validate on at most this many grid stamps of the val split, evenly
        spaced over the grid (None = all); keeps validation affordable on CPU.
    """

    model: str
    dataset: str
    dataset_size: str | None = None
    epochs: int = 20
    batch_size: int = 16
    stamp: int = 256
    stamps_per_epoch: int | None = None
    loss: str = "bce"
    learning_rate: float = 0.005
    seed: int = 0
    alpha_ramp_fraction: float = 0.5
    train_split: str = "train"
    val_split: str = "val"
    limit: int | None = None
    max_val_stamps: int | None = 64

    def __post_init__(self):
        if self.model not in MODEL_CONFIGS:
            raise ValueError(f"unknown model {self.model!r}; expected one of {', '.join(MODEL_CONFIGS)}")
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; expected one of {', '.join(LOSSES)}")
        if self.stamp < 8 or self.stamp % 4:
            raise ValueError(f"stamp must be a multiple of 4 and >= 8, got {self.stamp}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be positive")


def record_path_for(checkpoint_path):
    """Return the training-record path that belongs to a checkpoint."""
    return Path(checkpoint_path).with_suffix(".json")


def _hard_counts(pred, target, valid):
    flagged = (pred >= 0.5) & (valid > 0)
    truth = (target > 0.5) & (valid > 0)
    tp = int((flagged & truth).sum())
    return tp, int(flagged.sum()) - tp, int(truth.sum()) - tp


def _dice(tp, fp, fn):
    denominator = 2 * tp + fp + fn
    return 2 * tp / denominator if denominator else 1.0


def _evaluate(model, val_stamps, *, loss, batch_size, device):
    """Return (validation loss, Dice at threshold 0.5) on fixed stamps.

    The loss is computed over the validation set as a whole, not averaged over
    batches: BCE is the mean over all valid pixels and, for ``dice_bce``, the
    soft Dice uses sums over all stamps, so that batches without CR pixels
    (where Dice is undefined) cannot make an empty prediction look good.
    """
    images, targets, valids, _weights = val_stamps
    bce_sum, n_valid = 0.0, 0.0
    intersection, total = 0.0, 0.0
    tp = fp = fn = 0
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            batch = slice(start, start + batch_size)
            image, target, valid = images[batch].to(device), targets[batch].to(device), valids[batch].to(device)
            pred = model(image)
            batch_valid = float(valid.sum())
            # median_bce is validated at alpha = 1 (plain BCE) so the loss does not change definition while alpha ramps
            bce_sum += float(bce_loss(pred, target, valid)) * batch_valid
            n_valid += batch_valid
            batch_intersection, batch_total = dice_sums(pred, target, valid)
            intersection, total = intersection + float(batch_intersection), total + float(batch_total)
            counts = _hard_counts(pred, target, valid)
            tp, fp, fn = tp + counts[0], fp + counts[1], fn + counts[2]
    val_loss = bce_sum / max(n_valid, 1.0)
    if loss == "dice_bce":
        val_loss = (1 - float(dice_from_sums(intersection, total)) + val_loss) / 2
    return val_loss, _dice(tp, fp, fn)


def _new_optimizer(model, learning_rate):
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, factor=0.1, patience=4, cooldown=2, threshold=0.005
    )
    return optimizer, scheduler


def train_model(config, dataset, *, out, device="cpu", progress=False, command=None):
    """Train one model and write its checkpoint and training record.

    Parameters
    ----------
    config : TrainingConfig
    dataset : crbench.datasets.Dataset
        An instance whose card name matches ``config.dataset``.
    out : path-like
        Checkpoint path (``.pth``); the record goes to ``record_path_for(out)``.
    device : str
        Resolved torch device name.
    progress : bool
        Show a tqdm bar over epochs.
    command : str, optional
        The command line that reproduces the run (stored in the record).

    Returns
    -------
    dict
        The training record.
    """
    wall_start = time.perf_counter()
    cpu_start = time.process_time()
    out = Path(out)
    train_images = prepare_split(dataset, config.train_split, limit=config.limit)
    val_images = prepare_split(dataset, config.val_split, limit=config.limit)

    n_train_pixels = sum(int(image.valid.sum()) for image in train_images)
    stamps_per_epoch = config.stamps_per_epoch or max(config.batch_size, n_train_pixels // config.stamp**2)
    train_set = RandomStampSet(
        train_images, stamp=config.stamp, n_stamps=stamps_per_epoch, seed=config.seed, sky_range=SKY_AUGMENTATION_RANGE
    )
    val_stamps = grid_stamps(val_images, stamp=config.stamp)
    n_grid = len(val_stamps[0])
    if config.max_val_stamps and n_grid > config.max_val_stamps:
        chosen = torch.from_numpy(np.linspace(0, n_grid - 1, config.max_val_stamps).round().astype(np.int64))
        val_stamps = tuple(column[chosen] for column in val_stamps)

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        model = build_model(config.model)
    model.to(device)
    batch_norm = MODEL_CONFIGS[config.model]["norm"] == "batch"
    phase0_epochs = math.ceil(BN_PHASE0_FRACTION * config.epochs) if batch_norm else config.epochs
    optimizer, scheduler = _new_optimizer(model, config.learning_rate)

    history = []
    best = {"val_loss": math.inf, "epoch": None, "state": None}
    order_rng = np.random.default_rng([config.seed, 1])
    epochs = tqdm(range(1, config.epochs + 1), desc=f"train {config.model}", unit="epoch", disable=not progress)
    for epoch in epochs:
        epoch_start = time.perf_counter()
        if batch_norm and epoch == phase0_epochs + 1:
            # deepCR phase 1: freeze BatchNorm statistics, restart Adam at lr / 2.5
            optimizer, scheduler = _new_optimizer(model, config.learning_rate / 2.5)
        frozen_statistics = batch_norm and epoch > phase0_epochs
        model.eval() if frozen_statistics else model.train()
        if config.loss == "median_bce":
            ramp_epochs = max(1.0, config.alpha_ramp_fraction * config.epochs)
            alpha = min(1.0, (epoch - 1) / ramp_epochs)
        else:
            alpha = 1.0

        train_set.set_epoch(epoch)
        order = order_rng.permutation(len(train_set))
        loss_sum, n_batches = 0.0, 0
        tp = fp = fn = 0
        for start in range(0, len(order), config.batch_size):
            items = [train_set[int(index)] for index in order[start : start + config.batch_size]]
            image, target, valid, weight = (torch.stack(column).to(device) for column in zip(*items))
            pred = model(image)
            loss = compute_loss(config.loss, pred, target, valid, weight, alpha)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += float(loss.detach())
            n_batches += 1
            counts = _hard_counts(pred.detach(), target, valid)
            tp, fp, fn = tp + counts[0], fp + counts[1], fn + counts[2]

        model.eval()
        val_loss, val_dice = _evaluate(model, val_stamps, loss=config.loss, batch_size=config.batch_size, device=device)
        scheduler.step(val_loss)
        entry = {
            "epoch": epoch,
            "train_loss": loss_sum / max(n_batches, 1),
            "train_dice": _dice(tp, fp, fn),
            "val_loss": val_loss,
            "val_dice": val_dice,
            "learning_rate": optimizer.param_groups[0]["lr"],
            "alpha": alpha,
            "batch_norm_frozen": frozen_statistics,
            "seconds": time.perf_counter() - epoch_start,
        }
        if not all(math.isfinite(entry[key]) for key in ("train_loss", "val_loss")):
            raise FloatingPointError(f"training diverged at epoch {epoch}: {entry}")
        history.append(entry)
        epochs.set_postfix(train_loss=f"{entry['train_loss']:.4f}", val_loss=f"{val_loss:.4f}", val_dice=f"{val_dice:.3f}")
        if val_loss < best["val_loss"]:
            best = {
                "val_loss": val_loss,
                "epoch": epoch,
                "state": {key: value.detach().cpu().clone() for key, value in model.state_dict().items()},
            }

    model.load_state_dict(best["state"])
    model.eval()
    family = dataset.card.family
    save_checkpoint(
        out,
        model,
        name=config.model,
        dataset=config.dataset,
        dataset_version=dataset.card.version,
        dataset_family=family,
        best_epoch=best["epoch"],
        crbench_version=__version__,
    )
    from ..hashing import file_sha256

    record = {
        "kind": "crbench-training-record",
        "record_version": 1,
        "model": config.model,
        "config": asdict(config),
        "seed": config.seed,
        "stamps_per_epoch": stamps_per_epoch,
        "batch_norm_phase0_epochs": phase0_epochs if batch_norm else None,
        "sky_augmentation_range": list(SKY_AUGMENTATION_RANGE),
        "dataset": {
            "name": dataset.name,
            "version": dataset.card.version,
            "family": family,
            "size": dataset.size,
            "train_manifest_hash": manifest_hash({image.sample_id: image.sha256 for image in train_images}),
            "val_manifest_hash": manifest_hash({image.sample_id: image.sha256 for image in val_images}),
            "n_train_images": len(train_images),
            "n_val_images": len(val_images),
            "n_val_stamps": int(len(val_stamps[0])),
            "n_val_grid_stamps": int(n_grid),
        },
        "history": history,
        "best_epoch": best["epoch"],
        "best_val_loss": best["val_loss"],
        "checkpoint": {"path": out.name, "sha256": file_sha256(out)},
        "device": str(device),
        "torch_threads": torch.get_num_threads(),
        "wall_seconds": time.perf_counter() - wall_start,
        "cpu_seconds": time.process_time() - cpu_start,
        "versions": {"crbench": __version__, "torch": torch.__version__, "numpy": np.__version__},
        "python": sys.version.split()[0],
        "command": command,
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    write_json_atomic(record_path_for(out), record)
    return record


def default_command(config, out, device):
    """Return the ``crbench train`` command line that reproduces ``config``."""
    parts = [
        "crbench", "train",
        "--model", config.model,
        "--dataset", config.dataset,
        "--epochs", str(config.epochs),
        "--batch-size", str(config.batch_size),
        "--stamp", str(config.stamp),
        "--loss", config.loss,
        "--lr", repr(config.learning_rate),
        "--seed", str(config.seed),
        "--device", device,
        "--output", str(out),
    ]  # fmt: skip
    if config.dataset_size:
        parts += ["--size", config.dataset_size]
    if config.stamps_per_epoch:
        parts += ["--stamps-per-epoch", str(config.stamps_per_epoch)]
    if config.limit:
        parts += ["--limit", str(config.limit)]
    parts += ["--max-val-stamps", str(config.max_val_stamps or 0)]
    if config.loss == "median_bce":
        parts += ["--alpha-ramp", repr(config.alpha_ramp_fraction)]
    return shlex.join(parts)
