"""The leaderboard: tables, plots and pages from run records, and the regression check.

- :mod:`~crbench.leaderboard.collect` loads records and groups comparable ones;
- :mod:`~crbench.leaderboard.tables` builds the paper-layout tables and the ranking;
- :mod:`~crbench.leaderboard.published` holds the papers' figures;
- :mod:`~crbench.leaderboard.plots` draws ROC and precision-recall curves;
- :mod:`~crbench.leaderboard.render` writes Markdown, HTML, CSV and LaTeX;
- :mod:`~crbench.leaderboard.regression` compares fresh records with a baseline;

The package only reads records: running detectors (and the rebuild that regenerates
the committed leaderboard) is :mod:`crbench.jobs`.
"""

from .collect import Collection, RecordGroup, collect_records, load_results
from .render import FORMATS, write_leaderboard

__all__ = ["Collection", "RecordGroup", "collect_records", "load_results", "FORMATS", "write_leaderboard"]
