"""crbench.run: the notebook form of ``crbench run``, built on the job runner."""

import doctest
import json

import pytest

import crbench
import crbench.api.run
from crbench.errors import CRBenchError
from crbench.records import RunRecord


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """One run of the random test double on tiny, its record written to a folder."""
    output = tmp_path_factory.mktemp("records")
    cache = tmp_path_factory.mktemp("cache")
    return crbench.run("random", "tiny", bootstrap=200, object_scores=False, output=output, cache_dir=cache), output


def test_run_writes_the_record_it_returns(tiny_run):
    result, output = tiny_run
    assert result.path.parent == output
    on_disk = json.loads(result.path.read_text())
    assert on_disk == result.record.to_dict()
    assert isinstance(result.record, RunRecord)
    assert (result.record.detector.name, result.record.dataset.name, result.record.status) == ("random", "tiny", "complete")


def test_metrics_hold_values_and_bootstrap_intervals(tiny_run):
    result, _ = tiny_run
    assert list(result.metrics) == list(result.record.metrics)
    auroc = result.metrics["auroc"]
    assert auroc["value"] == result.record.metrics["auroc"].value
    assert (auroc["low"], auroc["high"]) == result.record.uncertainty.interval("auroc")
    assert auroc["low"] <= auroc["value"] <= auroc["high"]
    assert auroc["higher_is_better"] is True
    assert result.record.uncertainty.n_resamples == 200


def test_to_frame_is_the_load_records_row(tiny_run):
    result, output = tiny_run
    frame = result.to_frame()
    assert len(frame) == 1
    loaded = crbench.load_records(output)
    assert list(frame.columns) == list(loaded.columns)
    left, right = frame.drop(columns="source").iloc[0], loaded.drop(columns="source").iloc[0]
    assert left.equals(right)
    assert frame.loc[0, "auroc_low"] == result.metrics["auroc"]["low"]


def test_without_output_nothing_is_left_on_disk(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = crbench.run("constant", "tiny", bootstrap=0, object_scores=False, params={"value": 0.25}, limit=2)
    assert result.path is None and result.record.source is None
    assert not list(tmp_path.glob("**/run__*.json")) and not (tmp_path / "results").exists()
    assert result.record.uncertainty is None
    assert result.metrics["auroc"]["low"] is None
    # options reach the runner: the parameter is in the record, and limit makes a subset record
    assert result.record.detector.params["value"] == 0.25
    assert result.record.status == "subset" and result.record.dataset.n_images == 2
    saved = result.save(tmp_path / "later")
    assert RunRecord.load(saved).to_dict() == result.record.to_dict()


def test_errors_are_crbench_errors():
    with pytest.raises(CRBenchError, match="unknown detector 'randon'.*'random'"):
        crbench.run("randon", "tiny")


def test_docstring_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    outcome = doctest.testmod(crbench.api.run, optionflags=doctest.ELLIPSIS)
    assert outcome.attempted >= 4 and outcome.failed == 0
