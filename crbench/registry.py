"""Name -> class registries for detectors and data sets.

Built-in entries are ``"module:attr"`` strings resolved only when used, so
that ``crbench list`` does not import torch or TensorFlow. Third-party
plug-ins come from the Python entry-point groups ``crbench.detectors`` and
``crbench.datasets``. A name given as ``"pkg.module:Class"`` is imported
directly. Built-in names win over plug-ins; two plug-ins claiming one name is
an error naming both sources.
"""

import difflib
import importlib
from dataclasses import dataclass
from importlib.metadata import entry_points

from .errors import DuplicateNameError, UnknownNameError

__all__ = ["Registry", "RegistryEntry"]


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
        """Import and return the registered object."""
        module_name, _, attr = self.target.partition(":")
        if not attr:
            raise ValueError(f"registry target {self.target!r} of {self.name!r} is not 'module:attr'")
        module = importlib.import_module(module_name)
        try:
            return getattr(module, attr)
        except AttributeError as err:
            raise UnknownNameError(
                f"{self.name!r} points at {self.target!r} ({self.source}), "
                f"but module {module_name!r} has no attribute {attr!r}"
            ) from err


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
    """

    def __init__(self, kind, group, builtins):
        self.kind = kind
        self.group = group
        self._builtins = {
            name: RegistryEntry(name, target, "built-in") for name, target in builtins.items()
        }
        self._plugins = None

    def _plugin_entries(self):
        if self._plugins is None:
            plugins = {}
            for ep in entry_points(group=self.group):
                dist = getattr(ep, "dist", None)
                source = f"entry point {ep.name!r} of {dist.name if dist else 'unknown distribution'}"
                if ep.name in self._builtins:
                    continue  # built-ins win; a plug-in cannot shadow them
                if ep.name in plugins and plugins[ep.name].target != ep.value:
                    raise DuplicateNameError(
                        f"{self.kind} name {ep.name!r} is registered twice: "
                        f"{plugins[ep.name].source} ({plugins[ep.name].target}) and "
                        f"{source} ({ep.value}); uninstall one of them"
                    )
                plugins[ep.name] = RegistryEntry(ep.name, ep.value, source)
            self._plugins = plugins
        return self._plugins

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
            return RegistryEntry(name, name, "import path")
        if name in self._builtins:
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
        """Import and return the class registered as ``name``."""
        return self.entry(name).load()
