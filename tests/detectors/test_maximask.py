"""The MaxiMask adapter returns upstream's CR probability (needs crbench[maximask])."""

import numpy as np
import pytest

from crbench.detectors import get_detector_class
from crbench.detectors.maximask_adapter import BLOCK_SIZE, MaxiMask
from crbench.errors import MissingDependencyError
from crbench.inputs import prepare_input

from ._helpers import scene


def test_registered_with_paper_operating_point():
    assert get_detector_class("maximask") is MaxiMask
    detector = MaxiMask()
    assert detector.operating_point == 0.43
    assert detector.dilate_output is False
    assert detector.input_units == "adu"
    assert MaxiMask.install_hint == "pip install crbench[maximask]"


def test_missing_extra_names_the_install_command(monkeypatch):
    monkeypatch.setattr(MaxiMask, "requires", ("crbench_no_such_tensorflow",))
    with pytest.raises(MissingDependencyError, match=r"pip install crbench\[maximask\]"):
        MaxiMask().setup(device="cpu")


@pytest.fixture(scope="module")
def detector():
    if MaxiMask.missing_requirements():
        pytest.skip("MaxiMask needs its extra: pip install crbench[maximask]")
    detector = MaxiMask()
    detector.setup(device="cpu")
    return detector


def _upstream_cr_probability(detector, image_adu):
    """Upstream's own preprocessing and block inference, CR class, no priors, no threshold."""
    from maximask_and_maxitrack import utils

    normalised, _ = utils.image_norm(image_adu)
    out = np.zeros(image_adu.shape + (1,), dtype=np.float32)
    detector.inference.process_image(normalised, out, detector.model)
    return out[..., 0]


def test_matches_upstream_and_converts_units(detector):
    # 400 x 800 = 3 blocks with batch_size 2: one full batch and a partial one
    detector.inference.batch_size = 2
    electrons = scene((BLOCK_SIZE, 2 * BLOCK_SIZE), seed=1, gain=2.0, n_crs=30)
    image, meta = prepare_input(electrons, detector=detector)
    assert meta.units == "adu"
    scores = detector.detect(image, meta=meta)
    expected = _upstream_cr_probability(detector, electrons.image / np.float32(2.0))
    detector.inference.batch_size = detector.params["batch_size"]
    np.testing.assert_allclose(scores, expected, atol=1e-6)
    assert (scores > detector.operating_point).sum() > 0


def test_small_frames_are_padded_not_refused(detector):
    sample = scene((50, 70), seed=2, units="adu", gain=2.0)
    scores = detector.detect(sample.image, meta=sample.meta)
    assert scores.shape == (50, 70)
    assert scores.dtype == np.float32


def test_all_zero_frame_gives_zero_probability(detector):
    scores = detector.detect(np.zeros((20, 30), dtype=np.float32), meta=scene((20, 30)).meta)
    assert not scores.any()


def test_crbench_list_says_how_to_install_the_extra(monkeypatch):
    from crbench.commands.listing import detector_rows

    monkeypatch.setattr(MaxiMask, "requires", ("crbench_no_such_tensorflow",))
    (row,) = [row for row in detector_rows() if row["name"] == "maximask"]
    assert row["status"] == "missing crbench_no_such_tensorflow"
    assert row["fix"] == "pip install crbench[maximask]"
