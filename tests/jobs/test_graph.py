"""Many jobs as one Dask task graph (:mod:`crbench.jobs.graph`): the rebuild's records are the processes rebuild's."""

import json

import pytest
from click.testing import CliRunner

from crbench.cli import main
from crbench.jobs import Job, rebuild
from crbench.jobs.graph import priorities
from crbench.jobs.run import run_jobs
from crbench.testing.record_results import CACHE_KEYS, TIMING_KEYS, record_results_text

pytest.importorskip("distributed")

#: oracle and random: score detectors; astroscrappy: the leaderboard's adaptive sweep (rounds planned between chunks).
DETECTORS = ["oracle", "random", "astroscrappy"]


def _records(directory, skip=TIMING_KEYS):
    """``{file name: record without timings, as JSON text}`` of the run records in ``directory``."""
    return {path.name: record_results_text(json.loads(path.read_text()), skip=skip)
            for path in sorted(directory.glob("run__*.json"))}


def test_priorities_rank_jobs_by_estimated_seconds_most_expensive_highest():
    jobs = [Job("cheap", "x"), Job("dear", "x"), Job("middle", "x"), Job("also_cheap", "x")]
    seconds = {"cheap@x/None/test": 1.0, "dear@x/None/test": 100.0, "middle@x/None/test": 10.0,
               "also_cheap@x/None/test": 1.0}
    assert priorities(jobs, seconds) == {"dear@x/None/test": 3, "middle@x/None/test": 2, "cheap@x/None/test": 1,
                                         "also_cheap@x/None/test": 0}


def test_a_dask_rebuild_writes_the_records_of_a_process_rebuild_and_resumes_from_the_cache(tmp_path):
    options = {"detectors": DETECTORS, "datasets": ["tiny"], "size": "default", "bench": False, "progress": False}
    rebuild(tmp_path / "processes", processes=1, cache_dir=tmp_path / "cache-processes", **options)
    report = rebuild(tmp_path / "dask", processes=2, executor="dask", cache_dir=tmp_path / "cache-dask", **options)

    assert not report.failures and len(report.records) == 3
    processes, dask = _records(tmp_path / "processes" / "records"), _records(tmp_path / "dask" / "records")
    assert len(dask) == 3 and dask == processes  # every metric, curve, per-image row and interval, bit for bit
    history = json.loads((tmp_path / "dask" / "records" / "rebuild.json").read_text())
    assert history["executor"] == "dask" and "one Dask task graph on 2 worker(s)" in history["summary"]
    for path in (tmp_path / "dask" / "records").glob("run__*.json"):
        record = json.loads(path.read_text())
        assert record["runtime"]["executor"] == "dask" and record["runtime"]["jobs"] == 2
    [adaptive] = (tmp_path / "dask" / "records").glob("run__*__astroscrappy__*.json")
    assert json.loads(adaptive.read_text())["sweep_refinement"]["added_values"]  # the rounds did refine

    # a second rebuild on the same cache detects nothing: an interrupted rebuild resumes from there
    again = rebuild(tmp_path / "again", processes=2, executor="dask", cache_dir=tmp_path / "cache-dask", **options)
    assert not again.failures
    for path in (tmp_path / "again" / "records").glob("run__*.json"):
        record = json.loads(path.read_text())
        assert all(row["from_cache"] for row in record["per_image"]), path.name
    resumed_skip = TIMING_KEYS | CACHE_KEYS
    assert _records(tmp_path / "again" / "records", resumed_skip) == _records(tmp_path / "dask" / "records",
                                                                               resumed_skip)


def test_one_failing_job_on_the_graph_does_not_stop_the_others(tmp_path):
    jobs = [Job("random", "tiny", "default"), Job("no_such_detector", "tiny", "default")]
    paths, failures = run_jobs(jobs, results_dir=tmp_path, cache_dir=str(tmp_path / "cache"), processes=1,
                               progress=False, executor="dask")
    assert list(paths) == ["random@tiny/default/test"]
    assert list(failures) == ["no_such_detector@tiny/default/test"] and "no_such_detector" in failures[
        "no_such_detector@tiny/default/test"]


def test_check_reruns_the_baseline_on_dask_and_a_scheduler_needs_the_dask_executor(tmp_path):
    out = tmp_path / "leaderboard"
    rebuild(out, detectors=["oracle", "random"], datasets=["tiny"], size="default", processes=1, bench=False,
            progress=False)
    result = CliRunner().invoke(main, ["check", "--baseline", str(out / "baseline.json"), "--rerun",
                                       "--executor", "dask", "--processes", "2"])
    assert result.exit_code == 0, result.output
    assert "PASS" in result.output and "2 unchanged" in result.output

    for command in (["check", "--baseline", str(out / "baseline.json"), "--rerun"],
                    ["leaderboard", "rebuild", "--output", str(tmp_path / "x"), "--dataset", "tiny"]):
        result = CliRunner().invoke(main, [*command, "--scheduler", "tcp://127.0.0.1:1"])
        assert result.exit_code == 2 and "add --executor dask" in result.output, result.output
