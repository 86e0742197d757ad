"""Neural-network architectures and checkpoint I/O (imports torch)."""

from .checkpoints import (
    ARCHITECTURES,
    CHECKPOINT_FORMAT,
    MODEL_CONFIGS,
    build_model,
    load_model,
    load_state_dict_strict,
    read_checkpoint,
    save_checkpoint,
)
from .transunet import TransformerBottleneck, TransUNet
from .unet import AttentionGate, ConvBlock, UNet3, unique_parameter_count

__all__ = [
    "ARCHITECTURES",
    "AttentionGate",
    "CHECKPOINT_FORMAT",
    "ConvBlock",
    "MODEL_CONFIGS",
    "UNet3",
    "build_model",
    "load_model",
    "load_state_dict_strict",
    "read_checkpoint",
    "save_checkpoint",
    "TransformerBottleneck",
    "TransUNet",
    "unique_parameter_count",
]
