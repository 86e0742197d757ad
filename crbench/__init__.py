"""crbench: a benchmark harness and leaderboard for cosmic-ray detectors.

The public entry points are the command line (``crbench --help``) and the
sub-packages :mod:`crbench.detectors`, :mod:`crbench.datasets`,
:mod:`crbench.scoring` and :mod:`crbench.leaderboard`.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
