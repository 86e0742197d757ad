"""Every built-in detector passes the shared contract suite."""

import numpy as np
import pytest

from crbench.detectors import BUILTIN_DETECTORS
from crbench.detectors.base import Detector
from crbench.detectors.doubles import ConstantDetector, OracleDetector
from crbench.inputs import prepare_input
from crbench.testing.contract import (
    CONTRACT_CHECKS,
    CONTRACT_GAIN,
    check_detector_contract,
    contract_cases,
    make_contract_sample,
    run_contract_check,
)
from tests.conftest import PUBLISHED_UNETS


@pytest.mark.parametrize(("detector", "check"), contract_cases(sorted(BUILTIN_DETECTORS)))
def test_builtin_detector_contract(detector, check, request):
    if detector in PUBLISHED_UNETS:
        request.getfixturevalue("requires_published_weights")
    run_contract_check(detector, check)


class _MutatingDetector(Detector):
    name = "mutating"
    version = "1"

    def detect(self, image, *, meta):
        image *= 2  # the bug the contract must catch
        return np.zeros(image.shape, dtype=np.float32)


class _WrongRangeDetector(Detector):
    name = "wrong_range"
    version = "1"

    def detect(self, image, *, meta):
        return np.asarray(image, dtype=np.float32) + 1  # raw pixel values, not probabilities


class _NondeterministicDetector(Detector):
    name = "nondeterministic"
    version = "1"

    def detect(self, image, *, meta):
        return np.random.default_rng().uniform(size=np.shape(image)).astype(np.float32)


class _NaNLeakingDetector(Detector):
    name = "nan_leaking"
    version = "1"

    def detect(self, image, *, meta):
        scores = np.zeros(np.shape(image), dtype=np.float32)
        scores[~np.isfinite(image)] = np.nan
        return scores


class _SquareOnlyDetector(Detector):
    name = "square_only"
    version = "1"

    def detect(self, image, *, meta):
        side = min(np.shape(image))
        return np.zeros((side, side), dtype=np.float32)


class _FloatMaskDetector(Detector):
    name = "float_mask"
    version = "1"
    output_kind = "mask"
    sweep_parameter = "level"
    sweep_grid = (1.0, 2.0)
    default_params = {"level": 1.0}

    def detect(self, image, *, meta):
        return np.zeros(np.shape(image), dtype=np.float32)


@pytest.mark.parametrize(
    ("detector_cls", "check", "message"),
    [
        (_MutatingDetector, "no_mutation", "modified the input image"),
        (_WrongRangeDetector, "output", "scores must lie in [0, 1]"),
        (_NondeterministicDetector, "determinism", "differ between two identical calls"),
        (_NaNLeakingDetector, "nan_input", "non-finite scores"),
        (_SquareOnlyDetector, "non_square", "differs from image shape"),
        (_FloatMaskDetector, "output", "must return dtype bool"),
    ],
)
def test_contract_catches_broken_detectors(detector_cls, check, message):
    with pytest.raises(AssertionError, match=message.replace("[", r"\[").replace("]", r"\]")):
        check_detector_contract(detector_cls, checks=[check])


def test_check_detector_contract_reports_every_check():
    timings = check_detector_contract(ConstantDetector, value=0.25)
    assert set(timings) == {"setup", *CONTRACT_CHECKS}
    assert all(seconds >= 0 for seconds in timings.values())


def test_contract_gives_the_oracle_its_truth():
    # the oracle raises without meta.extra["truth"]; prepare_input must supply it
    sample = make_contract_sample(seed=9)
    oracle = OracleDetector()
    image, meta = prepare_input(sample, detector=oracle)
    assert np.array_equal(oracle.detect(image, meta=meta) > 0.5, sample.truth)
    _, meta = prepare_input(sample, detector=ConstantDetector())
    assert "truth" not in meta.extra


def test_prepare_input_converts_to_the_detector_units():
    sample = make_contract_sample(seed=10)

    class _AduDetector(ConstantDetector):
        input_units = "adu"

    image, meta = prepare_input(sample, detector=_AduDetector())
    np.testing.assert_allclose(image, sample.image / CONTRACT_GAIN, rtol=1e-6)
    assert meta.units == "adu"
    assert meta.saturation == pytest.approx(sample.meta.saturation / CONTRACT_GAIN)


def test_contract_cases_skip_detectors_with_missing_requirements():
    class _NeedsMissingModule(ConstantDetector):
        name = "needs_missing"
        requires = ("crbench_no_such_module_xyz",)
        install_hint = "pip install crbench-no-such-package"

    cases = contract_cases([_NeedsMissingModule], checks=["output"])
    assert len(cases) == 1
    (mark,) = cases[0].marks
    assert mark.name == "skip"
    assert "pip install crbench-no-such-package" in mark.kwargs["reason"]
