"""Plan the leaderboard's runs: which jobs, with which parameters, and how long they take."""

import numpy as np

from ..datasets import DATASETS
from ..detectors import DETECTORS
from .build import build_dataset, build_detector
from .run import Job

__all__ = [
    "TEST_DOUBLES",
    "COARSE_SWEEPS",
    "SWEEP_FLOOR",
    "refine_sweep",
    "LEADERBOARD_PARAMS",
    "COST_HINT",
    "plan_rebuild",
    "estimate_seconds",
    "job_seconds",
    "slowest_first",
]

# harness test doubles are not detectors anyone should rank
TEST_DOUBLES = frozenset({"oracle", "constant", "random"})
#: The first leaderboard's grids: log-spaced over [1, 20] like the papers' sweep,
#: 8 values (LACosmic) and 10 (Astro-SCRAPPY).
COARSE_SWEEPS = {
    "lacosmic": (1.0, 1.53, 2.34, 3.57, 5.46, 8.35, 12.8, 20.0),
    "astroscrappy": (1.0, 1.39, 1.95, 2.71, 3.79, 5.28, 7.37, 10.3, 14.3, 20.0),
}
#: Lowest swept value the leaderboard runs. On every committed run record
#: (2026-11-22, re-run 2026-11-29) the values below it flag 8-97 % of the
#: negatives (FPR 0.08-0.97) and decide none of TPR at FPR 1e-4 / 1e-3, purity
#: at 95 % TPR or the operating-point metrics; the values from 3.57 (LACosmic)
#: and 3.79 (Astro-SCRAPPY) up stay below FPR 1e-2 and reach TPR >= 0.97. They
#: are also LACosmic's dear ones: lacosmic.remove_cosmics cleans every flagged
#: pixel in a Python loop, 30 CPU s/MP at cr_threshold 1.0, 18 at 1.53, 7 at
#: 2.34 against 2.1-2.9 at 5.46-20 (docs/leaderboard.md, "Sweep grids").
SWEEP_FLOOR = 3.5


def refine_sweep(values, *, lowest):
    """Return ``values`` from ``lowest`` up with the geometric midpoint of each neighbouring pair added.

    Parameters
    ----------
    values : sequence of float
        A sweep grid (any order).
    lowest : float
        Values below it are dropped.

    Returns
    -------
    list of float
        Sorted; every kept value of ``values`` unchanged (so that its counts
        stay comparable with records of the coarse grid) and one new value,
        rounded to 3 significant digits, between each pair of neighbours.
    """
    kept = sorted(float(value) for value in values if value >= lowest)
    midpoints = [float(f"{np.sqrt(low * high):.3g}") for low, high in zip(kept[:-1], kept[1:])]
    return sorted(kept + midpoints)


# Leaderboard-specific parameters: the coarse grids from SWEEP_FLOOR up, with the
# resolution doubled where the headline metrics are read (FPR 1e-4..1e-2, TPR
# 0.4..0.99); 9 LACosmic and 11 Astro-SCRAPPY values plus the operating point,
# which the adapters always add. Records carry the grid in their parameters.
#
# On top of the grid, leaderboard runs are adaptive (``sweep_refinement``, crbench.adaptive_sweep): values are
# added by log-space bisection (and widening beyond the grid) until FPR 1e-4 and 1e-3 are bracketed within 2 %
# of the swept value or 0.002 of TPR, at most 12 more values; only those values are detected.
LEADERBOARD_PARAMS = {name: {"sweep": refine_sweep(grid, lowest=SWEEP_FLOOR), "sweep_refinement": True}
                      for name, grid in COARSE_SWEEPS.items()}
# CPU seconds per megapixel per sweep point on the 2-core reference machine
# (mask detectors: the mean over the leaderboard grid, measured with
# benchmarks/bench_sweep_points.py: LACosmic 2.9-3.0, Astro-SCRAPPY 0.75); used by
# estimate_seconds and to start the slowest jobs first so that the pool drains evenly
COST_HINT = {"maximask": 10.0, "lacosmic": 3.0, "astroscrappy": 0.8}
_DEFAULT_COST = 3.0


def slowest_first(detector_name):
    """Sort key that starts the most expensive detectors first, so that a worker pool drains evenly.

    The cost is per megapixel of a leaderboard run: :data:`COST_HINT` times
    the number of upstream calls per image (a mask detector's leaderboard
    sweep plus its operating value).
    """
    sweep = LEADERBOARD_PARAMS.get(detector_name, {}).get("sweep")
    n_calls = len(sweep) + 1 if sweep else 1
    return -COST_HINT.get(detector_name, _DEFAULT_COST) * n_calls, detector_name


