"""The adaptive sweep in the runner: each value detected once per image, cached per value, scored like a fixed grid."""

import collections
import dataclasses
import json

import numpy as np
import pytest

from crbench.adaptive_sweep import value_params_hash
from crbench.datasets.tiny import TinyDataset
from crbench.errors import InputError
from crbench.records import RunRecord, build_run_record
from crbench.runner import run_detector

from .commands.faulty_detectors import ThresholdMask

POLICY = {"targets": [1e-3, 1e-2], "max_new_values": 6}


class CountingMask(ThresholdMask):
    """ThresholdMask that counts its detect calls per (image checksum, swept value)."""

    calls = collections.Counter()

    def detect(self, image, *, meta):
        CountingMask.calls[(float(np.sum(image, dtype=np.float64)), self.params["factor"])] += 1
        return super().detect(image, meta=meta)


@pytest.fixture(autouse=True)
def _fresh_counter():
    CountingMask.calls.clear()


def _run(tmp_path, **params):
    return run_detector(CountingMask(**params), TinyDataset(), cache_dir=tmp_path / "cache", progress=False)


def test_refinement_detects_each_value_once_and_scores_like_a_fixed_grid(tmp_path):
    result = _run(tmp_path, sweep_refinement=POLICY)
    history = result.sweep_refinement
    n_images = len(TinyDataset().sample_ids("test"))
    assert history["added_values"], "the tiny grid should need refining"
    assert history["final_values"] == sorted(set(history["initial_values"]) | set(history["added_values"]))
    # every value detected exactly once on every image, and nothing else
    assert set(CountingMask.calls.values()) == {1}
    assert len(CountingMask.calls) == n_images * len(history["final_values"])
    assert sum(entry["n_detected"] for entry in history["rounds"]) == len(CountingMask.calls)
    assert [entry["values"] for entry in history["rounds"][1:]] == [
        [reason["value"] for reason in entry["reasons"]] for entry in history["rounds"][1:]]
    assert history["extra_detect_seconds"] == pytest.approx(sum(e["detect_seconds"] for e in history["rounds"][1:]))
    assert result.n_sweep_values == len(history["final_values"])
    assert result.scores["counts"]["values"] == history["final_values"]

    # the same values run as a fixed grid give the same counts and metrics
    fixed = _run(tmp_path / "fixed", sweep=history["final_values"])
    assert json.dumps(fixed.scores["metrics"]) == json.dumps(result.scores["metrics"])
    assert fixed.scores["counts"] == result.scores["counts"]


def test_rerun_reuses_every_cached_value_and_reproduces_the_history(tmp_path):
    first = _run(tmp_path, sweep_refinement=POLICY)
    CountingMask.calls.clear()
    again = _run(tmp_path, sweep_refinement=POLICY)
    assert not CountingMask.calls
    assert all(outcome.from_cache for outcome in again.outcomes)
    assert again.sweep_refinement["final_values"] == first.sweep_refinement["final_values"]
    assert json.dumps(again.scores["metrics"]) == json.dumps(first.scores["metrics"])
    # a wider budget only detects the values it adds
    more = dict(POLICY, max_new_values=10)
    CountingMask.calls.clear()
    wider = _run(tmp_path, sweep_refinement=more)
    new = set(wider.sweep_refinement["final_values"]) - set(first.sweep_refinement["final_values"])
    assert {value for _, value in CountingMask.calls} == new


def test_record_stores_the_history_and_round_trips(tmp_path):
    result = _run(tmp_path, sweep_refinement=POLICY)
    record = build_run_record(result)
    assert record.sweep_refinement.final_values == result.sweep_refinement["final_values"]
    assert record.detector.params["sweep_refinement"]["targets"] == [1e-3, 1e-2]
    data = record.to_dict()
    assert RunRecord.from_dict(json.loads(json.dumps(data))).to_dict() == data
    # fixed sweeps keep records without the key
    assert "sweep_refinement" not in build_run_record(_run(tmp_path / "fixed")).to_dict()


