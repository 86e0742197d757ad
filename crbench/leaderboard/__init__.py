"""The leaderboard: tables, plots and pages from run records, and the regression check.

- :mod:`~crbench.leaderboard.collect` loads records and groups comparable ones;
- :mod:`~crbench.leaderboard.tables` builds the paper-layout tables and the ranking;
- :mod:`~crbench.leaderboard.published` holds the papers' figures;
- :mod:`~crbench.leaderboard.plots` draws ROC and precision-recall curves;
- :mod:`~crbench.leaderboard.render` writes Markdown, HTML, CSV and LaTeX;
- :mod:`~crbench.leaderboard.regression` compares fresh records with a baseline;
- :mod:`~crbench.leaderboard.frames` returns the tables as DataFrames.

The package is callable: ``crbench.leaderboard(path_or_dir)`` is
:func:`~crbench.leaderboard.frames.leaderboard_frames` (the notebook API).

The package only reads records: running detectors (and the rebuild that regenerates
the committed leaderboard) is :mod:`crbench.jobs`.
"""

import sys
import types

from .collect import Collection, RecordGroup, collect_records, load_results
from .frames import leaderboard_frames
from .render import FORMATS, write_leaderboard

__all__ = ["Collection", "RecordGroup", "collect_records", "load_results", "FORMATS", "write_leaderboard",
           "leaderboard_frames"]


class _CallableModule(types.ModuleType):
    """This package's module type: calling it builds the leaderboard's DataFrames.

    ``crbench.leaderboard`` is both this sub-package and the notebook function
    ``crbench.leaderboard(...)``; Python binds a sub-package to its parent's
    attribute on import, so a plain function of that name would be replaced
    by the module as soon as anything imported the package.
    """

    def __call__(self, path_or_dir=None, **options):
        """See :func:`~crbench.leaderboard.frames.leaderboard_frames`."""
        return leaderboard_frames(*(() if path_or_dir is None else (path_or_dir,)), **options)


sys.modules[__name__].__class__ = _CallableModule
