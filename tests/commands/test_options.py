import pytest

from crbench.commands.options import parse_key_values
from crbench.errors import InputError


def test_parse_key_values_reads_yaml_scalars_and_lists():
    assert parse_key_values("a=1,b=2.5,c=[1, 2],d=decam,e=true") == {
        "a": 1, "b": 2.5, "c": [1, 2], "d": "decam", "e": True,
    }
    assert parse_key_values("") == {}


def test_parse_key_values_rejects_missing_equals():
    with pytest.raises(InputError, match="expected key=value"):
        parse_key_values("sigclip")
