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


@pytest.mark.parametrize("text, problem", [
    ("seed=!!python/object/apply:os.system ['true']", "could not determine a constructor"),
    ("seed='abc", "found unexpected end of stream"),
    ('seed="abc', "found unexpected end of stream"),
    ("seed=[1, 2", "expected ',' or ']'"),
])
def test_parse_key_values_names_the_key_of_a_value_that_is_not_plain_yaml(text, problem):
    with pytest.raises(InputError, match=f"cannot read the value of 'seed'.*{problem}") as raised:
        parse_key_values(text)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