def test_policy_is_canonical_in_the_params_and_off_leaves_the_hash_alone():
    default = CountingMask()
    assert "sweep_refinement" not in default.params
    assert CountingMask(sweep_refinement=False).params_hash == default.params_hash
    assert CountingMask(sweep_refinement=True).params == CountingMask(
        sweep_refinement={"targets": [1e-4, 1e-3]}).params
    # one value's cache key ignores the grid and the policy
    assert value_params_hash(CountingMask(sweep=[1, 2], sweep_refinement=True), 2.0) == value_params_hash(default, 2.0)
    assert value_params_hash(default, 2.0) != value_params_hash(default, 3.0)


def test_score_detectors_do_not_accept_a_refinement():
    from crbench.detectors.doubles import OracleDetector

    with pytest.raises(InputError, match="sweep_refinement"):
        OracleDetector(sweep_refinement=True)


def test_an_adaptive_run_gets_intervals_object_scores_and_presets_from_its_per_value_caches(tmp_path):
    """Every pass after detection reads the per-value caches: the same numbers as the fixed grid."""
    from crbench.jobs import Job
    from crbench.jobs.sensitivity import sensitivity_rows

    result = _run(tmp_path, sweep_refinement=POLICY)
    final = result.sweep_refinement["final_values"]
    assert result.sweep_values == final and set(result.output_loaders) == {o.sample_id for o in result.outcomes}
    fixed = _run(tmp_path / "fixed", sweep=final)
    assert result.scores["uncertainty"]["metrics"] == fixed.scores["uncertainty"]["metrics"]
    assert result.scores["uncertainty"]["weights_sha256"] == fixed.scores["uncertainty"]["weights_sha256"]
    assert result.objects["per_image"] == fixed.objects["per_image"]
    assert result.objects["uncertainty"]["metrics"] == fixed.objects["uncertainty"]["metrics"]

    detector, dataset = CountingMask(sweep_refinement=POLICY), TinyDataset()
    detector.apply_protocol(dataset.card.protocol_for(detector.name))
    job = Job("tests.test_adaptive_sweep:CountingMask", "tiny")
    rows = sensitivity_rows(result, detector, dataset, job=job, cache_dir=tmp_path / "cache", subsample=False)
    fixed_detector = CountingMask(sweep=final)
    fixed_detector.apply_protocol(dataset.card.protocol_for(fixed_detector.name))
    fixed_rows = sensitivity_rows(fixed, fixed_detector, dataset, job=job, cache_dir=tmp_path / "fixed" / "cache",
                                  subsample=False)
    strip = ("n_from_cache",)
    assert [{k: v for k, v in row.items() if k not in strip} for row in rows] == [
        {k: v for k, v in row.items() if k not in strip} for row in fixed_rows]


class _BandedTiny(TinyDataset):
    """Tiny frames with a band each and a card that stratifies the bootstrap by band."""

    card = dataclasses.replace(TinyDataset.card, name="tiny_banded", bootstrap_strata="band")

    def load_sample(self, split, sample_id):
        sample = super().load_sample(split, sample_id)
        sample.meta = dataclasses.replace(sample.meta, band="g" if sample_id.endswith(("0", "2")) else "r")
        return sample


@pytest.mark.parametrize("params", [{"sweep_refinement": POLICY}, {}], ids=["adaptive", "fixed"])
def test_stratified_cards_work_for_adaptive_and_fixed_sweeps(tmp_path, params):
    """Every outcome carries its stratum, whichever path detected it (an adaptive run once lost it)."""
    result = run_detector(CountingMask(**params), _BandedTiny(), cache_dir=tmp_path / "cache", progress=False)
    assert {outcome.sample_id: outcome.stratum for outcome in result.outcomes} == {
        "test-00": "g", "test-01": "r", "test-02": "g"}
    section = result.scores["uncertainty"]
    assert section["strata"] == "band" and section["stratum_sizes"] == {"g": 2, "r": 1}
    assert result.objects["uncertainty"]["weights_sha256"] == section["weights_sha256"]
