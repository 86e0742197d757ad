"""Type checks of user-given detector parameters against the detector's declared defaults.

A detector declares its parameters with their defaults
(:meth:`~crbench.detectors.Detector.accepted_params`); the type of a default
is the type a value must have. Checking before the run means ``value=abc``
for a float fails at once, naming the parameter, instead of failing on every
image. Values are checked, never converted: ``sigclip=6`` for a float stays
the integer 6, so parameter hashes (and every record and cache key) are
unchanged.

Lives beside, not in, :mod:`crbench.detectors.base`, whose source is part of
every detector's score-cache key.
"""

import numbers

from ..errors import InputError

__all__ = ["check_param_types"]


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _expected(default):
    """``(test, description)`` of the values a parameter with ``default`` accepts; None accepts anything."""
    if default is None:
        return None
    if isinstance(default, bool):
        return (lambda value: isinstance(value, bool)), "true or false"
    if isinstance(default, numbers.Integral):
        return (lambda value: isinstance(value, numbers.Integral) and not isinstance(value, bool)), "an integer"
    if isinstance(default, numbers.Real):
        return _is_number, "a number"
    if isinstance(default, str):
        return (lambda value: isinstance(value, str)), "a string (quote a value that looks like a number)"
    if isinstance(default, (list, tuple)):
        if all(_is_number(item) for item in default):
            return (lambda value: isinstance(value, (list, tuple)) and all(_is_number(item) for item in value),
                    "a list of numbers, e.g. [1, 2, 3]")
        return (lambda value: isinstance(value, (list, tuple))), "a list"
    if isinstance(default, dict):
        return (lambda value: isinstance(value, dict)), "a mapping"
    return None


def check_param_types(detector_cls, params):
    """Raise :class:`~crbench.errors.InputError` when a value does not have its default's type.

    Parameters
    ----------
    detector_cls : type
        A :class:`~crbench.detectors.Detector` subclass.
    params : dict
        User-given parameters. Names the detector does not declare are left
        to the detector (which rejects unknown names and handles optional
        ones such as ``sweep_refinement``); a parameter whose default is
        None accepts any value.

    Raises
    ------
    InputError
        Naming the detector, the parameter, the value and the expected type.
    """
    accepted = detector_cls.accepted_params()
    for name, value in (params or {}).items():
        if name not in accepted:
            continue
        expected = _expected(accepted[name])
        if expected is None:
            continue
        test, description = expected
        if not test(value):
            raise InputError(
                f"detector {detector_cls.name!r}: parameter {name!r} must be {description} "
                f"(default {accepted[name]!r}), got {value!r} ({type(value).__name__}); "
                f"e.g. --detector-args {name}={accepted[name]!r}"
            )
