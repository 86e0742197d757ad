"""crbench: a benchmark harness and leaderboard for cosmic-ray detectors.

The public entry points are the command line (``crbench --help`` or
``python -m crbench``), the notebook functions below, and the sub-packages
:mod:`crbench.detectors`, :mod:`crbench.datasets`, :mod:`crbench.scoring` and
:mod:`crbench.leaderboard`.

Notebook API (docs/python_api.md):

- :func:`run`: score one detector on one data set split; returns a
  :class:`~crbench.api.run.RunResult` (``.metrics``, ``.record``, ``.to_frame()``);
- :func:`load_records`: run records from files as a pandas DataFrame, one row per record;
- :func:`leaderboard`: the leaderboard's tables as DataFrames;
- :func:`detect`: cosmic rays in one's own image (array or ``CCDData``), with
  any registered detector (docs/detect.md).

They are imported on first use, so ``import crbench`` stays fast (no numpy,
pandas or torch until a function is called).
"""

import importlib

__version__ = "0.1.0"

# public name -> "module:attribute", imported on first access (PEP 562); a new
# public function is one more line here
_LAZY = {
    "run": "crbench.api.run:run",
    "RunResult": "crbench.api.run:RunResult",
    "load_records": "crbench.api.frames:load_records",
    # the leaderboard sub-package itself: calling it builds the tables (crbench.leaderboard.frames)
    "leaderboard": "crbench.leaderboard",
    # the function, not the module crbench.detection (a submodule import would otherwise shadow it)
    "detect": "crbench.detection:detect",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name):
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'crbench' has no attribute {name!r}")
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    value = getattr(module, attribute) if attribute else module
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__():
    return sorted(__all__)
