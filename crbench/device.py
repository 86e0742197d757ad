"""Choosing the compute device a detector runs on.

``"auto"`` means CUDA when PyTorch sees a GPU, else the CPU. Asking for
``"cuda"`` on a machine without one is an error rather than a silent fall
back, so that a timing labelled "cuda" was really measured on a GPU.
"""

import importlib.util

from .errors import InputError

__all__ = ["DEVICES", "cuda_available", "resolve_device", "device_name"]

DEVICES = ("auto", "cpu", "cuda")


def cuda_available():
    """Return True when PyTorch is installed and sees at least one CUDA device."""
    if importlib.util.find_spec("torch") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


def resolve_device(device="auto"):
    """Turn a requested device into the one to use.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda"}
        ``"auto"`` picks ``"cuda"`` when :func:`cuda_available`, else
        ``"cpu"``. ``"cuda:N"`` is accepted and kept as given.

    Returns
    -------
    str
        ``"cpu"`` or ``"cuda"`` (or ``"cuda:N"``).

    Raises
    ------
    InputError
        For an unknown device, or ``"cuda"`` when no CUDA device is visible.
    """
    requested = str(device).strip().lower()
    base = requested.split(":", 1)[0]
    if base not in DEVICES or (":" in requested and base != "cuda"):
        raise InputError(f"unknown device {device!r}; use one of {', '.join(DEVICES)}")
    if requested == "auto":
        return "cuda" if cuda_available() else "cpu"
    if base == "cuda" and not cuda_available():
        raise InputError(
            f"device {device!r} requested but PyTorch sees no CUDA device; "
            "use --device cpu, or --device auto to pick the GPU only when one is present"
        )
    return requested


def device_name(device):
    """Return a human-readable model name of ``device`` (GPU name or CPU brand).

    Parameters
    ----------
    device : str
        A resolved device (``"cpu"``, ``"cuda"`` or ``"cuda:N"``).
    """
    if str(device).startswith("cuda"):
        import torch

        index = int(device.split(":", 1)[1]) if ":" in device else torch.cuda.current_device()
        return torch.cuda.get_device_name(index)
    from .environment import cpu_model

    return cpu_model()
