import numpy as np
import pytest

from crbench.scoring import (
    ImageSource,
    PixelProtocol,
    PositiveScores,
    SweepCounts,
    ThresholdCounts,
    score_images,
    score_stream,
    sweep_stream,
)
from crbench.scoring import summary as summary_module

PROTOCOL = PixelProtocol(truth_dilation=3, dilate_output=True, ignore_policy="negative")


def _items(n_images=3, seed=2):
    rng = np.random.default_rng(seed)
    items = []
    for index in range(n_images):
        shape = (20 + index, 25)
        truth = rng.random(shape) < 0.02
        ignore = rng.random(shape) < 0.05
        items.append((truth, ignore, rng.random(shape).astype(np.float32), f"img{index}"))
    return items


class CountingSource:
    """An ImageSource whose loaders count how often they are called."""

    def __init__(self, truth, ignore, output, sample_id):
        self.calls = {"masks": 0, "output": 0}

        def load_masks():
            self.calls["masks"] += 1
            return truth, ignore

        def load_output():
            self.calls["output"] += 1
            return output

        self.source = ImageSource(sample_id, load_masks=load_masks, load_output=load_output)


def test_score_stream_equals_per_image_counting():
    items = _items()
    total = score_stream([ImageSource.in_memory(*item) for item in items], protocol=PROTOCOL,
                         operating_point=0.5)
    positives = PositiveScores.sum(PositiveScores.from_image(t, i, s, protocol=PROTOCOL) for t, i, s, _ in items)
    grid = positives.grid(extra_thresholds=(0.5,))
    expected = sum(ThresholdCounts.from_image(t, i, s, grid=grid, protocol=PROTOCOL, sample_id=sid)
                   for t, i, s, sid in items)
    assert total == expected
    assert [image.to_dict() for image in total.images] == [image.to_dict() for image in expected.images]


def test_score_stream_loads_each_image_once_per_pass_and_reports_progress():
    sources = [CountingSource(*item) for item in _items()]
    seen = []

    def progress(items, desc):
        seen.append(desc)
        return items

    score_stream([s.source for s in sources], protocol=PROTOCOL, operating_point=0.5, progress=progress)
    assert seen == ["scoring (pass 1)", "scoring (pass 2)"]
    assert all(s.calls == {"masks": 2, "output": 2} for s in sources)


def test_sweep_stream_loads_each_image_once():
    sources = []
    for truth, ignore, scores, sid in _items():
        sources.append(CountingSource(truth, ignore, np.stack([scores >= 0.3, scores >= 0.7]), sid))
    total = sweep_stream([s.source for s in sources], protocol=PROTOCOL, values=[0.3, 0.7])
    assert all(s.calls == {"masks": 1, "output": 1} for s in sources)
    expected = sum(SweepCounts.from_image(t, i, np.stack([s >= 0.3, s >= 0.7]), values=[0.3, 0.7], protocol=PROTOCOL)
                   for t, i, s, _ in _items())
    assert total == expected


def test_empty_streams_give_none():
    assert score_stream([], protocol=PROTOCOL, operating_point=0.5) is None
    assert sweep_stream([], protocol=PROTOCOL, values=[1.0]) is None
    with pytest.raises(ValueError, match="at least one image"):
        score_images([])


def test_score_images_runs_the_stream(monkeypatch):
    calls = []
    real = summary_module.score_stream

    def spy(sources, **kwargs):
        calls.append(kwargs)
        return real(sources, **kwargs)

    monkeypatch.setattr(summary_module, "score_stream", spy)
    score_images(_items(), protocol=PROTOCOL, operating_point=0.25)
    assert calls == [{"protocol": PROTOCOL, "operating_point": 0.25}]
