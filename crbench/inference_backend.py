"""Which engine runs crbench's torch networks: eager PyTorch (the reference) or ONNX Runtime.

Eager PyTorch is the default and the reference path: every leaderboard record
is made with it. ``onnxruntime`` is an optional, faster engine for the same
network (``pip install "crbench[onnx]"``; measured in ``docs/decam_unets.md``):
the model is exported once with PyTorch's ``torch.export``-based ONNX exporter
and run by ONNX Runtime's CPU provider.

Agreement with eager PyTorch is checked, not assumed: every time a network is
loaded into ONNX Runtime, both engines run the same seeded check stamp
(:func:`check_stamp_image`: noise, a star and cosmic rays) and a
difference above :data:`MAX_ABS_DIFFERENCE` (1e-5 in probability) is an
error (:class:`~crbench.errors.DetectorFailedError`); ``tests/`` checks whole
frames of every U-Net to the same tolerance.

The engine is an execution choice like the device: it is chosen per process
(:func:`set_backend`, which sets ``$CRBENCH_TORCH_BACKEND`` so that the
worker processes and local Dask workers of a run inherit it) and is not a
detector parameter, so a record's ``params_hash`` does not depend on it. Its
maps differ from eager ones in the last float32 bits, so the score cache keys
them apart (a detector's ``identity_hash`` includes a non-default engine), and
records made with it say so in ``detector.inference_backend``.

Exported models are cached under ``<cache root>/onnx/`` (one file per network,
weights, torch and exporter version), written atomically and loaded from
bytes (an ONNX file is data: loading it runs no Python, and a model held in
memory cannot point ONNX Runtime at external files). A cached file that does
not load or does not agree with eager PyTorch is exported again.
"""

import contextlib
import copy
import hashlib
import importlib.metadata
import importlib.util
import inspect
import io
import logging
import os
import warnings
from pathlib import Path

import numpy as np

from .atomic import atomic_path
from .cache import cache_root
from .errors import DetectorFailedError, InputError, MissingDependencyError
from .hashing import file_sha256

__all__ = ["BACKENDS", "BACKEND_ENV", "MAX_ABS_DIFFERENCE", "selected_backend", "set_backend", "backend_info",
           "check_stamp_image", "missing_onnx_packages", "OnnxRuntimeNetwork"]

BACKENDS = ("torch", "onnxruntime")
"""Engines a torch network can run on; the first is the default and the reference."""
BACKEND_ENV = "CRBENCH_TORCH_BACKEND"
"""Environment variable holding the selected engine (inherited by worker processes)."""
MAX_ABS_DIFFERENCE = 1e-5
"""Largest per-pixel difference from eager PyTorch accepted for an exported network."""

# bump when the export settings change, so that cached files of older settings are not reused
_EXPORT_VERSION = 1
_INSTALL_HINT = 'pip install "crbench[onnx]"  (onnxruntime, onnx and onnxscript)'


def _check_name(name):
    name = str(name).strip().lower()
    if name not in BACKENDS:
        raise InputError(f"unknown inference backend {name!r}; choose one of {', '.join(BACKENDS)}")
    return name


def selected_backend():
    """Return the engine selected for this process (``$CRBENCH_TORCH_BACKEND``, default ``"torch"``).

    Raises
    ------
    InputError
        When the variable names an engine crbench does not know.
    """
    return _check_name(os.environ.get(BACKEND_ENV) or BACKENDS[0])


def set_backend(name):
    """Select the engine for this process and the worker processes it starts.

    Parameters
    ----------
    name : {"torch", "onnxruntime"}

    Returns
    -------
    str
        The normalised name.

    Raises
    ------
    InputError
        For an unknown name.
    MissingDependencyError
        For ``"onnxruntime"`` when its packages are not installed (checked
        here, so that a run fails before it starts rather than in every worker).
    """
    name = _check_name(name)
    if name == "onnxruntime":
        _require_onnx_packages()
    os.environ[BACKEND_ENV] = name
    return name


def backend_info(name):
    """Return ``{"name", "version"}`` of an engine, for records."""
    distribution = "torch" if name == "torch" else "onnxruntime"
    try:
        version = importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        version = None
    return {"name": name, "version": version}


def missing_onnx_packages():
    """Return the packages the onnxruntime engine needs that are not installed (empty when it can run)."""
    return [package for package in ("onnxruntime", "onnx", "onnxscript") if importlib.util.find_spec(package) is None]


def _require_onnx_packages():
    missing = missing_onnx_packages()
    if missing:
        raise MissingDependencyError(f"the onnxruntime backend needs {', '.join(missing)}: {_INSTALL_HINT}")


