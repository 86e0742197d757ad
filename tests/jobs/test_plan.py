"""The leaderboard's sweep grids and the rebuild estimate that follows them."""

import numpy as np
import pytest

from crbench.jobs import COST_HINT, Job, estimate_seconds
from crbench.jobs.build import build_dataset, build_detector
from crbench.jobs.plan import COARSE_SWEEPS, LEADERBOARD_PARAMS, SWEEP_FLOOR, refine_sweep
from crbench.scoring.refine import SweepRefinement


def test_refine_sweep_drops_low_values_and_adds_geometric_midpoints():
    assert refine_sweep([16.0, 1.0, 4.0, 2.0], lowest=3.0) == [4.0, 8.0, 16.0]
    # midpoints are rounded to 3 significant digits; kept values are not touched
    assert refine_sweep([2.34, 3.57, 5.46], lowest=3.5) == [3.57, 4.41, 5.46]
    assert refine_sweep([5.0], lowest=1.0) == [5.0]
    assert refine_sweep([1.0, 2.0], lowest=3.0) == []


@pytest.mark.parametrize("name", ["lacosmic", "astroscrappy"])
def test_leaderboard_grid_spends_its_points_where_the_metrics_are_read(name):
    grid = LEADERBOARD_PARAMS[name]["sweep"]
    coarse = COARSE_SWEEPS[name]
    # every coarse value from the floor up is kept bit for bit, so its counts can be compared with older records
    assert {value for value in coarse if value >= SWEEP_FLOOR} <= set(grid)
    # nothing below the floor (FPR 0.08-0.97 there on every committed record), same upper end as the papers' [1, 20]
    assert min(grid) >= SWEEP_FLOOR and max(grid) == 20.0
    assert grid == sorted(grid)
    # twice the resolution of the coarse grid above the floor: neighbours at most ~1.25x apart (coarse: ~1.4-1.6x)
    assert len(grid) == 2 * sum(value >= SWEEP_FLOOR for value in coarse) - 1
    assert np.max(np.diff(np.log(grid))) < np.log(1.26)


def test_estimate_counts_one_cost_per_leaderboard_sweep_value():
    dataset, _ = build_dataset("tiny", size="default")
    ids = dataset.sample_ids("test")
    megapixels = sum(dataset.load_sample("test", i).image.size for i in ids[:1]) * len(ids) / 1e6
    job = Job("lacosmic", "tiny", "default", "test", params=LEADERBOARD_PARAMS["lacosmic"])
    total, lines = estimate_seconds([job], processes=1, bench=False)
    n_values = len(LEADERBOARD_PARAMS["lacosmic"]["sweep"]) + 1  # plus the operating cr_threshold 3.0
    # the adaptive sweep's whole budget is counted: LACosmic spent all of it on sim_decam (22 values per image)
    n_adaptive = SweepRefinement().max_new_values
    assert f"x {n_values} sweep value(s) + up to {n_adaptive} adaptive" in lines[0]
    assert total == pytest.approx(COST_HINT["lacosmic"] * megapixels * (n_values + n_adaptive))


def test_estimate_of_a_fixed_sweep_counts_only_its_grid():
    job = Job("lacosmic", "tiny", "default", "test", params={"sweep": [4.0, 8.0]})
    _, lines = estimate_seconds([job], processes=1, bench=False)
    assert "x 3 sweep value(s) ~" in lines[0]
    job = Job("lacosmic", "tiny", "default", "test", params={"sweep": [4.0, 8.0], "sweep_refinement": {"max_new_values": 2}})
    _, lines = estimate_seconds([job], processes=1, bench=False)
    assert "x 3 sweep value(s) + up to 2 adaptive ~" in lines[0]


def test_jobs_start_with_the_dearest_whole_run_not_the_dearest_single_call():
    from crbench.jobs.plan import slowest_first

    # LACosmic's call is cheaper than MaxiMask's, but a leaderboard run makes 10 of them per image
    order = sorted(["deepcr_pretrained", "astroscrappy", "maximask", "lacosmic"], key=slowest_first)
    assert order == ["lacosmic", "maximask", "astroscrappy", "deepcr_pretrained"]


@pytest.mark.parametrize("name", ["lacosmic", "astroscrappy"])
def test_leaderboard_runs_of_the_classical_detectors_are_adaptive(name):
    from crbench.adaptive_sweep import refinement_policy
    from crbench.scoring.refine import SweepRefinement

    detector = build_detector(name, LEADERBOARD_PARAMS[name])
    assert refinement_policy(detector) == SweepRefinement()
    assert detector.params["sweep_refinement"] == SweepRefinement().to_param()


def test_default_rebuild_plan_covers_simulated_and_real_sets_each_at_its_size():
    from crbench.jobs import plan_rebuild

    jobs, _ = plan_rebuild(detectors=["astroscrappy"])
    sizes = {job.dataset: job.size for job in jobs}
    assert sizes["decam_stack"] == sizes["decam_inject"] == "default"
    assert sizes["sim_decam"] == sizes["sim_decam_itlcr"] == "small"
    assert not any(name.startswith("lco_") or name in ("tiny", "decam") for name in sizes)
