"""Name -> class registries for detectors and data sets.

Built-in entries are ``"module:attr"`` strings resolved only when used, so
that ``crbench list`` does not import torch or TensorFlow. Third-party
plug-ins come from the Python entry-point groups ``crbench.detectors`` and
``crbench.datasets``. A name given as ``"pkg.module:Class"`` is imported
directly, with the working directory on the import path (as ``python -m``
and pytest do), so ``--detector mymod:MyDet`` works from the folder holding
``mymod.py``. A plug-in never replaces a built-in name; two plug-ins claiming one
name is an error naming both sources. A plug-in whose module cannot be
imported raises :class:`~crbench.errors.PluginImportError` naming the
plug-in and the fix, and a registry may check what it loaded (``check``).

A plug-in that claims a built-in name is never used in its place, and never
ignored silently: :meth:`Registry.shadowed` lists such entry points (``crbench
list`` warns about each), and asking for that name raises
:class:`~crbench.errors.DuplicateNameError` naming the entry point and the
built-in, because the user may have meant either.
"""

import difflib
import importlib
import os
import sys
from dataclasses import dataclass
from importlib.metadata import entry_points

from .errors import DuplicateNameError, PluginImportError, UnknownNameError

#: ``source`` of an entry given as ``"module:attr"`` on the command line.
IMPORT_PATH_SOURCE = "import path"

__all__ = ["IMPORT_PATH_SOURCE", "Registry", "RegistryEntry"]


@dataclass(frozen=True)
class RegistryEntry:
    """One registered name.

    Attributes
    ----------
    name : str
        Registry name, e.g. ``"astroscrappy"``.
    target : str
        ``"module:attr"`` import string of the class.
    source : str
        Where the entry came from: ``"built-in"`` or ``"entry point of <dist>"``.
    """

    name: str
    target: str
    source: str

    def load(self):
        """Import and return the registered object.

        Raises
        ------
        PluginImportError
            When the module is missing, misspelt, lacks a dependency or raises
            at import (the message names the plug-in and the fix).
        UnknownNameError
            When the module has no such attribute.
        """
        module_name, _, attr = self.target.partition(":")
        if not attr or not module_name:
            raise ValueError(f"registry target {self.target!r} of {self.name!r} is not 'module:attr'")
        if self.source == IMPORT_PATH_SOURCE:
            _working_directory_on_path()
        module = self._import(module_name)
        try:
            return getattr(module, attr)
        except AttributeError as err:
            raise UnknownNameError(
                f"{self.name!r} points at {self.target!r} ({self.source}), "
                f"but module {module_name!r} has no attribute {attr!r}"
            ) from err

    def _import(self, module_name):
        """Import ``module_name``; turn every failure into a :class:`PluginImportError` naming the fix."""
        where = f"{self.name!r} ({self.source})"
        try:
            return importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            missing = err.name or ""
            if module_name == missing or module_name.startswith(f"{missing}."):
                top = module_name.split(".")[0]
                raise PluginImportError(
                    f"cannot import {where}: there is no module {missing!r}. Check the spelling of "
                    f"{self.target!r}, install the package that provides it, or run crbench from the folder "
                    f"holding {top}.py (the working directory is on the import path of 'module:Class' names)"
                ) from err
            raise PluginImportError(
                f"cannot import {where}: its module {module_name!r} imports {missing!r}, which is not installed; "
                f"run: pip install {missing.split('.')[0]}"
            ) from err
        except Exception as err:  # noqa: BLE001 - a plug-in module may raise anything at import
            raise PluginImportError(
                f"cannot import {where}: importing {module_name!r} raised {type(err).__name__}: {err}; "
                "fix that module or uninstall the plug-in"
            ) from err


def _working_directory_on_path():
    """Put the working directory first on ``sys.path`` unless it is there (``""`` means it too).

    ``python -m`` and pytest do the same; an installed ``crbench`` script does
    not, so ``--detector mymod:MyDet`` would not find ``./mymod.py`` without it.
    Spawned worker processes inherit ``sys.path``.
    """
    cwd = os.getcwd()
    if not any(entry in ("", ".", cwd) for entry in sys.path):
        sys.path.insert(0, cwd)


