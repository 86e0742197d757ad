"""The leaderboard's tables as pandas DataFrames, for notebooks (``crbench.leaderboard(...)``).

The frames are the ones the Markdown page renders (:func:`~crbench.leaderboard.tables.build_leaderboard`),
cell for cell, in page order: the same display strings (percentages, intervals,
marks), never recomputed.
"""

from ..records import RunRecord
from .collect import collect_records, load_results
from .objects_table import object_scores_table
from .sensitivity import sensitivity_table
from .tables import RANK_METRIC, SECTION_ORDER, build_leaderboard

__all__ = ["DEFAULT_RECORDS", "leaderboard_tables", "leaderboard_frames"]

#: Where the committed leaderboard's run records live (relative to the repository root).
DEFAULT_RECORDS = "leaderboard/records"


def leaderboard_tables(collection, *, rank_metric=RANK_METRIC):
    """Every table of the page for ``collection`` as ``{title: Table}``, in the order the Markdown page shows them."""
    board = build_leaderboard(collection, rank_metric=rank_metric)
    tables = [board.ranking, board.real_ranking]
    for kind in SECTION_ORDER:
        for section in board.sections:
            if section.group.kind == kind:
                tables += [section.table1, section.table2]
        if kind == "real":
            tables.append(object_scores_table(collection, real=True))
    tables += [object_scores_table(collection), sensitivity_table(collection), *board.runtime]
    named = {}
    for table in tables:
        if table is None:
            continue
        title, copy = table.title, 2
        while title in named:  # titles are unique on the page; keep every table if two ever collide
            title, copy = f"{table.title} ({copy})", copy + 1
        named[title] = table
    return named


def leaderboard_frames(path_or_dir=DEFAULT_RECORDS, *, rank_metric=RANK_METRIC, notes=False):
    """Build the leaderboard from run records and return its tables as DataFrames.

    Parameters
    ----------
    path_or_dir : path-like or sequence of RunRecord
        A directory of run and bench records (searched recursively, as
        ``crbench leaderboard --results DIR``), or run records already loaded.
    rank_metric : str
        Metric of the summary ranking (default TPR at 0.01 % FPR).
    notes : bool
        Also return each table's notes (the text printed under it on the page).

    Returns
    -------
    dict of str to pandas.DataFrame
        Table title -> the table's display frame, in page order (summary
        ranking, real-data ranking, per data set the Table 1 and Table 2
        layouts, object scores, protocol sensitivity, run time). With
        ``notes=True``, ``(frames, {title: list of str})``.

    Raises
    ------
    InputError
        When the directory does not exist or holds no records.

    Examples
    --------
    >>> import crbench
    >>> tables = crbench.leaderboard("leaderboard/records")  # doctest: +SKIP
    >>> list(tables)[0]  # doctest: +SKIP
    'Summary ranking by TPR at 0.01 % FPR'
    """
    if isinstance(path_or_dir, (list, tuple)) and all(isinstance(item, RunRecord) for item in path_or_dir):
        collection = collect_records(list(path_or_dir))
    else:
        collection = load_results(path_or_dir)
    tables = leaderboard_tables(collection, rank_metric=rank_metric)
    frames = {title: table.frame for title, table in tables.items()}
    if notes:
        return frames, {title: list(table.notes) for title, table in tables.items()}
    return frames
