"""Checks of what a detector registry entry loads, before anything is built or run.

A registry entry (built-in, entry point, or ``"module:Class"`` on the command
line) must load a concrete :class:`~crbench.detectors.Detector` subclass whose
``name`` is a safe identifier: the name becomes part of record file names and
cache folders, so ``""`` or ``"../x"`` would put files outside ``--output``.

These checks live here, not in :mod:`crbench.detectors.base`, because the
source of ``base.py`` is part of every detector's score-cache key.
"""

import inspect
import re

from ..allocator import retain_freed_memory
from ..errors import CRBenchError, PluginError
from .base import Detector

__all__ = ["DETECTOR_NAME_PATTERN", "check_detector_class", "check_detector_name", "set_up_detector"]

#: What a detector ``name`` must match: lower case, digits and ``_``, starting with a letter, at most 64 characters.
DETECTOR_NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,63}")


def check_detector_name(name, *, where):
    """Raise :class:`~crbench.errors.PluginError` unless ``name`` matches :data:`DETECTOR_NAME_PATTERN`.

    Parameters
    ----------
    name : object
        The class attribute ``name``.
    where : str
        The plug-in, as named in the message.
    """
    if not isinstance(name, str) or not DETECTOR_NAME_PATTERN.fullmatch(name):
        raise PluginError(
            f"detector plug-in {where} declares name = {name!r}, which is not a safe identifier: use lower-case "
            "letters, digits and '_', starting with a letter, at most 64 characters (e.g. name = \"my_detector\"); "
            "the name becomes part of record and cache file names"
        )


def check_detector_class(obj, entry):
    """Raise :class:`~crbench.errors.PluginError` unless ``obj`` is a usable detector class.

    Parameters
    ----------
    obj : object
        What the registry entry loaded.
    entry : crbench.registry.RegistryEntry
        The entry (its target and source are named in the message).
    """
    where = f"{entry.target!r} ({entry.source})"
    if not (isinstance(obj, type) and issubclass(obj, Detector)):
        kind = type(obj).__name__ if not isinstance(obj, type) else f"class {obj.__qualname__}"
        raise PluginError(
            f"detector plug-in {where} is a {kind}, not a Detector: point it at a subclass of "
            "crbench.detectors.Detector ('package.module:Class')"
        )
    if inspect.isabstract(obj):
        missing = ", ".join(sorted(obj.__abstractmethods__))
        raise PluginError(
            f"detector plug-in {where} is abstract: class {obj.__qualname__} does not implement {missing}; "
            "define detect(self, image, *, meta) returning a score map or mask"
        )
    check_detector_name(obj.name, where=where)


def set_up_detector(detector, *, device):
    """Call ``detector.setup(device=device)``; a failure that is not crbench's own names the plug-in.

    crbench's own errors (a missing dependency, a weights checksum mismatch)
    already name the file and the fix and pass through unchanged.

    Raises
    ------
    PluginError
        When ``setup()`` raised anything else (the original is chained).
    """
    if "torch" in detector.requires:
        # speed only: large activations stop being page-faulted in afresh on every forward pass
        retain_freed_memory()
    try:
        detector.setup(device=device)
    except CRBenchError:
        raise
    except Exception as error:  # noqa: BLE001 - a plug-in's setup may raise anything
        cls = type(detector)
        raise PluginError(
            f"detector {detector.name!r} ({cls.__module__}:{cls.__qualname__}) failed in setup(device={device!r}): "
            f"{type(error).__name__}: {error}. Fix the plug-in's setup() (its weights, files or dependencies); "
            f"'crbench mock-run {cls.__module__}:{cls.__qualname__}' checks it in seconds"
        ) from error
