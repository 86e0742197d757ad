import pytest

from crbench.errors import UnknownNameError
from crbench.jobs import build_dataset, build_detector


def test_build_detector_passes_parameters_and_suggests_names():
    assert build_detector("constant", {"value": 0.25}).params["value"] == 0.25
    with pytest.raises(UnknownNameError, match="constant"):
        build_detector("constnt")


def test_build_dataset_returns_the_kwargs_that_rebuild_it(tmp_path):
    dataset, kwargs = build_dataset("tiny", size="default")
    assert kwargs == {"size": "default"}
    assert type(dataset)(**kwargs).sample_ids("test") == dataset.sample_ids("test")