class Registry:
    """A lazily resolved registry of one kind of plug-in.

    Parameters
    ----------
    kind : str
        Human-readable kind, used in messages (``"detector"``).
    group : str
        Entry-point group scanned for plug-ins (``"crbench.detectors"``).
    builtins : dict of str to str
        Built-in names mapped to ``"module:attr"`` strings.
    check : callable, optional
        ``check(obj, entry)`` is called on every object :meth:`get` loads
        and raises when it is not usable (e.g. not a Detector class).
    """

    def __init__(self, kind, group, builtins, *, check=None):
        self.kind = kind
        self.group = group
        self._check = check
        self._builtins = {
            name: RegistryEntry(name, target, "built-in") for name, target in builtins.items()
        }
        # filled together by _scan_plugins (tests may set _plugins alone: the others then stay empty)
        self._plugins = None
        self._shadowed = []
        self._clashes = []

    def _scan_plugins(self):
        """Read the entry-point group once: plug-ins, plug-ins claiming a built-in name, and plug-in clashes."""
        if self._plugins is not None:
            return
        plugins, shadowed, clashes = {}, [], []
        for ep in entry_points(group=self.group):
            dist = getattr(ep, "dist", None)
            source = f"entry point {ep.name!r} of {dist.name if dist else 'unknown distribution'}"
            if ep.name in self._builtins:
                # a plug-in never replaces a built-in; one that registers the very same class is harmless
                if ep.value != self._builtins[ep.name].target:
                    shadowed.append(RegistryEntry(ep.name, ep.value, source))
                continue
            if ep.name in plugins and plugins[ep.name].target != ep.value:
                clashes.append(
                    f"{self.kind} name {ep.name!r} is registered twice: "
                    f"{plugins[ep.name].source} ({plugins[ep.name].target}) and "
                    f"{source} ({ep.value}); uninstall one of them"
                )
                continue
            plugins[ep.name] = RegistryEntry(ep.name, ep.value, source)
        self._plugins, self._shadowed, self._clashes = plugins, shadowed, clashes

    def _plugin_entries(self):
        """The plug-in entries by name; raises :class:`DuplicateNameError` when two plug-ins claim one name."""
        self._scan_plugins()
        if self._clashes:
            raise DuplicateNameError(self._clashes[0])
        return self._plugins

    def shadowed(self):
        """Plug-in entries that claim a built-in name (with another target); never used.

        Returns
        -------
        list of RegistryEntry
            The plug-ins' entries (``source`` names the entry point and its distribution).
        """
        self._scan_plugins()
        return list(self._shadowed)

    def shadow_message(self, entry):
        """The warning (or error) text for a plug-in ``entry`` that claims a built-in name."""
        builtin = self._builtins[entry.name]
        return (f"{entry.source} ({entry.target}) claims the built-in {self.kind} name {entry.name!r} "
                f"({builtin.target}); crbench never lets a plug-in replace a built-in. Rename the plug-in's "
                f"entry point in its package metadata, or uninstall it")

    def entries(self):
        """Return all registered entries, built-ins first, sorted by name."""
        merged = dict(sorted(self._builtins.items()))
        for name, entry in sorted(self._plugin_entries().items()):
            merged.setdefault(name, entry)
        return list(merged.values())

    def names(self):
        """Return all registered names."""
        return [entry.name for entry in self.entries()]

    def entry(self, name):
        """Return the :class:`RegistryEntry` for ``name`` or raise with a suggestion."""
        if ":" in name and name not in self._builtins:
            return RegistryEntry(name, name, IMPORT_PATH_SOURCE)
        if name in self._builtins:
            # two plug-ins clashing over another name do not block a built-in; one claiming this name does
            claims = [entry for entry in self.shadowed() if entry.name == name]
            if claims:
                raise DuplicateNameError(
                    f"{self.kind} name {name!r} is ambiguous: " + "; ".join(map(self.shadow_message, claims)))
            return self._builtins[name]
        plugins = self._plugin_entries()
        if name in plugins:
            return plugins[name]
        close = difflib.get_close_matches(name, self.names(), n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise UnknownNameError(
            f"unknown {self.kind} {name!r}.{hint} Run 'crbench list {self.kind}s' to see them all, "
            f"or pass an import path 'package.module:Class'."
        )

    def get(self, name):
        """Import and return the class registered as ``name`` (checked by ``check`` when given)."""
        entry = self.entry(name)
        loaded = entry.load()
        if self._check is not None:
            self._check(loaded, entry)
        return loaded
