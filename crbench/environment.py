"""Facts about the machine and software a result was produced with.

Run and bench records embed :func:`environment_info` so that a number can
always be traced to the CPU/GPU, thread count, package versions and crbench
commit that produced it. Nothing here imports torch or TensorFlow unless the
caller already did (GPU names are read only from an imported torch).
"""

import functools
import importlib.metadata
import os
import platform
import resource
import subprocess
import sys
from pathlib import Path

__all__ = [
    "environment_info",
    "cpu_model",
    "package_versions",
    "git_commit",
    "thread_counts",
    "peak_rss_bytes",
    "current_rss_bytes",
    "TRACKED_PACKAGES",
    "THREAD_VARIABLES",
]

# distributions whose versions change detector outputs or timings
TRACKED_PACKAGES = (
    "crbench",
    "numpy",
    "scipy",
    "astropy",
    "torch",
    "astroscrappy",
    "lacosmic",
    "cosmic-conn",
    "deepCR",
    "MaxiMask",
    "tensorflow",
    "onnxruntime",
)

#: environment variables that BLAS, OpenMP, numexpr, TensorFlow and torch read for their thread count at import
THREAD_VARIABLES = (
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
)


@functools.lru_cache(maxsize=1)
def cpu_model():
    """Return the CPU brand string (py-cpuinfo, falling back to the platform)."""
    try:
        import cpuinfo

        brand = cpuinfo.get_cpu_info().get("brand_raw")
    except Exception:  # py-cpuinfo probes the CPU; any failure only loses a label
        brand = None
    return brand or platform.processor() or platform.machine() or "unknown CPU"


def package_versions(names=TRACKED_PACKAGES):
    """Return ``{distribution: version or None}`` without importing the packages."""
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_commit(path=None):
    """Return ``{"commit", "dirty"}`` of the git checkout holding ``path``, or None.

    Parameters
    ----------
    path : path-like, optional
        A file or directory inside the checkout; defaults to the crbench
        package directory (None when crbench is installed, not checked out).
    """
    directory = Path(path) if path is not None else Path(__file__).resolve().parent
    if directory.is_file():
        directory = directory.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=directory, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": bool(status.strip())}


def thread_counts():
    """Return thread settings: logical CPUs, affinity, torch threads and env variables."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count()
    info = {
        "logical_cpus": os.cpu_count(),
        "usable_cpus": usable,
        "torch_threads": None,
        "env": {name: os.environ[name] for name in THREAD_VARIABLES if name in os.environ},
    }
    torch = sys.modules.get("torch")
    if torch is not None:
        info["torch_threads"] = torch.get_num_threads()
    return info


def _gpu_info():
    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_available():
        return []
    return [
        {"index": index, "name": torch.cuda.get_device_name(index), "cuda": torch.version.cuda}
        for index in range(torch.cuda.device_count())
    ]


def peak_rss_bytes(*, include_children=False):
    """Return the peak resident set size of this process so far, in bytes.

    Parameters
    ----------
    include_children : bool
        Also consider terminated, waited-for child processes (the worker
        processes of ``crbench run --jobs N``): the result is then the
        largest peak of any one process, not a sum.
    """
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if include_children:
        usage = max(usage, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    # Linux reports kilobytes, macOS bytes
    peak = int(usage if sys.platform == "darwin" else usage * 1024)
    # Linux updates its high-water mark lazily (when memory is released), so
    # the current RSS can be above it for a while
    try:
        return max(peak, current_rss_bytes())
    except ImportError:
        return peak


def current_rss_bytes():
    """Return the current resident set size of this process, in bytes."""
    import psutil

    return int(psutil.Process().memory_info().rss)


def environment_info():
    """Return a JSON-ready description of the machine and software.

    Returns
    -------
    dict
        ``python``, ``platform``, ``cpu_model``, ``total_memory_bytes``,
        ``threads`` (see :func:`thread_counts`), ``gpus`` (names of CUDA
        devices seen by an already-imported torch), ``packages``
        (distribution versions) and ``git`` (commit and dirty flag, or None).
    """
    try:
        import psutil

        total_memory = int(psutil.virtual_memory().total)
    except ImportError:
        total_memory = None
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_model": cpu_model(),
        "total_memory_bytes": total_memory,
        "threads": thread_counts(),
        "gpus": _gpu_info(),
        "packages": package_versions(),
        "git": git_commit(),
    }
