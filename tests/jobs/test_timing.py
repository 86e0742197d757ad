import os

import pytest

from crbench.jobs import BenchTimeoutError, bench_job


def test_isolated_benchmark_runs_in_a_fresh_process(tmp_path):
    record, path = bench_job("constant", params={"value": 0.1}, shape=(16, 16), repeats=1, output=tmp_path)
    assert record.detector.params["value"] == 0.1
    assert record.baseline_rss_bytes > 0
    assert record.environment.threads["logical_cpus"] == os.cpu_count()
    assert path.parent == tmp_path and path.is_file()


def test_a_timing_run_over_its_time_limit_is_killed():
    with pytest.raises(BenchTimeoutError, match="timed out after 0.5 s"):
        bench_job("tests.jobs.slow_detector:SlowDetector", shape=(16, 16), repeats=1, timeout=0.5)
