"""Field-by-field reading of record JSON with errors that name the file and the field.

Every typed record part reads its dict through one :class:`FieldReader`, so
that a malformed file fails with ``"<file>: field 'dataset.n_images' must be
an integer, got '12'"`` instead of a ``KeyError`` deep in the leaderboard.
Keys a part does not know are kept (:meth:`FieldReader.rest`) and written
back, so loading never loses information.
"""

import json
import math
from pathlib import Path

from ..errors import InputError

__all__ = ["RecordError", "FieldReader", "is_finite_number", "read_json_file"]


class RecordError(InputError):
    """A run or bench record does not have the documented structure."""


# kind name -> (test, description used in errors)
_KINDS = {
    "str": (lambda value: isinstance(value, str), "a string"),
    "int": (lambda value: isinstance(value, int) and not isinstance(value, bool), "an integer"),
    "number": (lambda value: isinstance(value, (int, float)) and not isinstance(value, bool), "a number"),
    "bool": (lambda value: isinstance(value, bool), "true or false"),
    "dict": (lambda value: isinstance(value, dict), "an object"),
    "list": (lambda value: isinstance(value, list), "a list"),
    "any": (lambda value: True, "anything"),
}


def read_json_file(path, *, fix="delete it and re-run the command that wrote it"):
    """Parse the JSON file at ``path``; every way it can be unreadable is a :class:`RecordError` naming it.

    Besides invalid JSON this covers unreadable files, bytes that are not
    UTF-8 and nesting too deep for the parser (a hostile file of a few KB
    with 100000 nested brackets raised a bare ``RecursionError``).
    """
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise RecordError(f"{path} is not valid JSON ({error}); {fix}") from error
    except RecursionError as error:
        raise RecordError(f"{path} is nested too deeply to be a crbench file; {fix}") from error
    except (OSError, UnicodeDecodeError) as error:
        raise RecordError(f"cannot read {path}: {error}; {fix}") from error


def is_finite_number(value):
    """True for an int or a finite float (bools excluded)."""
    return _KINDS["number"][0](value) and math.isfinite(value)


class FieldReader:
    """Read typed fields of one JSON object of a record.

    Parameters
    ----------
    data : object
        The JSON value that must be an object.
    where : str
        Dotted path of ``data`` inside the record (``""`` for the record).
    source : str
        The file (or other origin) named in errors.

    Raises
    ------
    RecordError
        When ``data`` is not a dict.
    """

    def __init__(self, data, *, where, source):
        self.where = where
        self.source = source
        if not isinstance(data, dict):
            raise RecordError(f"{source}: {self._name(None)} must be an object, got {_short(data)}")
        self.data = data
        self._read = set()

    def _name(self, key):
        path = ".".join(part for part in (self.where, key) if part)
        return f"field {path!r}" if path else "the record"

    def path(self, key):
        """Dotted path of ``key`` (for nested readers)."""
        return ".".join(part for part in (self.where, str(key)) if part)

    def get(self, key, kind, *, required=True, nullable=False, default=None):
        """Return ``data[key]`` after checking its kind.

        Parameters
        ----------
        key : str
        kind : {"str", "int", "number", "bool", "dict", "list", "any"}
            ``"number"`` is an int or a float (non-finite floats are allowed
            here; whether they make sense is for the caller to judge).
        required : bool
            Raise when the key is absent (else return ``default``).
        nullable : bool
            Accept JSON null.
        """
        self._read.add(key)
        if key not in self.data:
            if required:
                raise RecordError(f"{self.source}: missing {self._name(key)}; the file is not a complete record "
                                  "(re-create it with the command that wrote it)")
            return default
        value = self.data[key]
        if value is None and (nullable or not required):
            return None
        test, description = _KINDS[kind]
        if not test(value):
            raise RecordError(f"{self.source}: {self._name(key)} must be {description}"
                              f"{' or null' if nullable else ''}, got {_short(value)}")
        return value

    def get_number_list(self, key, kind="number", *, required=True, nullable_items=False):
        """Return a list whose items all have ``kind`` (None items allowed if ``nullable_items``)."""
        values = self.get(key, "list", required=required, nullable=not required)
        if values is None:
            return None
        test, description = _KINDS[kind]
        for index, value in enumerate(values):
            if not (test(value) or (nullable_items and value is None)):
                raise RecordError(f"{self.source}: {self._name(f'{key}[{index}]')} must be {description}, "
                                  f"got {_short(value)}")
        return values

    def choice(self, key, choices, *, required=True):
        """Return ``data[key]``, which must be one of ``choices``."""
        value = self.get(key, "str", required=required)
        if value is not None and value not in choices:
            raise RecordError(f"{self.source}: {self._name(key)} must be one of {list(choices)}, got {value!r}")
        return value

    def rest(self):
        """The items of keys not read so far, in file order."""
        return {key: value for key, value in self.data.items() if key not in self._read}


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
