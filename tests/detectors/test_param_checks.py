"""Detector parameters are type-checked against their declared defaults before a run."""

import pytest

from crbench.detectors.param_checks import check_param_types
from crbench.errors import InputError
from crbench.jobs.build import build_detector
from tests.hostile_plugins import TypedParams


@pytest.mark.parametrize("params", [
    {"factor": 2}, {"factor": 2.5}, {"count": 3}, {"mode": "slow"}, {"flag": False}, {"anything": "x"},
    {"anything": [1, "a"]}, {"threshold": 0.3}, {"unknown_is_left_to_the_detector": object()},
])
def test_values_of_the_declared_type_pass(params):
    check_param_types(TypedParams, params)


@pytest.mark.parametrize("params, expected", [
    ({"factor": "abc"}, "'factor' must be a number"),
    ({"factor": True}, "'factor' must be a number"),
    ({"factor": None}, "'factor' must be a number"),
    ({"count": 2.5}, "'count' must be an integer"),
    ({"mode": 123}, "'mode' must be a string"),
    ({"flag": "yes please"}, "'flag' must be true or false"),
    ({"threshold": [0.5]}, "'threshold' must be a number"),
])
def test_values_of_another_type_are_refused_naming_the_parameter(params, expected):
    with pytest.raises(InputError, match=f"detector 'typed_params': parameter {expected}"):
        check_param_types(TypedParams, params)


def test_a_sweep_must_be_a_list_of_numbers():
    with pytest.raises(InputError, match="'sweep' must be a list of numbers"):
        build_detector("astroscrappy", {"sweep": 5})
    with pytest.raises(InputError, match="'sweep' must be a list of numbers"):
        build_detector("astroscrappy", {"sweep": [4, "six"]})


def test_an_integer_for_a_float_is_kept_as_given_so_hashes_do_not_change():
    detector = build_detector("astroscrappy", {"sigclip": 6})
    assert detector.params["sigclip"] == 6 and isinstance(detector.params["sigclip"], int)
