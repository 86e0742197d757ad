"""The runner scores through the same stream as :func:`crbench.scoring.score_images`."""

import json

import numpy as np
import pytest

from crbench import scoring
from crbench.datasets.tiny import TinyDataset
from crbench.detectors.doubles import OracleDetector
from crbench.runner import run_detector

from .commands.faulty_detectors import ThresholdMask


def _spy(monkeypatch, name):
    """Replace ``crbench.scoring.<name>`` by a wrapper that records its arrays and options."""
    calls = []
    real = getattr(scoring, name)

    def spy(sources, **kwargs):
        sources = list(sources)
        arrays = [(*source.load_masks(), np.array(source.load_output()), source.sample_id) for source in sources]
        calls.append((arrays, kwargs))
        return real(sources, **kwargs)

    monkeypatch.setattr(scoring, name, spy)
    return calls


def _canonical(summary):
    return json.dumps(summary, sort_keys=True)


def _without_intervals(scores):
    """The scores minus the bootstrap section (tested in tests/uncertainty), which must be there."""
    scores = dict(scores)
    assert scores.pop("uncertainty")["n_images"] == len(scores["per_image"])
    return scores


@pytest.mark.parametrize("ignore_policy", ["exclude", "negative"])
def test_runner_and_score_images_share_the_stream_and_its_outputs(tmp_path, monkeypatch, ignore_policy):
    calls = _spy(monkeypatch, "score_stream")
    detector = OracleDetector(noise=0.4, seed=3)
    result = run_detector(detector, TinyDataset(), cache_dir=tmp_path, progress=False, ignore_policy=ignore_policy)
    assert len(calls) == 1
    items, options = calls[0]
    protocol = TinyDataset.card.pixel_protocol(dilate_output=detector.dilate_output, ignore_policy=ignore_policy)
    assert options["protocol"] == protocol
    assert [item[-1] for item in items] == TinyDataset().sample_ids("test")

    in_memory = scoring.score_images(items, protocol=protocol, operating_point=detector.operating_point)
    expected = scoring.summarize_scores(in_memory.counts, in_memory.counts.images,
                                        operating_point=detector.operating_point)
    assert _canonical(_without_intervals(result.scores)) == _canonical(expected)


def test_runner_scores_mask_sweeps_through_the_sweep_stream(tmp_path, monkeypatch):
    calls = _spy(monkeypatch, "sweep_stream")
    detector = ThresholdMask()
    result = run_detector(detector, TinyDataset(), cache_dir=tmp_path, progress=False)
    assert len(calls) == 1
    items, options = calls[0]
    assert options["protocol"] == TinyDataset.card.pixel_protocol(dilate_output=True)
    values = detector.sweep_values()
    in_memory = scoring.score_sweep_images(items, values=values, operating_point=detector.operating_point,
                                           protocol=options["protocol"])
    expected = scoring.summarize_sweep(in_memory.counts, in_memory.counts.images,
                                       operating_point=detector.operating_point)
    assert _canonical(_without_intervals(result.scores)) == _canonical(expected)


def test_an_entry_replaced_between_the_scoring_passes_is_never_scored(monkeypatch, tmp_path):
    # a concurrent --fresh run (or another torch thread count) rewriting a map after pass 1 must stop the
    # run with a clear error, not score pass 2 on other bytes than pass 1
    from crbench.cache import ScoreCache
    from crbench.errors import CacheChangedError

    real_load = ScoreCache.load
    replaced = []

    def load_then_replace(self, input_sha256, **kwargs):
        result = real_load(self, input_sha256, **kwargs)
        if kwargs.get("expected_sha256") and not replaced:
            replaced.append(input_sha256)
            self.save(input_sha256, np.full(kwargs["shape"], 0.5, np.float32), replace=True)
        return result

    monkeypatch.setattr(ScoreCache, "load", load_then_replace)
    with pytest.raises(CacheChangedError, match="changed while this run was using it"):
        run_detector(OracleDetector(), TinyDataset(), cache_dir=tmp_path, progress=False)
    assert replaced


def test_workers_are_capped_at_the_usable_cpus_with_a_warning():
    import os

    from crbench.errors import WorkersCappedWarning
    from crbench.runner import capped_workers

    usable = len(os.sched_getaffinity(0))
    assert capped_workers(usable) == usable
    with pytest.warns(WorkersCappedWarning, match=f"--jobs {10**14} is more than the {usable} CPU"):
        assert capped_workers(10**14) == usable
