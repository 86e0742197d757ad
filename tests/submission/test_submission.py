"""crbench submit / validate-submission: the example package end to end, and tampered bundles refused.

One bundle is built per module (the example package as a wheel, installed in a
fresh virtual environment, submitted from there on the tiny data set); each
tampering test edits a copy of it.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from crbench.cli import main
from crbench.datasets import sample_sha256
from crbench.errors import InputError
from crbench.jobs import Job, bench_job, run_job
from crbench.jobs.build import build_dataset
from crbench.records import RunRecord
from crbench.submission import PASS, REFUSED, SKIPPED, build_bundle, validate_bundle
from crbench.submission.manifest import write_manifest
from crbench.submission.requirement import parse_requirement

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "crbench-example-detector"
EXAMPLE_CLASS = "crbench_example_detector.laplacian:LaplacianDetector"
TINY = ["--dataset", "tiny", "--size", "default"]


def _child_env(cache):
    """The test's crbench code (this worktree) and a private cache for child processes."""
    env = dict(os.environ, CRBENCH_CACHE=str(cache), OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


@pytest.fixture(scope="module")
def submitted(tmp_path_factory):
    """The example package built into a wheel, installed in a fresh venv, submitted from there: the bundle."""
    root = tmp_path_factory.mktemp("submission")
    source = shutil.copytree(EXAMPLE, root / "package", ignore=shutil.ignore_patterns("build", "*.egg-info"))
    env = _child_env(root / "cache")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
                    str(source), "-w", str(root / "dist")], check=True, env=env, capture_output=True)
    (wheel,) = (root / "dist").glob("*.whl")
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(root / "env")],
                   check=True)
    python = root / "env" / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)], check=True,
                   env=env, capture_output=True)
    done = subprocess.run([str(python), "-c", "from crbench.cli import main; main()", "submit",
                           "--detector", "example_laplacian", *TINY, "--output", str(root / "bundle"),
                           "--requirement", str(wheel), "--untrained", "--bench-shape", "64x64",
                           "--bench-repeats", "1"], env=env, capture_output=True, text=True, cwd=root)
    assert done.returncode == 0, done.stderr
    return root / "bundle"


@pytest.fixture
def bundle(submitted, tmp_path, monkeypatch):
    """A copy of the bundle to tamper with; the example package importable for in-process re-runs."""
    monkeypatch.syspath_prepend(str(EXAMPLE / "src"))
    return Path(shutil.copytree(submitted, tmp_path / "bundle"))


def _verdicts(bundle, **options):
    options = {"datasets": ["tiny"], "size": "default", "install": False, **options}
    return {result.name: result for result in validate_bundle(bundle, **options)}


def _record_path(bundle):
    (path,) = (bundle / "records").glob("run__*.json")
    return path


def _edit_json(path, edit):
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data, indent=2))


def _refused(verdicts, check, words):
    result = verdicts[check]
    assert result.verdict == REFUSED, (check, result)
    assert any(words in reason for reason in result.reasons), result.reasons


def test_the_example_goes_from_package_to_validated_bundle(submitted):
    files = sorted(path.relative_to(submitted).as_posix() for path in submitted.rglob("*") if path.is_file())
    assert files[:2] == ["MANIFEST.json", "bench/bench__example_laplacian__" + files[1].split("__", 2)[2]]
    assert any(name.startswith("dist/crbench_example_detector-0.1.0") for name in files)
    submission = json.loads((submitted / "submission.json").read_text())
    assert submission["adapter"]["package"] == "crbench-example-detector"
    assert submission["adapter"]["version"] == "0.1.0"
    assert submission["detector"]["license"] == "BSD-3-Clause"
    assert submission["training"] == {"datasets": [], "untrained": True, "hashes_file": None, "n_hashes": 0}
    result = CliRunner().invoke(main, ["validate-submission", str(submitted), "--rerun", "2", *TINY])
    assert result.exit_code == 0, result.output
    for check in ("schema", "manifest", "requirement", "training", "records", "bench", "install", "mock-run",
                  "rerun"):
        assert f"PASS     {check}" in result.output
    assert result.output.rstrip().endswith("PASS")
    assert "re-ran run__tiny__default__test__example_laplacian" in result.output


def test_an_untampered_copy_passes_without_install_but_install_is_skipped(bundle):
    verdicts = _verdicts(bundle, rerun=1)
    assert verdicts["install"].verdict == SKIPPED and verdicts["mock-run"].verdict == SKIPPED
    assert all(result.verdict in (PASS, SKIPPED) for result in verdicts.values()), verdicts


