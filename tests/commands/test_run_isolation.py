"""``crbench run`` against plug-ins that exit, segfault or hang: isolation and timeouts (issue 16, Runs).

Detection runs in a worker process with ``--isolate``, ``--timeout`` or
``--jobs`` > 1; a worker that dies or times out fails only its image (the
tall one of the three ``tiny`` frames, ``test-01``). Each test that starts
workers costs one or two process spawns (about 1-3 s each).
"""

import json

import pytest
from click.testing import CliRunner

from crbench.cli import main
from crbench.datasets.tiny import TinyDataset
from crbench.records import build_run_record, load_record
from crbench.records.parts import Runtime
from crbench.runner import run_detector
from crbench.uncertainty import BootstrapSettings
from tests.hostile_plugins import HOSTILE, RecordsPid, clean_failure

SEGFAULT = "worker died with signal 11 (SIGSEGV)"


def _run(tmp_path, *args):
    return CliRunner().invoke(main, ["run", "--quiet", "--dataset", "tiny", "--output", str(tmp_path / "results"),
                                     "--bootstrap", "0", "--no-objects", *args])


def _only_record(tmp_path):
    [path] = list((tmp_path / "results").glob("run__*.json"))
    return load_record(path)


@pytest.mark.parametrize("plugin, options, error", [
    ("ExitsOnTall", [], "detector raised SystemExit(3)"),  # in this process: no worker needed
    ("ExitsOnTall", ["--isolate"], "detector raised SystemExit(3)"),
    ("HardExitOnTall", ["--isolate"], "worker exited with code 3"),
    ("SegfaultOnTall", ["--isolate"], SEGFAULT),
    ("SegfaultOnTall", ["--jobs", "2"], SEGFAULT),
    ("HangsOnTall", ["--timeout", "1"], "timed out after 1 s"),
])
def test_keep_going_records_the_image_that_exited_crashed_or_hung_and_scores_the_rest(tmp_path, plugin, options,
                                                                                      error):
    result = _run(tmp_path, "--detector", f"{HOSTILE}:{plugin}", "--keep-going", *options)
    assert result.exit_code == 0, result.output
    assert "PARTIAL: 1 image(s) failed" in result.output
    record = _only_record(tmp_path)
    assert record.status == "partial"
    assert [(failure.sample_id, failure.error) for failure in record.failures] == [("test-01", error)]
    assert sorted(row.sample_id for row in record.per_image) == ["test-00", "test-02"]
    assert record.runtime.isolated is bool(options)
    assert record.runtime.timeout_seconds == (1.0 if "--timeout" in options else None)


@pytest.mark.parametrize("plugin, options, error", [
    ("ExitsOnTall", [], "detector raised SystemExit(3)"),
    ("SegfaultOnTall", ["--jobs", "2"], SEGFAULT),
    ("HangsOnTall", ["--timeout", "1"], "timed out after 1 s"),
])
def test_without_keep_going_the_run_fails_with_the_cause_and_keeps_the_other_images(tmp_path, plugin, options,
                                                                                    error):
    output = clean_failure(_run(tmp_path, "--detector", f"{HOSTILE}:{plugin}", *options))
    assert f"failed on 1 of 3 images of tiny/test:\n  test-01: {error}\n" in output
    assert "BrokenProcessPool" not in output
    assert not (tmp_path / "results").exists() or not list((tmp_path / "results").iterdir())
    if not options:
        return  # in-process: the same cache as the runs above; one re-run is enough to show it
    # the images that worked were cached: a re-run with --keep-going detects only the failing one again
    rerun = _run(tmp_path, "--detector", f"{HOSTILE}:{plugin}", "--keep-going", *options)
    assert rerun.exit_code == 0, rerun.output
    assert "2 images (2 from the score cache)" in rerun.output


def test_an_adaptive_sweep_times_out_per_image_too(tmp_path):
    result = _run(tmp_path, "--detector", f"{HOSTILE}:HangsOnTallMask", "--adaptive-sweep", "--timeout", "1",
                  "--keep-going")
    assert result.exit_code == 0, result.output
    record = _only_record(tmp_path)
    assert [(failure.sample_id, failure.error) for failure in record.failures] == [("test-01", "timed out after 1 s")]
    assert record.dataset.n_images == 2 and record.sweep_refinement is not None


def test_a_worker_that_crashes_in_setup_stops_the_run_with_a_message(tmp_path):
    output = clean_failure(_run(tmp_path, "--detector", f"{HOSTILE}:SegfaultInSetup", "--isolate"))
    assert f"the detector's {SEGFAULT} while setting the detector up" in output


def test_a_timeout_needs_isolation(tmp_path):
    result = _run(tmp_path, "--detector", "constant", "--no-isolate", "--timeout", "5")
    assert result.exit_code == 2 and "--timeout needs a worker process that can be killed" in result.output


@pytest.mark.parametrize("value", ["0", "-1", "abc"])
def test_a_timeout_must_be_a_positive_number(tmp_path, value):
    result = _run(tmp_path, "--detector", "constant", "--timeout", value)
    assert result.exit_code == 2 and "Invalid value for '--timeout'" in result.output


def _scores_json(result):
    scores = dict(result.scores)
    return json.dumps(scores, sort_keys=True, default=str)


def test_the_default_runs_in_this_process_and_isolation_gives_identical_scores(tmp_path):
    settings = dict(split="test", progress=False, object_scores=False, bootstrap=BootstrapSettings(n_resamples=0))
    in_process = RecordsPid()
    default = run_detector(in_process, TinyDataset(), cache_dir=tmp_path / "a", **settings)
    # in-process fast path: this very detector object ran every image
    assert len(in_process.pids) == 3 and set(in_process.pids) == {__import__("os").getpid()}
    assert default.isolated is False and default.timeout_seconds is None
    record = build_run_record(default).to_dict()
    assert record["runtime"]["isolated"] is False and "timeout_seconds" not in record["runtime"]

    in_worker = RecordsPid()
    isolated = run_detector(in_worker, TinyDataset(), cache_dir=tmp_path / "b", isolate=True, timeout=30, **settings)
    assert in_worker.pids == []  # its copy in the worker ran the images
    assert isolated.isolated is True and isolated.timeout_seconds == 30.0
    assert build_run_record(isolated).runtime.timeout_seconds == 30.0
    assert _scores_json(isolated) == _scores_json(default)
    assert [outcome.map_sha256 for outcome in isolated.outcomes] == [outcome.map_sha256 for outcome in default.outcomes]


def test_records_without_isolation_fields_read_and_write_back_unchanged():
    old = {"device": "cpu", "jobs": 1, "setup_seconds": 0.1}
    runtime = Runtime.from_dict(old)
    assert runtime.isolated is None and runtime.timeout_seconds is None
    assert "isolated" not in runtime.to_dict() and "timeout_seconds" not in runtime.to_dict()
    new = Runtime.from_dict({**old, "isolated": True, "timeout_seconds": 2.5})
    assert (new.isolated, new.timeout_seconds) == (True, 2.5)
    assert new.to_dict()["isolated"] is True and new.to_dict()["timeout_seconds"] == 2.5
