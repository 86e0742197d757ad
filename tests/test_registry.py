import sys
import textwrap
from importlib.metadata import EntryPoint

import pytest

from crbench import registry as registry_module
from crbench.detectors import DETECTORS, Detector
from crbench.errors import DuplicateNameError, UnknownNameError
from crbench.registry import Registry


def test_builtin_resolves_lazily_to_a_detector_class():
    detector_cls = DETECTORS.get("oracle")
    assert issubclass(detector_cls, Detector)
    assert detector_cls.name == "oracle"


def test_typo_suggests_nearest_name():
    with pytest.raises(UnknownNameError, match="Did you mean 'oracle'"):
        DETECTORS.get("oracel")


def test_import_path_is_accepted():
    assert DETECTORS.get("crbench.detectors.doubles:ConstantDetector").name == "constant"


def test_missing_attribute_in_import_path_is_explained():
    with pytest.raises(UnknownNameError, match="has no attribute 'Nope'"):
        DETECTORS.get("crbench.detectors.doubles:Nope")


def _fake_entry_points(points):
    def entry_points(group):
        return [point for point in points if point.group == group]

    return entry_points


def test_plugins_are_discovered_and_never_replace_a_builtin(monkeypatch):
    points = [
        EntryPoint("mine", "crbench.detectors.doubles:RandomDetector", "test.group"),
        EntryPoint("a", "crbench.detectors.doubles:ConstantDetector", "test.group"),
    ]
    monkeypatch.setattr(registry_module, "entry_points", _fake_entry_points(points))
    registry = Registry("detector", "test.group", {"a": "crbench.detectors.doubles:OracleDetector"})
    assert registry.get("mine").name == "random"
    assert registry.names() == ["a", "mine"]
    # listed as the built-in, never as the plug-in
    assert [(entry.name, entry.source) for entry in registry.entries()][0] == ("a", "built-in")
    # the claim is reported, naming the entry point and both targets
    (claim,) = registry.shadowed()
    assert (claim.name, claim.target) == ("a", "crbench.detectors.doubles:ConstantDetector")
    message = registry.shadow_message(claim)
    assert "entry point 'a'" in message and "ConstantDetector" in message and "OracleDetector" in message


def test_using_a_builtin_name_a_plugin_claims_is_an_error(monkeypatch):
    points = [EntryPoint("a", "crbench.detectors.doubles:ConstantDetector", "test.group")]
    monkeypatch.setattr(registry_module, "entry_points", _fake_entry_points(points))
    registry = Registry("detector", "test.group", {"a": "crbench.detectors.doubles:OracleDetector"})
    with pytest.raises(DuplicateNameError, match=r"'a' is ambiguous: entry point 'a'.*ConstantDetector.*"
                                                 r"built-in detector name 'a' \(crbench.detectors.doubles:OracleDetector\)"):
        registry.get("a")


def test_a_plugin_registering_the_builtin_class_itself_is_harmless(monkeypatch):
    points = [EntryPoint("a", "crbench.detectors.doubles:OracleDetector", "test.group")]
    monkeypatch.setattr(registry_module, "entry_points", _fake_entry_points(points))
    registry = Registry("detector", "test.group", {"a": "crbench.detectors.doubles:OracleDetector"})
    assert registry.shadowed() == [] and registry.get("a").name == "oracle"


def test_clashing_plugins_do_not_block_builtins(monkeypatch):
    points = [EntryPoint("dup", "pkg_one.mod:One", "test.group"), EntryPoint("dup", "pkg_two.mod:Two", "test.group")]
    monkeypatch.setattr(registry_module, "entry_points", _fake_entry_points(points))
    registry = Registry("detector", "test.group", {"a": "crbench.detectors.doubles:OracleDetector"})
    assert registry.get("a").name == "oracle"


def test_duplicate_plugins_fail_naming_both(monkeypatch):
    points = [
        EntryPoint("dup", "pkg_one.mod:One", "test.group"),
        EntryPoint("dup", "pkg_two.mod:Two", "test.group"),
    ]
    monkeypatch.setattr(registry_module, "entry_points", _fake_entry_points(points))
    registry = Registry("detector", "test.group", {})
    with pytest.raises(DuplicateNameError, match="pkg_one.mod:One.*pkg_two.mod:Two"):
        registry.get("dup")


def test_plugin_module_on_path_is_imported(tmp_path, monkeypatch):
    (tmp_path / "my_cr_plugin.py").write_text(
        textwrap.dedent(
            """
            import numpy as np
            from crbench.detectors import Detector

            class Flat(Detector):
                name = "flat"
                version = "1"
                def detect(self, image, *, meta):
                    return np.zeros(image.shape, dtype=np.float32)
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    points = [EntryPoint("flat", "my_cr_plugin:Flat", "crbench.detectors")]
    monkeypatch.setattr(registry_module, "entry_points", _fake_entry_points(points))
    registry = Registry("detector", "crbench.detectors", {})
    assert registry.get("flat").name == "flat"
    sys.modules.pop("my_cr_plugin", None)
