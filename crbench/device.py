"""Choosing the compute device a detector runs on.

``"auto"`` means CUDA when PyTorch sees a GPU, else the CPU. Asking for
``"cuda"`` on a machine without one is an error rather than a silent fall
back, so that a timing labelled "cuda" was really measured on a GPU.

The device is resolved in the process that detects (each worker of a run:
the workers of one Dask cluster may differ); the parent only checks the
name (:func:`check_device`). Records label each image with
:func:`device_label` (``"cpu"``, ``"cuda:0"``), and a run whose images ran
on both kinds of hardware is *mixed* (:func:`mixes_cpu_and_gpu`): its time
per megapixel averages a CPU's and a GPU's.
"""

import importlib.util

from .errors import InputError

__all__ = ["DEVICES", "check_device", "cuda_available", "device_kind", "device_label", "device_name",
           "mixes_cpu_and_gpu", "resolve_device"]

DEVICES = ("auto", "cpu", "cuda")


def cuda_available():
    """Return True when PyTorch is installed and sees at least one CUDA device."""
    if importlib.util.find_spec("torch") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


def check_device(device):
    """Return the requested ``device`` normalised (lower case), without looking for hardware.

    Raises
    ------
    InputError
        For a name that is not ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.

    Examples
    --------
    >>> check_device("CUDA:1")
    'cuda:1'
    """
    requested = str(device).strip().lower()
    base, _, index = requested.partition(":")
    if base not in DEVICES or (":" in requested and (base != "cuda" or not index.isdigit())):
        raise InputError(f"unknown device {device!r}; use one of {', '.join(DEVICES)}")
    return requested


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
    requested = check_device(device)
    base = requested.split(":", 1)[0]
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


def device_label(device):
    """The device an image ran on, as a record states it: ``"cpu"``, or ``"cuda:N"`` with the GPU's index.

    Parameters
    ----------
    device : str
        A resolved device (:func:`resolve_device`); a bare ``"cuda"`` is
        the GPU PyTorch uses by default in this process.
    """
    if device == "cuda":
        import torch

        return f"cuda:{torch.cuda.current_device()}"
    return device


def device_kind(label):
    """``"cuda"`` for a CUDA device label, else ``"cpu"`` (the kind of hardware a timing was measured on)."""
    return "cuda" if str(label).strip().lower().startswith("cuda") else "cpu"


def mixes_cpu_and_gpu(labels):
    """True when ``labels`` (device labels) name both the CPU and a GPU.

    Examples
    --------
    >>> mixes_cpu_and_gpu(["cpu", "cuda:0"]), mixes_cpu_and_gpu(["cuda:0", "cuda:1"])
    (True, False)
    """
    return len({device_kind(label) for label in labels}) > 1
