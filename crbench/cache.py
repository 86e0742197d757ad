"""On-disk caches: where crbench keeps score maps, data and weights.

The root is ``$CRBENCH_CACHE`` or ``~/.cache/crbench``. Score maps are
cached per (detector name, parameter hash, data set name, version, size,
split, sample id) so that re-scoring a run, or resuming an interrupted one,
never re-runs the detector. Every write is atomic, so an interrupted run
leaves either a complete map or none.
"""

import os
import re
from pathlib import Path

import numpy as np

from .atomic import save_npy_atomic

__all__ = ["cache_root", "ScoreCache"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]")


def cache_root():
    """Return the crbench cache directory (``$CRBENCH_CACHE`` or ``~/.cache/crbench``)."""
    configured = os.environ.get("CRBENCH_CACHE")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "crbench"


def _safe(part):
    # sample ids may contain '#', '/' or spaces (e.g. LCO "file.fits#1")
    return _UNSAFE.sub("_", str(part))


class ScoreCache:
    """Cache of detector outputs for one (detector, data set split).

    Parameters
    ----------
    root : path-like
        Cache root; the maps go below ``root / "scores"``.
    detector_name, params_hash : str
        Detector identity.
    dataset_name, dataset_version, dataset_size, split : str
        Data set identity.

    Notes
    -----
    Score maps are stored as float32 ``.npy``; mask sweeps as bit-packed
    uint8 ``.npy`` of shape (n_values, ceil(ny * nx / 8)). The image shape is
    supplied at read time and checked, so a stale entry is detected.
    """

    def __init__(self, root, *, detector_name, params_hash, dataset_name, dataset_version, dataset_size, split):
        self.directory = (
            Path(root)
            / "scores"
            / _safe(detector_name)
            / _safe(params_hash)
            / _safe(dataset_name)
            / _safe(f"v{dataset_version}")
            / _safe(dataset_size)
            / _safe(split)
        )

    def path(self, sample_id):
        """Return the cache file path of ``sample_id``."""
        return self.directory / f"{_safe(sample_id)}.npy"

    def has(self, sample_id):
        """Return True when a complete map of ``sample_id`` is cached."""
        return self.path(sample_id).is_file()

    def save(self, sample_id, prediction):
        """Store a float32 score map, or a bool mask stack (bit-packed)."""
        prediction = np.asarray(prediction)
        if prediction.dtype == bool:
            flat = prediction.reshape(prediction.shape[0], -1) if prediction.ndim == 3 else prediction.reshape(1, -1)
            save_npy_atomic(self.path(sample_id), np.packbits(flat, axis=1))
        else:
            save_npy_atomic(self.path(sample_id), prediction.astype(np.float32, copy=False))

    def load(self, sample_id, *, shape, kind):
        """Load a cached map.

        Parameters
        ----------
        sample_id : str
        shape : tuple of int
            Image shape (ny, nx).
        kind : {"score", "mask"}
            ``"score"`` returns float32 (ny, nx); ``"mask"`` returns bool
            (n_values, ny, nx).

        Raises
        ------
        ValueError
            When the cached file does not match ``shape`` (stale cache); the
            caller then recomputes.
        """
        array = np.load(self.path(sample_id), allow_pickle=False)
        n_pixels = int(np.prod(shape))
        if kind == "score":
            if array.shape != tuple(shape) or array.dtype != np.float32:
                raise ValueError(f"cached map {self.path(sample_id)} has shape {array.shape}, expected {shape}")
            return array
        if array.ndim != 2 or array.shape[1] != -(-n_pixels // 8):
            raise ValueError(f"cached masks {self.path(sample_id)} do not fit shape {shape}")
        masks = np.unpackbits(array, axis=1, count=n_pixels).astype(bool)
        return masks.reshape((array.shape[0],) + tuple(shape))

    def discard(self, sample_id):
        """Remove a cached map (e.g. a stale one)."""
        self.path(sample_id).unlink(missing_ok=True)
