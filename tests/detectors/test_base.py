import numpy as np
import pytest

from crbench.datasets import SampleMeta
from crbench.detectors import Detector, convert_units, params_hash
from crbench.detectors.doubles import ConstantDetector, OracleDetector, RandomDetector
from crbench.errors import InputError, MissingDependencyError


class _Sweeper(Detector):
    name = "sweeper"
    version = "1"
    output_kind = "mask"
    sweep_parameter = "level"
    sweep_grid = (0.2, 0.5, 0.8)
    default_params = {"level": 0.5}

    def detect(self, image, *, meta):
        return image > self.params["level"]


def test_unknown_parameter_is_refused_with_the_accepted_list():
    with pytest.raises(InputError, match="does not accept 'sigma'.*accepted parameters: threshold, value"):
        ConstantDetector(sigma=3)


def test_params_hash_changes_with_parameters_and_version():
    assert ConstantDetector(value=0.1).params_hash != ConstantDetector(value=0.2).params_hash
    assert params_hash("a", "1", {"x": 1}) != params_hash("a", "2", {"x": 1})
    assert ConstantDetector().params_hash == ConstantDetector().params_hash


def test_protocol_applies_unless_user_overrode():
    detector = _Sweeper(level=0.3)
    detector.apply_protocol({"level": 0.9, "sweep": [0.1], "not_a_param": 1})
    assert detector.params["level"] == 0.3
    assert detector.params["sweep"] == [0.1]


def test_detect_sweep_stacks_one_mask_per_value_and_restores_the_parameter():
    image = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    detector = _Sweeper()
    masks = detector.detect_sweep(image, meta=None)
    assert masks.shape == (3, 3, 4)
    for mask, value in zip(masks, (0.2, 0.5, 0.8)):
        np.testing.assert_array_equal(mask, image > value)
    assert detector.params["level"] == 0.5
    assert detector.operating_point == 0.5


def test_convert_units_round_trip_and_no_mutation():
    image = np.array([[1.0, 2.0]], dtype=np.float32)
    electrons = convert_units(image, from_units="adu", to_units="electron", gain=4.0)
    np.testing.assert_allclose(electrons, [[4.0, 8.0]])
    np.testing.assert_allclose(convert_units(electrons, from_units="electron", to_units="adu", gain=4.0), image)
    assert image[0, 0] == 1.0
    with pytest.raises(InputError, match="gain"):
        convert_units(image, from_units="adu", to_units="electron", gain=0.0)


def test_meta_in_units_converts_saturation_and_sky():
    meta = SampleMeta(instrument="x", units="adu", gain=2.0, read_noise=5.0, saturation=1000.0, sky_level=10.0)
    electrons = meta.in_units("electron")
    assert (electrons.saturation, electrons.sky_level, electrons.read_noise) == (2000.0, 20.0, 5.0)
    assert electrons.in_units("adu").saturation == 1000.0


def test_missing_requirement_names_the_install_command():
    class NeedsThing(ConstantDetector):
        name = "needs"
        requires = ("surely_not_installed_module_xyz",)
        install_hint = "pip install crbench[thing]"

    assert NeedsThing.missing_requirements() == ["surely_not_installed_module_xyz"]
    with pytest.raises(MissingDependencyError, match=r"pip install crbench\[thing\]"):
        NeedsThing.check_available()


def test_random_detector_is_reproducible_and_differs_between_images():
    detector = RandomDetector(seed=3)
    image_a = np.zeros((8, 8), np.float32)
    image_b = np.ones((8, 8), np.float32)
    np.testing.assert_array_equal(detector.detect(image_a, meta=None), detector.detect(image_a, meta=None))
    assert not np.array_equal(detector.detect(image_a, meta=None), detector.detect(image_b, meta=None))


def test_oracle_refuses_to_guess_without_truth():
    meta = SampleMeta(instrument="x", units="electron", gain=1.0, read_noise=1.0, saturation=1.0)
    with pytest.raises(InputError, match="needs the truth"):
        OracleDetector().detect(np.zeros((2, 2), np.float32), meta=meta)
