"""Where real data sets live on disk.

Resolution order for a data set's folder:

1. the ``data_dir`` passed to the data set (``--data-dir PATH``);
2. ``$CRBENCH_DATA/<subdir>`` when ``CRBENCH_DATA`` is set;
3. ``$CRBENCH_CACHE/data/<subdir>`` (``CRBENCH_CACHE`` defaults to
   ``~/.cache/crbench``).

Downloads are cached in ``$CRBENCH_CACHE/downloads/<subdir>`` until they are
verified and extracted.
"""

import os
from pathlib import Path

from ..cache import cache_root

__all__ = ["data_root", "dataset_dir", "download_dir"]


def data_root():
    """Return ``$CRBENCH_DATA`` or ``<cache>/data``."""
    explicit = os.environ.get("CRBENCH_DATA")
    return Path(explicit).expanduser() if explicit else cache_root() / "data"


def dataset_dir(subdir, data_dir=None):
    """Return the folder of one data set (``data_dir`` wins over the environment)."""
    return Path(data_dir).expanduser() if data_dir is not None else data_root() / subdir


def download_dir(subdir):
    """Return the download cache folder of one data set."""
    return cache_root() / "downloads" / subdir