def plan_rebuild(*, detectors=None, datasets=None, size="small", split="test"):
    """List the jobs of a rebuild and the detectors or data sets that cannot run.

    Parameters
    ----------
    detectors, datasets : list of str, optional
        Registry names; default every registered detector except the test
        doubles, and every data set whose name starts with ``sim_`` or whose
        card is of kind ``"real"`` (``decam_stack``, ``decam_inject``).
    size, split : str
        ``size`` applies to data sets that have it; a data set with one size
        (the real ones) runs at its own.

    Returns
    -------
    jobs : list of Job
        Slowest detectors first.
    skipped : list of str
        One line per detector that is not available, with the fix.
    """
    detector_names = list(detectors) if detectors else [n for n in DETECTORS.names() if n not in TEST_DOUBLES]
    dataset_names = list(datasets) if datasets else [n for n in DATASETS.names() if n.startswith("sim_") or _is_real(n)]
    skipped, runnable = [], []
    for name in detector_names:
        try:
            detector_cls = DETECTORS.get(name)
            missing = detector_cls.missing_requirements()
        except ImportError as error:
            skipped.append(f"{name}: cannot import ({error})")
            continue
        if missing:
            skipped.append(f"{name}: missing {', '.join(missing)} ({detector_cls.install_hint or 'pip install ' + ' '.join(missing)})")
            continue
        runnable.append(name)
    runnable.sort(key=slowest_first)
    jobs = [
        Job(detector, dataset, _size_of(dataset, size), split, params=LEADERBOARD_PARAMS.get(detector))
        for detector in runnable
        for dataset in dataset_names
    ]
    return jobs, skipped


def _is_real(name):
    return DATASETS.get(name).card.kind == "real"


def _size_of(name, size):
    """``size`` when the data set has it, else its only size (real data sets have no "small")."""
    sizes = getattr(DATASETS.get(name.partition("@")[0]), "sizes", (size,))
    return size if size in sizes or len(sizes) != 1 else sizes[0]


def job_seconds(jobs, *, strict=True):
    """Rough single-worker seconds of each job, from the per-megapixel costs in :data:`COST_HINT`.

    Loads the first image of each data set split once to learn its size
    (this may generate a simulated data set). Mask detectors pay their cost
    once per sweep value, adaptive sweeps once more per value of their
    refinement budget (an upper bound: a sweep that converges early adds fewer).

    Parameters
    ----------
    jobs : list of Job
    strict : bool
        False: a job whose detector or data set cannot be built (a bad name)
        gets 0 seconds and a line saying why, instead of raising; running it
        raises the same error where it can be reported as that job's failure.

    Returns
    -------
    seconds : dict of str to float
        ``job.key`` -> seconds.
    lines : list of str
        One line per job with its estimate.
    """
    megapixels, seconds, lines = {}, {}, []
    for job in jobs:
        dataset_id = (job.dataset, job.size, job.split)
        try:
            if dataset_id not in megapixels:
                dataset, _ = build_dataset(job.dataset, size=job.size, data_dir=job.data_dir)
                ids = dataset.sample_ids(job.split)
                shape = dataset.load_sample(job.split, ids[0]).image.shape if ids else (0, 0)
                megapixels[dataset_id] = len(ids) * shape[0] * shape[1] / 1e6
            detector = build_detector(job.detector, job.params)
        except Exception as error:  # noqa: BLE001 - only with strict=False: the job fails later, when it runs
            if strict:
                raise
            seconds[job.key] = 0.0
            lines.append(f"{job.key}: cannot be planned ({type(error).__name__}: {error})")
            continue
        n_sweep, n_adaptive = _upstream_calls_per_image(detector)
        seconds[job.key] = COST_HINT.get(job.detector, _DEFAULT_COST) * megapixels[dataset_id] * (n_sweep + n_adaptive)
        adaptive = f" + up to {n_adaptive} adaptive" if n_adaptive else ""
        lines.append(f"{job.key}: {megapixels[dataset_id]:.1f} MP x {n_sweep} sweep value(s){adaptive} "
                     f"~ {seconds[job.key] / 60:.1f} min")
    return seconds, lines


def _upstream_calls_per_image(detector):
    """Detector calls per image of a run: the grid (with the operating value) and the adaptive sweep's budget.

    An adaptive sweep adds at most ``max_new_values`` values; the budget is
    counted in full because the leaderboard's LACosmic runs spend it (22
    values per ``sim_decam`` image where the grid has 10: the 2026-11-29
    rebuild), so the estimate is an upper bound rather than 2.2x too low.
    """
    from ..adaptive_sweep import refinement_policy

    if detector.output_kind != "mask":
        return 1, 0
    policy = refinement_policy(detector)
    return max(1, len(detector.sweep_values())), 0 if policy is None else int(policy.max_new_values)


def estimate_seconds(jobs, *, processes=2, bench_shape=(2048, 2048), bench_repeats=3, bench=True):
    """Rough wall time of a rebuild from the measured per-megapixel costs in :data:`COST_HINT`.

    The jobs' costs (:func:`job_seconds`) spread over ``processes`` workers;
    timing runs pay a detector's cost ``bench_repeats + 1`` times (warm-up)
    on one frame and run one at a time.

    Returns
    -------
    total : float
        Seconds.
    lines : list of str
        One line per job with its estimate.
    """
    seconds, lines = job_seconds(jobs)
    total = sum(seconds.values()) / max(1, processes)
    if bench:
        frame = bench_shape[0] * bench_shape[1] / 1e6
        bench_seconds = sum(COST_HINT.get(name, _DEFAULT_COST) * frame * (bench_repeats + 1)
                            for name in sorted({job.detector for job in jobs}))
        lines.append(f"crbench bench ({bench_shape[0]}x{bench_shape[1]}, {bench_repeats} repeats): ~ {bench_seconds / 60:.1f} min")
        total += bench_seconds
    return total, lines