def _export_key(key):
    versions = [importlib.metadata.version(package) for package in ("torch", "onnx", "onnxscript")]
    text = "\n".join([str(_EXPORT_VERSION), key, *versions])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def check_stamp_image(side):
    """The seeded stamp both engines run at load time: sky noise, a bright star and cosmic-ray hits (ADU).

    Bright features matter: a GroupNorm layer's float32 statistics round
    differently in the two engines, and a difference shows where the
    network's output is steep (near 0.5), i.e. on and around the sources.

    Parameters
    ----------
    side : int
        Stamp side in pixels.

    Returns
    -------
    ndarray of float32, shape (side, side)
    """
    rng = np.random.default_rng(0)
    stamp = rng.normal(0.0, 8.0, (side, side))
    yy, xx = np.mgrid[0:side, 0:side]
    stamp += 2e4 / (2 * np.pi * 2.0**2) * np.exp(-((yy - side / 3) ** 2 + (xx - side / 3) ** 2) / (2 * 2.0**2))
    stamp[side // 2, side // 4 : side // 4 + 3] += 2000.0
    stamp[2 * side // 3 : 2 * side // 3 + 5, 3 * side // 4] += 800.0
    return stamp.astype(np.float32)


def _export(model, *, multiple):
    """Export ``model`` (eval mode, CPU, float32) with dynamic batch and side lengths; return the ONNX bytes."""
    import torch

    # a copy: the caller's model keeps its (channels-last) memory format
    model = copy.deepcopy(model).to(memory_format=torch.contiguous_format)
    # sides are multiples of ``multiple`` (the network's pooling grid), as the tiler pads them
    batch = torch.export.Dim("batch", min=1, max=1024)
    rows, columns = torch.export.Dim("rows", min=1, max=8192), torch.export.Dim("columns", min=1, max=8192)
    example = torch.zeros((1, 1, 4 * multiple, 4 * multiple))
    # the exporter reports progress on stdout and warns about its own internals; neither is ours to show
    registration_log = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = registration_log.level
    try:
        registration_log.setLevel(logging.ERROR)  # "torchvision is not installed": no torchvision op is used
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            program = torch.onnx.export(
                model, (example,), dynamo=True, input_names=["stamps"], output_names=["scores"],
                dynamic_shapes=({0: batch, 2: multiple * rows, 3: multiple * columns},), optimize=True, verbose=False,
            )
    finally:
        registration_log.setLevel(level)
    return program.model_proto.SerializeToString()


class OnnxRuntimeNetwork:
    """A torch network exported to ONNX and run by ONNX Runtime on the CPU.

    Parameters
    ----------
    model : torch.nn.Module
        In eval mode, on the CPU, taking one ``(n, 1, rows, columns)``
        float32 tensor of stamps.
    key : str
        Names the network and its weights (e.g. the detector's identity hash
        and the weights' sha256); with the torch and exporter versions it
        names the cached export.
    multiple : int
        Stamp sides are multiples of this (the network's pooling factor).
    reference : callable
        The eager PyTorch path the export must agree with: maps stamps
        ``(n, 1, rows, columns)`` to outputs of the same shape, exactly as
        the detector runs the network (memory format included).
    check_side : int
        Side of the check stamp (:func:`check_stamp_image`): the stamp side
        the detector runs (a GroupNorm layer's rounding depends on it; at
        256 px the DECam GroupNorm U-Nets differ by up to 3.6e-5 and fail).
    threads : int, optional
        ONNX Runtime intra-op threads; defaults to ``torch.get_num_threads()``
        so that both engines use the same threads.
    cache_dir : path-like, optional
        Where exported files are kept; defaults to ``<cache root>/onnx``.

    Raises
    ------
    MissingDependencyError
        When onnxruntime, onnx or onnxscript is not installed.
    DetectorFailedError
        When the exported network differs from eager PyTorch by more than
        :data:`MAX_ABS_DIFFERENCE` on the check stamp.
    """

    def __init__(self, model, *, key, multiple, reference, check_side=256, threads=None, cache_dir=None):
        _require_onnx_packages()
        import onnxruntime
        import torch

        self.threads = int(threads or torch.get_num_threads())
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._options = options
        # the model's own source is part of the key: an edited architecture never reuses an old export
        source = inspect.getsourcefile(type(model))
        code = file_sha256(source) if source else type(model).__qualname__
        self.path = Path(cache_dir or cache_root() / "onnx") / f"{_export_key(f'{key}:{code}')}.onnx"
        check_stamp = check_stamp_image(check_side)[None, None]
        expected = np.asarray(reference(check_stamp), dtype=np.float32)
        self._session = None
        if self.path.is_file():
            with contextlib.suppress(Exception):
                # a damaged or foreign file, or one that no longer agrees, is exported again below, not trusted
                self._session = self._open(self.path.read_bytes())
                if self._difference(check_stamp, expected) > MAX_ABS_DIFFERENCE:
                    self._session = None
        if self._session is None:
            data = _export(model, multiple=multiple)
            self._session = self._open(data)
            # kept even when the check below fails: the export is sound, only its float rounding differs
            with atomic_path(self.path) as temporary:
                temporary.write_bytes(data)
        self.max_abs_difference = self._difference(check_stamp, expected)
        if not self.max_abs_difference <= MAX_ABS_DIFFERENCE:
            raise DetectorFailedError(
                f"under ONNX Runtime this network differs from eager PyTorch by {self.max_abs_difference:.2g} "
                f"(> {MAX_ABS_DIFFERENCE:g}) on the check stamp; use the torch backend"
            )

    def _difference(self, check_stamp, expected):
        return float(np.max(np.abs(self(check_stamp) - expected)))

    def _open(self, data):
        import onnxruntime

        return onnxruntime.InferenceSession(data, self._options, providers=["CPUExecutionProvider"])

    def __call__(self, stamps):
        """Return the network's output for float32 stamps of shape ``(n, 1, rows, columns)``."""
        return self._session.run(None, {"stamps": np.ascontiguousarray(stamps, dtype=np.float32)})[0]
