"""What a detector registry entry may load: a concrete Detector with a safe name."""

import pytest

from crbench.detectors import BUILTIN_DETECTORS, DETECTORS
from crbench.detectors.plugin_checks import DETECTOR_NAME_PATTERN, check_detector_name
from crbench.errors import PluginError, PluginImportError
from tests.hostile_plugins import HOSTILE


def test_every_builtin_detector_loads_and_has_a_safe_name():
    for name in BUILTIN_DETECTORS:
        assert DETECTORS.get(name).name == name


@pytest.mark.parametrize("name", ["", "../escaped", "a/b", "UPPER", "1st", "dash-name", "x" * 65, None, 3])
def test_unsafe_names_are_refused(name):
    assert not (isinstance(name, str) and DETECTOR_NAME_PATTERN.fullmatch(name))
    with pytest.raises(PluginError, match="not a safe identifier"):
        check_detector_name(name, where="'mod:Det'")


@pytest.mark.parametrize("plugin", ["EmptyName", "EscapingName"])
def test_registry_refuses_an_unsafe_name_at_registration(plugin):
    with pytest.raises(PluginError, match=f"{HOSTILE}:{plugin}.*not a safe identifier"):
        DETECTORS.get(f"{HOSTILE}:{plugin}")


def test_registry_refuses_what_is_not_a_concrete_detector():
    with pytest.raises(PluginError, match="is a builtin_function_or_method, not a Detector"):
        DETECTORS.get("os:system")
    with pytest.raises(PluginError, match="is a class OrderedDict, not a Detector"):
        DETECTORS.get("collections:OrderedDict")
    with pytest.raises(PluginError, match="is abstract: class AbstractPlugin does not implement detect"):
        DETECTORS.get(f"{HOSTILE}:AbstractPlugin")


def test_a_missing_dependency_of_a_plugin_module_names_it(tmp_path, monkeypatch):
    (tmp_path / "needs_missing_dep_mod.py").write_text("import not_installed_pkg_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PluginImportError, match="imports 'not_installed_pkg_xyz'.*pip install not_installed_pkg_xyz"):
        DETECTORS.get("needs_missing_dep_mod:Det")
