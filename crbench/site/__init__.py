"""The leaderboard as a static website: sortable tables, per-detector pages, plots, galleries.

``crbench leaderboard site --results DIR --output SITE`` writes it (and
``crbench leaderboard rebuild`` writes ``<out-dir>/site/``). The pages open
from ``file://`` with no network: the style sheet and the table script are
in ``assets/`` (written here, no framework), plots are PNG files in
``img/``, every table is also a CSV and a JSON file in ``data/``.

- :mod:`~crbench.site.sections`: what each part shows (tables, rankings);
- :mod:`~crbench.site.pages`: the pages as HTML;
- :mod:`~crbench.site.tables_html`: sortable tables and their downloads;
- :mod:`~crbench.site.runtime`: run-time tables per machine fingerprint;
- :mod:`~crbench.site.cost_plot`, :mod:`~crbench.site.curves`: plots;
- :mod:`~crbench.site.gallery`: failure-gallery cutouts;
- :mod:`~crbench.site.build`: writes the folder.
"""

from .build import write_site

__all__ = ["write_site"]
