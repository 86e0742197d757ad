"""The machine's measured float32 peak: a short matmul and convolution probe, cached per machine.

``crbench bench`` compares a detector's achieved GFLOP/s with what this CPU
reaches on the two kernels a U-Net is made of: a square float32 matmul and a
3x3 convolution of a typical U-Net layer (32 -> 32 channels on a 256 x 256
stamp, channels-last as the detectors run it). Each is timed best-of-a-few
at the torch thread count of the calling process (about a second in all, once
per machine); the larger of the two rates is the peak. Both are counted as
direct-convolution FLOPs, the way :mod:`crbench.flops` counts a network, so
a convolution algorithm that needs fewer multiplications (oneDNN may pick
Winograd for 3x3 kernels) shows as a higher rate than the matmul's: the bound
is what this machine's best kernel reaches on a U-Net layer, not the
hardware's nominal FMA rate.

The result is cached as JSON under ``<cache root>/machine_peak/`` keyed by
the machine fingerprint (CPU model, logical and usable CPUs, torch version,
threads, probe version): a different machine, torch or thread count probes
again. A probe measured under heavy load would be cached too low; pass
``refresh=True`` (``crbench bench --refresh-peak``) to measure again.
"""

import datetime
import hashlib
import json
import os
import time

from .atomic import write_json_atomic
from .cache import cache_root
from .environment import cpu_model, thread_counts

__all__ = ["PROBE_VERSION", "machine_fingerprint", "peak_cache_path", "measure_peak", "machine_peak"]

#: bump when the probe's kernels or shapes change, so that old cached peaks are not reused
PROBE_VERSION = 1

_MATMUL_SIDE = 2048
_CONV_SHAPE = (1, 32, 256, 256)  # batch, channels, rows, columns of a UNet-3-32 first-level activation
_MIN_BATCH_SECONDS = 0.05  # a timed batch at least this long, so timer resolution does not matter
_BATCHES = 5  # best of five: on a shared machine a neighbour's burst can halve one batch's rate


def machine_fingerprint(*, threads=None):
    """Return what determines the probe's result: CPU, CPU counts, torch version and threads.

    Parameters
    ----------
    threads : int, optional
        Torch threads; defaults to ``torch.get_num_threads()``.

    Returns
    -------
    dict
    """
    import torch

    counts = thread_counts()
    return {
        "cpu_model": cpu_model(),
        "logical_cpus": counts["logical_cpus"],
        "usable_cpus": counts["usable_cpus"],
        "torch": torch.__version__,
        "threads": int(threads if threads is not None else torch.get_num_threads()),
        "probe_version": PROBE_VERSION,
    }


def peak_cache_path(fingerprint):
    """Return ``<cache root>/machine_peak/<sha256 of the fingerprint, 16 hex>.json``."""
    key = hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()[:16]
    return cache_root() / "machine_peak" / f"{key}.json"


def _best_rate(function, flops_per_call):
    """GFLOP/s of the fastest of :data:`_BATCHES` batches of calls (batch length calibrated once)."""
    function()  # warm-up: allocations, kernel selection
    start = time.perf_counter()
    function()
    single = max(time.perf_counter() - start, 1e-6)
    calls = max(1, int(_MIN_BATCH_SECONDS / single + 0.5))
    best = float("inf")
    for _ in range(_BATCHES):
        start = time.perf_counter()
        for _ in range(calls):
            function()
        best = min(best, (time.perf_counter() - start) / calls)
    return flops_per_call / best / 1e9


def measure_peak():
    """Measure float32 GFLOP/s of a matmul and a 3x3 convolution at the current torch thread count.

    Returns
    -------
    dict
        ``matmul_gflops``, ``conv_gflops``, ``peak_gflops`` (the larger),
        ``matmul_side``, ``conv_shape``, ``threads`` and ``load_average``
        (the 1-minute load average before the probe, or None where the
        platform has none: a high one means the peak is underestimated).
    """
    import torch

    try:
        load_average = os.getloadavg()[0]
    except (AttributeError, OSError):
        load_average = None

    generator = torch.Generator().manual_seed(0)
    side = _MATMUL_SIDE
    left = torch.randn(side, side, generator=generator)
    right = torch.randn(side, side, generator=generator)
    batch, channels, rows, columns = _CONV_SHAPE
    conv = torch.nn.Conv2d(channels, channels, 3, padding=1, bias=False).eval().to(memory_format=torch.channels_last)
    activation = torch.randn(_CONV_SHAPE, generator=generator).contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        matmul_gflops = _best_rate(lambda: torch.mm(left, right), 2.0 * side**3)
        conv_gflops = _best_rate(lambda: conv(activation), 2.0 * batch * rows * columns * channels * channels * 9)
    return {
        "matmul_gflops": matmul_gflops,
        "conv_gflops": conv_gflops,
        "peak_gflops": max(matmul_gflops, conv_gflops),
        "matmul_side": side,
        "conv_shape": list(_CONV_SHAPE),
        "threads": torch.get_num_threads(),
        "load_average": load_average,
    }


def _read_cached(path, fingerprint):
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None  # missing or damaged: measure again
    if not isinstance(cached, dict) or cached.get("fingerprint") != fingerprint:
        return None
    peak = cached.get("peak_gflops")
    if isinstance(peak, bool) or not isinstance(peak, (int, float)) or not peak > 0:
        return None
    return cached


def machine_peak(*, refresh=False):
    """Return this machine's probe result, measuring it once per fingerprint.

    Parameters
    ----------
    refresh : bool
        Measure again and overwrite the cached result.

    Returns
    -------
    dict
        The :func:`measure_peak` fields plus ``fingerprint``, ``date`` and
        ``cached`` (True when read from the cache).
    """
    fingerprint = machine_fingerprint()
    path = peak_cache_path(fingerprint)
    if not refresh:
        cached = _read_cached(path, fingerprint)
        if cached is not None:
            return {**cached, "cached": True}
    result = {
        **measure_peak(),
        "fingerprint": fingerprint,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    write_json_atomic(path, result)
    return {**result, "cached": False}