def test_an_edited_metric_is_refused(bundle):
    metric = lambda data: data["metrics"]["tpr_at_fpr_1e-3"]  # noqa: E731
    _edit_json(_record_path(bundle), lambda data: metric(data).update(value=metric(data)["value"] + 0.001))
    write_manifest(bundle)
    _refused(_verdicts(bundle), "records", "tpr_at_fpr_1e-3 = ")
    _refused(_verdicts(bundle), "records", "contradicts the stored counts")


def test_a_missing_record_is_refused(bundle):
    _record_path(bundle).unlink()
    write_manifest(bundle)
    _refused(_verdicts(bundle), "records", "missing record")


def test_a_wrong_data_set_version_is_refused(bundle):
    _edit_json(_record_path(bundle), lambda data: data["dataset"].update(version="1"))
    write_manifest(bundle)
    _refused(_verdicts(bundle), "records", "data set version '1', the official tiny is version '2'")


def test_files_that_differ_from_the_manifest_are_refused(bundle):
    (bundle / "notes.txt").write_text("not listed")
    next((bundle / "bench").glob("*.json")).unlink()
    _edit_json(bundle / "submission.json", lambda data: data["detector"].update(citation="edited"))
    verdicts = _verdicts(bundle)
    _refused(verdicts, "manifest", "extra file not in the manifest: notes.txt")
    _refused(verdicts, "manifest", "missing file listed in the manifest: bench/")
    _refused(verdicts, "manifest", "sha256 of submission.json differs")


def test_counts_of_another_configuration_do_not_reproduce_on_rerun(bundle, tmp_path):
    # a self-consistent record (metrics agree with counts, counts with per-image rows) of other settings,
    # relabelled as the submitted one: only re-running the detector finds out
    original = RunRecord.load(_record_path(bundle))
    other = run_job(Job(EXAMPLE_CLASS, "tiny", None, "test", params={"scale": 1.5}), results_dir=tmp_path).record
    other.detector = original.detector
    _record_path(bundle).write_text(json.dumps(other.to_dict(), indent=2))
    write_manifest(bundle)
    verdicts = _verdicts(bundle, rerun=2, seed=1)
    assert verdicts["records"].verdict == PASS, verdicts["records"]
    _refused(verdicts, "rerun", "scores do not reproduce")


def test_an_unpinned_requirement_is_refused(bundle):
    _edit_json(bundle / "submission.json",
               lambda data: data["adapter"].update(requirement="crbench-example-detector>=0.1"))
    write_manifest(bundle)
    _refused(_verdicts(bundle), "requirement", "is not pinned")


def test_a_missing_training_declaration_is_refused(bundle):
    _edit_json(bundle / "submission.json", lambda data: data.pop("training"))
    write_manifest(bundle)
    _refused(_verdicts(bundle), "training", "does not declare its training data")


def test_training_images_in_a_test_split_are_refused(bundle):
    dataset, _ = build_dataset("tiny")
    shared = [sample_sha256(dataset.load_sample("test", sample_id)) for sample_id in ("test-00", "test-02")]
    (bundle / "training_hashes.txt").write_text("".join(f"{digest}\n" for digest in shared) + "0" * 64 + "\n")
    _edit_json(bundle / "submission.json", lambda data: data["training"].update(hashes_file="training_hashes.txt"))
    write_manifest(bundle)
    _refused(_verdicts(bundle), "training-overlap", "2 training image hash(es) overlap the official split "
                                                    "tiny/default/test")


def test_evaluation_on_a_training_family_passes_marked_with_a_dagger(bundle):
    _edit_json(_record_path(bundle), lambda data: data["detector"].update(training_datasets=["tiny"]))

    def trained(data):
        data["detector"]["training_datasets"] = ["tiny"]
        data["training"].update(datasets=["tiny"], untrained=False)

    _edit_json(bundle / "submission.json", trained)
    write_manifest(bundle)
    verdicts = _verdicts(bundle)
    assert verdicts["records"].verdict == PASS
    assert any("marked †" in note for note in verdicts["records"].reasons)


