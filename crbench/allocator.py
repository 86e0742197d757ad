"""Keep freed memory in the process while networks run on the CPU (glibc malloc settings).

Why: eager PyTorch allocates every activation afresh and frees it after the
next layer. glibc serves large blocks with ``mmap`` and returns them with
``munmap`` (its threshold adapts, but never above 32 MiB and not for every
size), so each forward pass faults in, and the kernel zeroes, the pages of
large activations again. Measured on a 2048 x 2048 frame at 2 threads
(``benchmarks/bench_allocator.py``, AMD EPYC): ``deepcr`` (384 px stamps)
169,000 minor page faults per megapixel and 21 % of its CPU time in the
kernel, ``att_cosmic_conn`` (256 px) 423,000 and 30 %; with the settings
below none, and the U-Nets ran 1.40-1.64x faster. ONNX Runtime keeps its
own arena and never had the faults.

What: :func:`retain_freed_memory` raises glibc's mmap threshold (large
blocks come from the heap, and freed ones are reused) and its trim threshold
(free memory at the top of the heap is kept, not returned to the system).
The process keeps up to its peak heap instead of shrinking after each
frame. Peak memory grew little at the default stamps (``deepcr`` 540 ->
554 MiB, ``att_cosmic_conn`` 433 -> 421) but by up to 50 % with 1024 px
stamps (heap fragmentation). Only speed changes: the same kernels run on
the same values (the benchmark and the tests compare the score maps' sha256).

The settings are process-wide and cannot be undone (glibc has no getter
for them), so crbench applies them only where it sets up a detector that
needs torch (:func:`crbench.detectors.plugin_checks.set_up_detector`, which
``run``, ``detect``, the API and ``crbench bench`` use), once per process. ``CRBENCH_MALLOC_TUNING=0`` turns them off; on
other C libraries (macOS, musl, Windows) nothing is done.
"""

import ctypes
import os
import platform
import threading

__all__ = ["MMAP_THRESHOLD_BYTES", "TRIM_THRESHOLD_BYTES", "ENV_VARIABLE", "retain_freed_memory", "malloc_tuning"]

#: Blocks up to this size come from the heap. Covers a 64-channel float32 activation of a 1024 px stamp
#: (268 MB); glibc before 2.35 accepts at most 32 MiB, which :func:`retain_freed_memory` falls back to.
MMAP_THRESHOLD_BYTES = 512 * 2**20
#: Free memory at the top of the heap kept up to this size instead of being returned to the system.
TRIM_THRESHOLD_BYTES = 1024 * 2**20
#: Set to ``0`` to leave the C library's settings alone.
ENV_VARIABLE = "CRBENCH_MALLOC_TUNING"

# glibc's mallopt parameter numbers (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_FALLBACK_MMAP_THRESHOLD = 32 * 2**20

_lock = threading.Lock()
_applied = None


def _glibc():
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


def retain_freed_memory():
    """Apply the malloc settings of this module once per process; return what was applied.

    Returns
    -------
    dict or None
        ``{"mmap_threshold": bytes, "trim_threshold": bytes}`` when the
        settings are in force (now or from an earlier call); None when they
        are turned off (``CRBENCH_MALLOC_TUNING=0``), the C library is not
        glibc, or glibc refused them.
    """
    global _applied
    if os.environ.get(ENV_VARIABLE, "1").strip() == "0":
        return None
    with _lock:
        if _applied is not None:
            return _applied or None
        libc = _glibc()
        if libc is None:
            _applied = {}
            return None
        # glibc < 2.35 refuses thresholds above 32 MiB (mallopt returns 0): fall back to its largest
        mmap_threshold = next((value for value in (MMAP_THRESHOLD_BYTES, _FALLBACK_MMAP_THRESHOLD)
                               if libc.mallopt(_M_MMAP_THRESHOLD, value) == 1), None)
        if mmap_threshold is None or libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) != 1:
            _applied = {}
            return None
        _applied = {"mmap_threshold": mmap_threshold, "trim_threshold": TRIM_THRESHOLD_BYTES}
        return _applied


def malloc_tuning():
    """The settings :func:`retain_freed_memory` put in force in this process, or None; applies nothing.

    For reports that must not change the process they describe (``benchmarks/bench_allocator.py``).
    """
    return _applied or None
