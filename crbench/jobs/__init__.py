"""The job layer: build a detector and a data set, run a job, write its record.

Every command that runs detectors goes through here (``crbench run``,
``crbench bench``, ``crbench check --rerun``, ``crbench leaderboard
rebuild``); the leaderboard package only reads the records it writes.

- :mod:`~crbench.jobs.build` turns names and parameters into objects;
- :mod:`~crbench.jobs.run` runs one :class:`Job` or many in worker processes;
- :mod:`~crbench.jobs.timing` times detectors in isolated processes;
- :mod:`~crbench.jobs.plan` lists the leaderboard's jobs and estimates their cost;
- :mod:`~crbench.jobs.rebuild` regenerates the committed leaderboard.
"""

from .build import build_dataset, build_detector
from .plan import COST_HINT, LEADERBOARD_PARAMS, TEST_DOUBLES, estimate_seconds, plan_rebuild
from .rebuild import RebuildReport, rebuild
from .run import Job, JobOutput, run_job, run_jobs
from .timing import BenchTimeoutError, bench_job, bench_jobs

__all__ = [
    "BenchTimeoutError",
    "COST_HINT",
    "Job",
    "JobOutput",
    "LEADERBOARD_PARAMS",
    "RebuildReport",
    "TEST_DOUBLES",
    "bench_job",
    "bench_jobs",
    "build_dataset",
    "build_detector",
    "estimate_seconds",
    "plan_rebuild",
    "rebuild",
    "run_job",
    "run_jobs",
]
