"""``crbench run`` and ``mock-run`` against hostile plug-ins, bad arguments and unwritable folders (issue 16, Runs)."""

import json
import os
import sys

import pytest
from click.testing import CliRunner

from crbench.cli import main
from crbench.records import load_record
from tests.hostile_plugins import HOSTILE, clean_failure, write_plugin_module


def _run(tmp_path, *args, output=None):
    output = output or tmp_path / "results"
    return CliRunner().invoke(main, ["run", "--quiet", "--dataset", "tiny", "--output", str(output), *args])


def _files(folder):
    return sorted(path.name for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


# ---------------------------------------------------------------------------- nothing scored, I/O errors


def test_keep_going_run_that_scored_no_image_fails_and_writes_nothing(tmp_path):
    output = clean_failure(_run(tmp_path, "--detector", f"{HOSTILE}:AlwaysFails", "--keep-going"))
    assert "scored none of the 3 images of tiny/test" in output and "RuntimeError: always fails" in output
    assert _files(tmp_path / "results") == []


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_unwritable_cache_is_an_io_error_naming_the_path_not_a_detector_failure(tmp_path, jobs):
    (tmp_path / "a_file").write_text("not a folder")
    cache = tmp_path / "a_file" / "cache"
    output = clean_failure(_run(tmp_path, "--detector", "random", "--keep-going", "--jobs", jobs,
                                 "--cache-dir", str(cache)))
    assert f"cannot write the score cache to {cache}" in output and "Not a directory" in output
    assert "nothing is wrong with the detector" in output and "failed on" not in output
    assert _files(tmp_path / "results") == []


def test_an_unwritable_output_is_found_before_the_detector_runs(tmp_path):
    (tmp_path / "a_file").write_text("not a folder")
    # AlwaysFails would report its own error if detection ran first
    output = clean_failure(_run(tmp_path, "--detector", f"{HOSTILE}:AlwaysFails",
                                 output=tmp_path / "a_file" / "results"))
    assert f"cannot write run records to {tmp_path / 'a_file' / 'results'}" in output
    assert "always fails" not in output


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_is_found_before_the_detector_runs(tmp_path):
    folder = tmp_path / "read_only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        output = clean_failure(_run(tmp_path, "--detector", f"{HOSTILE}:AlwaysFails", output=folder))
    finally:
        folder.chmod(0o755)
    assert f"cannot write run records to {folder}" in output and "always fails" not in output


# ---------------------------------------------------------------------------- subset runs


def test_a_limit_run_is_a_marked_subset_that_never_replaces_the_full_record(tmp_path):
    assert _run(tmp_path, "--detector", "random").exit_code == 0
    [full] = list((tmp_path / "results").glob("run__*.json"))
    before = full.read_bytes()
    result = _run(tmp_path, "--detector", "random", "--limit", "1")
    assert result.exit_code == 0, result.output
    assert "SUBSET: scored only the first 1 of 3 images (--limit)" in result.output
    assert full.read_bytes() == before
    [subset] = [path for path in (tmp_path / "results").glob("run__*.json") if path != full]
    assert subset.name == full.name.replace(".json", "__subset1.json")
    record = load_record(subset)
    assert record.status == "subset" and record.is_subset and not record.is_complete
    assert (record.dataset.n_images, record.dataset.extra) == (1, {"limit": 1, "n_images_available": 3})
    assert record.filename == subset.name


def test_a_limit_that_covers_every_image_is_a_full_run(tmp_path):
    result = _run(tmp_path, "--detector", "random", "--limit", "3")
    assert result.exit_code == 0, result.output
    [path] = list((tmp_path / "results").glob("run__*.json"))
    assert "subset" not in path.name and load_record(path).status == "complete"
    assert "limit" not in json.loads(path.read_text())["dataset"]


# ---------------------------------------------------------------------------- names


@pytest.mark.parametrize("plugin, shown", [("EmptyName", "name = ''"), ("EscapingName", "name = '../escaped'")])
def test_an_unsafe_detector_name_is_refused_and_nothing_is_written(tmp_path, plugin, shown):
    output = clean_failure(_run(tmp_path, "--detector", f"{HOSTILE}:{plugin}",
                                 output=tmp_path / "deep" / "results"))
    assert shown in output and "not a safe identifier" in output
    assert _files(tmp_path) == []


# ---------------------------------------------------------------------------- detector arguments and --jobs


@pytest.mark.parametrize("args, expected", [
    ("value=abc", "parameter 'value' must be a number (default 0.5), got 'abc'"),
    ("value=true", "parameter 'value' must be a number"),
    ("value=!!python/object/apply:os.system ['true']", "cannot read the value of 'value'"),
    ("value='abc", "cannot read the value of 'value'"),
])
def test_bad_detector_args_fail_before_the_run_naming_the_parameter(tmp_path, args, expected):
    output = clean_failure(_run(tmp_path, "--detector", "constant", "--detector-args", args))
    assert expected in output
    assert "test-0" not in output  # no image ran
    assert _files(tmp_path / "results") == []


def test_absurd_jobs_are_capped_at_the_cpu_count_with_a_warning(tmp_path):
    result = _run(tmp_path, "--detector", "constant", "--jobs", str(10**14))
    assert result.exit_code == 0, result.output
    usable = len(os.sched_getaffinity(0))
    assert f"--jobs {10**14} is more than the {usable} CPU(s)" in result.output
    [path] = list((tmp_path / "results").glob("run__*.json"))
    assert load_record(path).runtime.jobs == usable


# ---------------------------------------------------------------------------- plug-in errors


@pytest.mark.parametrize("spec, expected", [
    ("no_such_module_xyz:Det", ["there is no module 'no_such_module_xyz'", "run crbench from the folder holding "
                                                                           "no_such_module_xyz.py"]),
    ("os:system", ["'os:system' (import path) is a builtin_function_or_method, not a Detector"]),
    (f"{HOSTILE}:AbstractPlugin", ["is abstract", "does not implement detect"]),
    (f"{HOSTILE}:NoSuchClass", ["has no attribute 'NoSuchClass'"]),
    (f"{HOSTILE}:SetupRaises", ["detector 'setup_raises' (tests.hostile_plugins:SetupRaises) failed in setup",
                                "RuntimeError: weights file model.pth not found", "mock-run"]),
])
def test_plugin_errors_name_the_plugin_and_the_fix(tmp_path, spec, expected):
    output = clean_failure(_run(tmp_path, "--detector", spec))
    for text in expected:
        assert text in output


def test_a_plugin_module_that_raises_at_import_is_named(tmp_path, monkeypatch):
    write_plugin_module(tmp_path, "raises_at_import_mod", "raise ValueError('bad config')\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    output = clean_failure(_run(tmp_path, "--detector", "raises_at_import_mod:Det"))
    assert "importing 'raises_at_import_mod' raised ValueError: bad config" in output


@pytest.mark.parametrize("plugin, expected", [
    ("ChecksumInSetup", "sha256 0123abcd... does not match the recorded 4567ef01..."),
    ("SetupRaises", "RuntimeError: weights file model.pth not found"),
])
def test_a_setup_error_in_a_worker_is_reported_not_a_broken_pool(tmp_path, plugin, expected):
    output = clean_failure(_run(tmp_path, "--detector", f"{HOSTILE}:{plugin}", "--jobs", "2"))
    assert expected in output and "BrokenProcessPool" not in output


def test_setup_errors_in_mock_run_name_the_plugin():
    result = CliRunner().invoke(main, ["mock-run", f"{HOSTILE}:SetupRaises"])
    output = clean_failure(result)
    assert "failed in setup" in output and "weights file model.pth not found" in output


# ---------------------------------------------------------------------------- plug-ins in the working directory


@pytest.mark.parametrize("command", ["run", "mock-run"])
def test_a_plugin_in_the_working_directory_is_found(tmp_path, monkeypatch, command):
    module = f"cwd_plugin_{command.replace('-', '_')}"
    write_plugin_module(tmp_path, module)
    monkeypatch.chdir(tmp_path)
    # as under the installed 'crbench' script: neither the working directory nor '' is on the path
    monkeypatch.setattr(sys, "path", [entry for entry in sys.path if entry not in ("", ".", str(tmp_path))])
    monkeypatch.delitem(sys.modules, module, raising=False)
    if command == "run":
        result = _run(tmp_path, "--detector", f"{module}:MyDet")
    else:
        result = CliRunner().invoke(main, ["mock-run", f"{module}:MyDet"])
    assert result.exit_code == 0, result.output
    sys.modules.pop(module, None)
