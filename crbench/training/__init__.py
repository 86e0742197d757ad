"""Training the UNet-3-32 family on crbench data sets (``crbench train``)."""

from .data import RandomStampSet, grid_stamps, median_weight_base, prepare_split
from .loop import TrainingConfig, default_command, record_path_for, train_model
from .losses import LOSSES, bce_loss, compute_loss, dice_bce_loss, median_bce_loss

__all__ = [
    "LOSSES",
    "RandomStampSet",
    "TrainingConfig",
    "bce_loss",
    "compute_loss",
    "default_command",
    "dice_bce_loss",
    "grid_stamps",
    "median_bce_loss",
    "median_weight_base",
    "prepare_split",
    "record_path_for",
    "train_model",
]
