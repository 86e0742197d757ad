"""Write the leaderboard site: pages, assets, plots and the downloads of every table.

The site is built in a staging folder beside ``output`` and swapped in at
the end, so that an interrupted build leaves the previous site whole. A
folder that exists and was not written by this function is never replaced.
"""

import shutil
import tempfile
from importlib import resources
from pathlib import Path

from ..errors import InputError
from ..leaderboard.tables import RANK_METRIC
from .pages import SiteBuilder
from .tables_html import DATA_DIRNAME, table_csv, table_json

__all__ = ["MARKER", "ASSETS", "write_site"]

#: File that marks a folder as a crbench site (a rebuild may replace it).
MARKER = ".crbench-site"
#: Files of ``crbench/site/assets`` copied into every site.
ASSETS = ("site.css", "site.js")


def _check_replaceable(output):
    if output.exists() and not output.is_dir():
        raise InputError(f"{output} is a file; --output must name a folder for the site")
    if output.is_dir() and any(output.iterdir()) and not (output / MARKER).is_file():
        raise InputError(f"{output} exists and is not a crbench site (no {MARKER} in it): choose an empty or new "
                         "folder, so that nothing else is replaced")


def write_site(collection, output, *, galleries=None, rank_metric=RANK_METRIC):
    """Write the static site of ``collection`` to the folder ``output``; return the paths written.

    Parameters
    ----------
    collection : crbench.leaderboard.collect.Collection
    output : path-like
        Folder of the site (replaced whole when it holds an earlier site).
    galleries : dict, optional
        Failure galleries (:func:`crbench.jobs.site_gallery.failure_galleries`);
        without them each detector page says how to generate them.
    rank_metric : str

    Returns
    -------
    list of pathlib.Path
        Pages first (``index.html`` leading), then assets, plots and downloads.

    Raises
    ------
    InputError
        When ``output`` exists, is not empty and is not a crbench site.
    """
    output = Path(output)
    _check_replaceable(output)
    builder = SiteBuilder(collection, metric=rank_metric, galleries=galleries).build()
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.new.", dir=output.parent))
    try:
        written = []
        for name in sorted(builder.pages, key=lambda name: (name != "index.html", name)):
            (staging / name).write_text(builder.pages[name], encoding="utf-8")
            written.append(name)
        (staging / "assets").mkdir()
        for name in ASSETS:
            text = resources.files("crbench.site").joinpath("assets").joinpath(name).read_text(encoding="utf-8")
            (staging / "assets" / name).write_text(text, encoding="utf-8")
            written.append(f"assets/{name}")
        (staging / "img").mkdir()
        for path, png in sorted(builder.images.items()):
            (staging / path).write_bytes(png)
            written.append(path)
        (staging / DATA_DIRNAME).mkdir()
        for table_id, table in sorted(builder.tables.items()):
            (staging / DATA_DIRNAME / f"{table_id}.csv").write_text(table_csv(table), encoding="utf-8")
            (staging / DATA_DIRNAME / f"{table_id}.json").write_text(table_json(table), encoding="utf-8")
            written += [f"{DATA_DIRNAME}/{table_id}.csv", f"{DATA_DIRNAME}/{table_id}.json"]
        (staging / MARKER).write_text("written by crbench leaderboard site; the whole folder is regenerated\n",
                                      encoding="utf-8")
        old = output.parent / f".{output.name}.old"
        shutil.rmtree(old, ignore_errors=True)
        if output.exists():
            output.rename(old)
        staging.rename(output)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [output / name for name in written]
