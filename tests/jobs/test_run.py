"""Jobs: planning, and running in worker processes (one record per job, failures reported per job)."""


def test_rebuild_excludes_test_doubles_by_default():
    from crbench.jobs import plan_rebuild

    jobs, _ = plan_rebuild(datasets=["tiny"], size="default")
    assert not {job.detector for job in jobs} & {"oracle", "constant", "random"}


def test_parallel_workers_write_one_record_per_job_and_report_failures(tmp_path):
    from crbench.jobs import Job, run_jobs

    jobs = [Job("oracle", "tiny", "default"), Job("random", "tiny", "default"), Job("oracle", "tiny", "huge")]
    paths, failures = run_jobs(jobs, results_dir=tmp_path / "records", cache_dir=str(tmp_path / "cache"),
                               processes=2, progress=False)
    assert set(paths) == {"oracle@tiny/default/test", "random@tiny/default/test"}
    assert all((tmp_path / "records" / path).exists() for path in paths.values())
    assert list(failures) == ["oracle@tiny/huge/test"] and "huge" in failures["oracle@tiny/huge/test"]


def test_a_worker_that_dies_is_reported_not_fatal(tmp_path):
    from crbench.jobs import Job, run_jobs

    job = Job("tests.leaderboard.crashing:DyingDetector", "tiny", "default")
    paths, failures = run_jobs([job], results_dir=tmp_path / "records", cache_dir=str(tmp_path / "cache"),
                               processes=2, progress=False)
    assert paths == {}
    assert "worker process died" in failures[job.key]
