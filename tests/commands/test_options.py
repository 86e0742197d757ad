import pytest

from crbench.commands.options import build_detector, parse_key_values
from crbench.errors import InputError, UnknownNameError


def test_parse_key_values_reads_yaml_scalars_and_lists():
    assert parse_key_values("a=1,b=2.5,c=[1, 2],d=decam,e=true") == {
        "a": 1, "b": 2.5, "c": [1, 2], "d": "decam", "e": True,
    }
    assert parse_key_values("") == {}


def test_parse_key_values_rejects_missing_equals():
    with pytest.raises(InputError, match="expected key=value"):
        parse_key_values("sigclip")


def test_build_detector_passes_parameters_and_suggests_names():
    assert build_detector("constant", "value=0.25").params["value"] == 0.25
    with pytest.raises(UnknownNameError, match="constant"):
        build_detector("constnt", "")
