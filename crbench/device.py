"""Device selection for torch-based detectors."""

__all__ = ["resolve_device"]


def resolve_device(device):
    """Resolve ``"auto"`` to ``"cuda"`` when available, else ``"cpu"``."""
    if device not in ("cpu", "cuda", "auto"):
        raise ValueError(f"unknown device {device!r}; use cpu, cuda or auto")
    if device == "cpu":
        return "cpu"
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if device == "cuda":
        raise RuntimeError("--device cuda was requested but torch sees no CUDA device; use --device cpu")
    return "cpu"
