"""The notebook API behind :func:`crbench.run`, :func:`crbench.load_records` and :func:`crbench.leaderboard`.

- :mod:`.run`: run one detector on one data set split (built on :func:`crbench.jobs.run_job`);
- :mod:`.frames`: run records as pandas rows (one flat row per record).

It sits beside the command line: both call :mod:`crbench.jobs` and read
:mod:`crbench.records`; nothing here is imported by ``import crbench``.
"""

__all__ = []
