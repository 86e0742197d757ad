"""The deepCR adapter returns upstream's probability map for each shipped model."""

import numpy as np
import pytest
import torch
from deepCR import deepCR

from crbench.detectors import get_detector_class
from crbench.detectors.deepcr_adapter import DEEPCR_MODELS, DeepCRPretrained
from crbench.errors import InputError
from crbench.inputs import prepare_input

from ._helpers import scene


@pytest.fixture(scope="module")
def decam():
    detector = DeepCRPretrained()
    detector.setup(device="cpu")
    return detector


def test_registered_with_decam_default():
    assert get_detector_class("deepcr_pretrained") is DeepCRPretrained
    detector = DeepCRPretrained()
    assert detector.params["model"] == "decam"
    assert detector.input_units == "adu"
    assert detector.dilate_output is False  # trained on dilated DECam masks
    assert detector.info()["training_datasets"] == ["decam"]


@pytest.mark.parametrize("model", ["ACS-WFC", "WFC3-UVIS"])
def test_hst_models_take_electrons_and_are_dilated(model):
    detector = DeepCRPretrained(model=model)
    assert detector.input_units == "electron"
    assert detector.dilate_output is True
    assert detector.info()["input_units"] == "electron"


def test_card_protocol_can_switch_model_and_units():
    detector = DeepCRPretrained()
    detector.apply_protocol({"model": "ACS-WFC"})
    assert detector.input_units == "electron"


def test_unknown_model_is_refused_with_the_choices():
    with pytest.raises(InputError, match="decam, ACS-WFC, WFC3-UVIS"):
        DeepCRPretrained(model="WFPC2")


def test_shipped_models_exist_in_the_installed_package():
    from learned_models import mask_dict

    assert set(DEEPCR_MODELS) <= set(mask_dict)


def test_matches_upstream_clean_and_converts_electrons_to_adu(decam):
    electrons = scene((96, 128), seed=1, gain=2.0)
    image, meta = prepare_input(electrons, detector=decam)
    np.testing.assert_allclose(image, electrons.image / 2.0, rtol=1e-6)
    scores = decam.detect(image, meta=meta)
    reference = deepCR(mask="decam", device="CPU")
    with torch.no_grad():
        expected = reference.clean(electrons.image / np.float32(2.0), binary=False, inpaint=False)
    assert scores.dtype == np.float32
    np.testing.assert_allclose(scores, expected, atol=1e-6)
    assert (scores > 0.5).sum() > 0


def test_acs_wfc_model_matches_upstream():
    detector = DeepCRPretrained(model="ACS-WFC")
    detector.setup(device="cpu")
    sample = scene((64, 96), seed=2)
    reference = deepCR(mask="ACS-WFC", device="CPU")
    with torch.no_grad():
        expected = reference.clean(sample.image, binary=False, inpaint=False)
    np.testing.assert_allclose(detector.detect(sample.image, meta=sample.meta), expected, atol=1e-6)


def test_nan_pixels_do_not_spread(decam):
    sample = scene((64, 64), seed=3, units="adu", gain=2.0)
    image = sample.image.copy()
    image[30, 30] = np.nan
    scores = decam.detect(image, meta=sample.meta)
    assert np.isfinite(scores).all()
    assert np.isnan(image[30, 30])
