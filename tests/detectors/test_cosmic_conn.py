"""The Cosmic-CoNN adapters run upstream's network and fix its tiling quirks."""

import numpy as np
import pytest
import torch

from crbench.detectors import get_detector_class
from crbench.detectors.cosmic_conn_adapter import (
    CosmicCoNNHST,
    CosmicCoNNNRES,
    CosmicCoNNPretrained,
    even_stamp_size,
)
from crbench.errors import InputError
from crbench.inputs import prepare_input

from ._helpers import scene


@pytest.fixture(scope="module")
def detector():
    detector = CosmicCoNNPretrained()
    detector.setup(device="cpu")
    return detector


@pytest.mark.parametrize(
    ("name", "cls", "upstream"),
    [
        ("cosmic_conn_pretrained", CosmicCoNNPretrained, "ground_imaging"),
        ("cosmic_conn_hst", CosmicCoNNHST, "HST_ACS_WFC"),
        ("cosmic_conn_nres", CosmicCoNNNRES, "NRES"),
    ],
)
def test_registered_models(name, cls, upstream):
    assert get_detector_class(name) is cls
    assert cls.upstream_model == upstream
    assert cls.input_units == "electron"
    assert cls.dilate_output is True
    assert cls.output_kind == "score" and cls.default_threshold == 0.5


def test_single_stamp_equals_upstream_detect_cr(detector):
    # a frame that fits one upstream stamp and is a multiple of 16: upstream
    # median-subtracts it and runs the network once, exactly as the adapter does
    sample = scene((128, 160), seed=1)
    expected = detector.model.detect_cr(sample.image.copy(), ret_numpy=True)
    scores = detector.detect(sample.image, meta=sample.meta)
    np.testing.assert_allclose(scores, expected, atol=1e-6)
    assert (scores > 0.5).sum() > 0


def test_units_conversion_from_adu(detector):
    adu = scene((128, 128), seed=2, gain=2.0, units="adu")
    image, meta = prepare_input(adu, detector=detector)
    assert meta.units == "electron"
    np.testing.assert_allclose(image, adu.image * 2.0, rtol=1e-6)
    expected = detector.model.detect_cr(adu.image * np.float32(2.0), ret_numpy=True)
    np.testing.assert_allclose(detector.detect(image, meta=meta), expected, atol=1e-6)


def test_upstream_mutates_nan_but_the_adapter_does_not(detector):
    sample = scene((64, 64), seed=3)
    image = sample.image.copy()
    image[3, 4] = np.nan
    upstream_input = image.copy()
    detector.model.detect_cr(upstream_input)
    assert not np.isnan(upstream_input[3, 4])  # the upstream quirk this adapter avoids
    scores = detector.detect(image, meta=sample.meta)
    assert np.isnan(image[3, 4])
    assert np.isfinite(scores).all()


def test_edge_pixels_are_scored_where_upstream_leaves_zero(detector):
    sample = scene((100, 100), seed=4, n_crs=0)
    image = sample.image.copy()
    image[-1, 50:53] += 3000
    image[-2, 52:54] += 3000
    image[40:43, -1] += 3000
    upstream = detector.model.detect_cr(image.copy(), ret_numpy=True)
    assert (upstream[96:, :] == 0).all() and (upstream[:, 96:] == 0).all()
    scores = detector.detect(image, meta=sample.meta)
    assert (scores[-1, 50:53] > 0.5).all()
    assert (scores[40:43, -1] > 0.5).all()


def test_overlapping_stamps_avoid_seam_false_positives(detector):
    from cosmic_conn.dl_framework.utils_ml import clean_large

    sample = scene((320, 320), seed=5, n_crs=80)
    whole = detector.detect(sample.image, meta=sample.meta)  # one 320-px stamp: no seams
    tiled = CosmicCoNNPretrained(stamp=128, margin=16)
    tiled.model = detector.model
    overlapping = tiled.detect(sample.image, meta=sample.meta)
    with torch.no_grad():
        seamed = clean_large(sample.image.copy(), detector.model.network, patch=128, overlap=0).numpy()
    disagree_overlap = (overlapping > 0.5) != (whole > 0.5)
    disagree_seamed = (seamed > 0.5) != (whole > 0.5)
    # seam lines of 128-px tiles, +-3 px: where cutting without overlap goes wrong
    near_seams = np.zeros(whole.shape, dtype=bool)
    for seam in (128, 256):
        near_seams[seam - 3:seam + 3, :] = near_seams[:, seam - 3:seam + 3] = True
    assert int(disagree_overlap.sum()) <= 3  # GroupNorm statistics of smaller stamps, anywhere
    assert int(disagree_overlap[near_seams].sum()) == 0
    assert int(disagree_seamed[near_seams].sum()) >= 3


@pytest.mark.parametrize(
    ("length", "stamp", "margin", "expected"),
    [(512, 1024, 32, 512), (4096, 1024, 32, 880), (2048, 1024, 32, 736), (1040, 1024, 32, 560)],
)
def test_even_stamp_size(length, stamp, margin, expected):
    side = even_stamp_size(length, stamp=stamp, margin=margin)
    assert side == expected
    assert side % 16 == 0 and side <= stamp
    n_stamps = -(-(length - 2 * margin) // (stamp - 2 * margin)) if length > stamp else 1
    assert n_stamps * (side - 2 * margin) + 2 * margin >= length


def test_bad_stamp_parameters_are_refused():
    with pytest.raises(InputError, match="multiple of 16"):
        CosmicCoNNPretrained(stamp=1000)
    with pytest.raises(InputError, match="2 \\* margin"):
        CosmicCoNNPretrained(stamp=64, margin=32)
