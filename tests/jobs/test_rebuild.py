import importlib
import json
from pathlib import Path

import pytest

from crbench.errors import InputError
from crbench.jobs import rebuild


def test_update_reruns_only_the_selected_runs_and_keeps_the_rest(tmp_path):
    out = tmp_path / "leaderboard"
    rebuild(out, detectors=["oracle", "random"], datasets=["tiny"], size="default", processes=1, bench=False,
            progress=False, command="first")
    records = out / "records"
    oracle = next(records.glob("run__tiny__*__oracle__*.json"))
    oracle_text = oracle.read_text()
    first_random = next(records.glob("run__tiny__*__random__*.json")).read_text()

    report = rebuild(out, detectors=["random"], datasets=["tiny"], size="default", processes=1, bench=False,
                     progress=False, command="second --update", update=True)

    assert oracle.read_text() == oracle_text  # untouched, byte for byte
    new_random = next(records.glob("run__tiny__*__random__*.json")).read_text()
    assert json.loads(new_random)["created"] >= json.loads(first_random)["created"]
    assert len(report.records) == 1
    history = json.loads((records / "rebuild.json").read_text())
    assert history["command"] == "first"
    assert [entry["command"] for entry in history["updates"]] == ["second --update"]
    assert "`second --update` re-ran 1 record(s)" in history["summary"]
    baseline = json.loads((out / "baseline.json").read_text())
    assert {entry["key"] for entry in baseline["entries"]} == {"oracle@tiny/default/test", "random@tiny/default/test"}



def test_an_update_whose_run_fails_keeps_the_old_record(tmp_path, monkeypatch):
    rebuild_module = importlib.import_module("crbench.jobs.rebuild")  # the package exports the function of that name

    out = tmp_path / "leaderboard"
    rebuild(out, detectors=["oracle", "random"], datasets=["tiny"], size="default", processes=1, bench=False,
            progress=False, command="first")
    random_record = next((out / "records").glob("run__tiny__*__random__*.json"))
    before = random_record.read_text()
    real_run_jobs = rebuild_module.run_jobs

    def random_fails(jobs, **options):
        paths, failures = real_run_jobs(jobs, **options)
        key = "random@tiny/default/test"
        (Path(options["results_dir"]) / Path(paths.pop(key)).name).unlink()
        failures[key] = "RuntimeError: weights not reachable"
        return paths, failures

    monkeypatch.setattr(rebuild_module, "run_jobs", random_fails)
    report = rebuild(out, detectors=["oracle", "random"], datasets=["tiny"], size="default", processes=1,
                     bench=False, progress=False, command="second --update", update=True)
    assert random_record.read_text() == before
    assert report.failures == {"random@tiny/default/test": "RuntimeError: weights not reachable"}
    history = json.loads((out / "records" / "rebuild.json").read_text())
    assert history["updates"][-1]["failures"] == report.failures


def test_the_leaderboard_is_only_rebuilt_on_the_reference_engine(tmp_path, monkeypatch):
    monkeypatch.setenv("CRBENCH_TORCH_BACKEND", "onnxruntime")
    with pytest.raises(InputError, match="rebuilt with eager PyTorch; unset CRBENCH_TORCH_BACKEND"):
        rebuild(tmp_path, detectors=["oracle"], datasets=["tiny"], bench=False, site=False, progress=False)
    assert not list(tmp_path.iterdir())


def test_the_summary_says_how_many_outputs_came_from_the_score_cache(tmp_path):
    options = dict(detectors=["oracle", "random"], datasets=["tiny"], size="default", processes=1, bench=False,
                   progress=False, site=False, cache_dir=tmp_path / "cache")
    rebuild(tmp_path / "first", **options)
    first = json.loads((tmp_path / "first" / "records" / "rebuild.json").read_text())["summary"]
    assert "Every detector output was computed in this rebuild" in first
    rebuild(tmp_path / "second", **options)
    second = json.loads((tmp_path / "second" / "records" / "rebuild.json").read_text())["summary"]
    records = list((tmp_path / "second" / "records").glob("run__*.json"))
    n_images = sum(json.loads(path.read_text())["runtime"]["n_images_from_cache"] for path in records)
    assert n_images > 0
    assert f"0 image(s) were detected in this rebuild and {n_images} detector output(s) were read" in second
