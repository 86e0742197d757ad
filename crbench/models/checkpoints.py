"""Strict, safe loading and saving of UNet-3-32 and TransUNet checkpoints.

Two file layouts are accepted:

- a bare state dict, as released by Bhavanam et al. (keys carry the
  ``module.`` prefix of ``torch.nn.DataParallel``, stripped here);
- a crbench checkpoint: ``{"format": CHECKPOINT_FORMAT, "model": name,
  "state_dict": {...}, "dataset_family": ..., ...}`` written by
  :func:`save_checkpoint` (``crbench train``).

Files are read with ``torch.load(weights_only=True)``: no pickled code is
ever executed. Loading is strict: every key of the model must be present,
no extra key is allowed, and every shape must match.
"""

from pathlib import Path

import torch

from ..atomic import atomic_path
from ..errors import CorruptFileError, InputError
from .transunet import TransUNet
from .unet import UNet3

__all__ = [
    "ARCHITECTURES",
    "CHECKPOINT_FORMAT",
    "MODEL_CONFIGS",
    "build_model",
    "read_checkpoint",
    "load_state_dict_strict",
    "load_model",
    "save_checkpoint",
]

CHECKPOINT_FORMAT = "crbench-unet3-v1"

#: Architecture of each model name: constructor keywords, plus ``architecture``
#: (a key of :data:`ARCHITECTURES`, default ``"unet3"``).
MODEL_CONFIGS = {
    "deepcr": {"norm": "batch", "attention": False},
    "att_deepcr": {"norm": "batch", "attention": True},
    "cosmic_conn": {"norm": "group", "attention": False},
    "att_cosmic_conn": {"norm": "group", "attention": True},
    # the DECam TransUNet study's "UNet" and "Att_UNet" baselines: GroupNorm U-Nets, the same
    # networks as cosmic_conn / att_cosmic_conn (separate names for checkpoints crbench trains)
    "unet": {"norm": "group", "attention": False},
    "att_unet": {"norm": "group", "attention": True},
    "transunet_small": {"architecture": "transunet", "norm": "group", "hidden": 60, "mlp": 64, "layers": 6, "heads": 6},
}

#: Model classes by architecture name.
ARCHITECTURES = {"unet3": UNet3, "transunet": TransUNet}


def build_model(name):
    """Return a freshly initialised network (:class:`UNet3` or :class:`TransUNet`) for model ``name``."""
    if name not in MODEL_CONFIGS:
        raise InputError(f"unknown model {name!r}; expected one of {', '.join(MODEL_CONFIGS)}")
    options = dict(MODEL_CONFIGS[name])
    architecture = options.pop("architecture", "unet3")
    return ARCHITECTURES[architecture](**options)


def read_checkpoint(path):
    """Read a checkpoint file safely.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    state_dict : dict of str to Tensor
        With any ``module.`` prefix removed.
    metadata : dict
        The crbench checkpoint's other entries (empty for a bare state dict).

    Raises
    ------
    CorruptFileError
        The file cannot be read as a weights-only torch file or holds no
        state dict.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"checkpoint {path} does not exist; pass an existing .pth file as weights=PATH")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several types for unreadable or unsafe files
        raise CorruptFileError(
            f"cannot read checkpoint {path} as a weights-only torch file ({err}); "
            "re-download it or re-run 'crbench train'"
        ) from err
    metadata = {}
    if isinstance(payload, dict) and payload.get("format") == CHECKPOINT_FORMAT:
        metadata = {key: value for key, value in payload.items() if key != "state_dict"}
        payload = payload.get("state_dict")
    if not isinstance(payload, dict) or not all(isinstance(value, torch.Tensor) for value in payload.values()):
        raise CorruptFileError(f"checkpoint {path} does not hold a state dict of tensors")
    state_dict = {_strip_prefix(key): value for key, value in payload.items()}
    return state_dict, metadata


def _strip_prefix(key):
    return key[len("module.") :] if key.startswith("module.") else key


def load_state_dict_strict(model, state_dict, *, source="state dict"):
    """Load ``state_dict`` into ``model``, requiring identical keys and shapes.

    Raises
    ------
    CorruptFileError
        Naming the missing, unexpected or mis-shaped keys and ``source``.
    """
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(expected))
    mismatched = [
        f"{key}: file {tuple(state_dict[key].shape)} vs model {tuple(expected[key].shape)}"
        for key in expected
        if key in state_dict and state_dict[key].shape != expected[key].shape
    ]
    if missing or unexpected or mismatched:
        problems = []
        if missing:
            problems.append(f"{len(missing)} missing keys (first: {missing[:3]})")
        if unexpected:
            problems.append(f"{len(unexpected)} unexpected keys (first: {unexpected[:3]})")
        if mismatched:
            problems.append(f"shape mismatches ({'; '.join(mismatched[:3])})")
        raise CorruptFileError(
            f"{source} does not match the {type(model).__name__} architecture "
            f"(norm={getattr(model, 'norm', '?')}, attention={getattr(model, 'attention', '?')}): "
            + ", ".join(problems)
            + "; check that the weights belong to this detector"
        )
    model.load_state_dict(state_dict, strict=True)
    return model


def load_model(name, path):
    """Build model ``name`` and load the checkpoint at ``path`` strictly.

    Returns
    -------
    model : UNet3 or TransUNet
        In eval mode, on the CPU.
    metadata : dict
        Checkpoint metadata (empty for the published files).
    """
    state_dict, metadata = read_checkpoint(path)
    saved_name = metadata.get("model")
    if saved_name is not None and saved_name != name:
        raise InputError(
            f"checkpoint {path} was trained as {saved_name!r}, not {name!r}; "
            f"use '--detector {saved_name}' with these weights"
        )
    model = build_model(name)
    load_state_dict_strict(model, state_dict, source=f"checkpoint {path}")
    model.eval()
    return model, metadata


def save_checkpoint(path, model, *, name, **metadata):
    """Write a crbench checkpoint atomically.

    Parameters
    ----------
    path : path-like
    model : torch.nn.Module
    name : str
        Model name (a key of :data:`MODEL_CONFIGS`).
    **metadata
        JSON-like values (str, int, float, bool, lists, dicts) stored beside
        the weights, e.g. ``dataset_family``.
    """
    state_dict = {key: value.detach().cpu().clone() for key, value in model.state_dict().items()}
    payload = {"format": CHECKPOINT_FORMAT, "model": name, **metadata, "state_dict": state_dict}
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return Path(path)