def test_the_command_exits_1_when_refused_and_2_on_bad_usage(bundle, tmp_path):
    _record_path(bundle).unlink()
    result = CliRunner().invoke(main, ["validate-submission", str(bundle), "--no-install", *TINY])
    assert result.exit_code == 1
    assert "REFUSED  records" in result.output and result.output.rstrip().endswith("REFUSED (manifest, records)")
    result = CliRunner().invoke(main, ["validate-submission", str(tmp_path / "nowhere")])
    assert result.exit_code == 2


@pytest.mark.parametrize("text, words", [
    ("crbench-example-detector", "is not pinned"),
    ("crbench-example-detector>=0.1,<1", "is not pinned"),
    ("crbench-example-detector==0.*", "is not pinned"),
    ("git+https://example.org/repo.git@main", "40-hex commit"),
    ("git+https://example.org/repo.git", "40-hex commit"),
    ("./missing-0.1-py3-none-any.whl", "not a wheel or sdist file"),
    ("other-package==1.0", "names 'other-package'"),
])
def test_requirements_must_pin_one_build(text, words):
    with pytest.raises(InputError, match=words):
        parse_requirement(text, package="crbench-example-detector")


def test_pinned_requirements_are_accepted(tmp_path):
    wheel = tmp_path / "x-1.0-py3-none-any.whl"
    wheel.write_bytes(b"")
    assert parse_requirement("crbench-example-detector==0.1.0", package="crbench_example_detector").kind == "pypi"
    assert parse_requirement(f"git+https://example.org/r.git@{'a' * 40}").kind == "git"
    assert parse_requirement(str(wheel)).kind == "file"


def test_submit_refuses_undeclared_training_unpinned_requirements_and_overlap(tmp_path):
    options = {"requirement": "crbench==0.1.0", "datasets": ["tiny"], "size": "default"}
    with pytest.raises(InputError, match="declares no training_datasets"):
        build_bundle("oracle", output=tmp_path / "a", **options)
    with pytest.raises(InputError, match="is not pinned"):
        build_bundle("oracle", output=tmp_path / "b", untrained=True, **{**options, "requirement": "crbench"})
    dataset, _ = build_dataset("tiny")
    hashes = tmp_path / "hashes.txt"
    hashes.write_text(sample_sha256(dataset.load_sample("test", "test-01")) + "\n")
    with pytest.raises(InputError, match=r"1 hash\(es\) in tiny/default/test"):
        build_bundle("oracle", output=tmp_path / "c", untrained=True, training_hashes=hashes, **options)
    assert not any(tmp_path.glob("*staging*")) and not (tmp_path / "c").exists()


def _quick_bench(name, params, output):
    return bench_job(name, params=params, shape=(32, 32), repeats=1, isolate=False, output=output)


def test_submit_takes_fresh_complete_records_and_turns_down_partial_ones(tmp_path):
    records = tmp_path / "records"
    run_job(Job("oracle", "tiny", None, "test"), results_dir=records, limit=2)  # a subset record: not usable
    options = {"requirement": "crbench==0.1.0", "datasets": ["tiny"], "size": "default", "untrained": True,
               "records_dir": records, "bench": _quick_bench}
    with pytest.raises(InputError, match="no usable record for tiny/default/test.*status 'subset'"):
        build_bundle("oracle", output=tmp_path / "refused", **options)
    complete = run_job(Job("oracle", "tiny", None, "test"), results_dir=records).record
    bundle = build_bundle("oracle", output=tmp_path / "bundle", **options)
    (path,) = (bundle / "records").glob("run__*.json")
    assert RunRecord.load(path).to_dict() == complete.to_dict()
    verdicts = _verdicts(bundle, rerun=1)
    assert all(result.verdict in (PASS, SKIPPED) for result in verdicts.values()), verdicts
    assert verdicts["rerun"].verdict == PASS


def test_files_named_outside_the_bundle_are_refused(bundle):
    _edit_json(bundle / "submission.json", lambda data: data["splits"][0].update(record="../elsewhere.json"))
    write_manifest(bundle)
    _refused(_verdicts(bundle), "records", "lies outside the bundle")


def test_a_stated_version_the_requirement_does_not_install_is_refused(bundle):
    _edit_json(bundle / "submission.json", lambda data: data["adapter"].update(version="0.2.0"))
    write_manifest(bundle)
    verdicts = _verdicts(bundle, install=True, rerun=1)
    _refused(verdicts, "install", "installed crbench-example-detector 0.1.0, the submission states 0.2.0")
    assert verdicts["mock-run"].verdict == SKIPPED
    _refused(verdicts, "rerun", "could not be installed")
