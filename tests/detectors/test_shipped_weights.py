"""The weights upstream packages ship are verified and loaded weights-only (issue 16).

cosmic_conn and deepCR ``torch.load`` their ``.pth`` files without ``weights_only``; with
``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`` a tampered file in site-packages ran pickled code.
"""

import hashlib
import importlib.metadata
import os
import shutil
from pathlib import Path

import pytest
import torch

from crbench.detectors.cosmic_conn_adapter import CosmicCoNNPretrained
from crbench.detectors.deepcr_adapter import DeepCRPretrained
from crbench.detectors.shipped_weights import (
    SHIPPED_SHA256,
    VERIFIED_VERSIONS,
    expected_sha256,
    upstream_loads_verified,
    verified_state,
)
from crbench.errors import ChecksumError


class _RunsCodeWhenUnpickled:
    """Unpickling this creates the directory ``marker`` (what a hostile weights file would do)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


def sha256_file(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _tampered_copy(source, target):
    target.parent.mkdir(parents=True, exist_ok=True)
    data = bytearray(source.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one byte
    target.write_bytes(bytes(data))


def _hostile_file(target, marker):
    target.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"weight": _RunsCodeWhenUnpickled(marker)}, target)


@pytest.mark.parametrize("distribution", sorted(SHIPPED_SHA256))
def test_recorded_hashes_match_the_installed_release(distribution):
    installed = importlib.metadata.version(distribution)
    if installed != VERIFIED_VERSIONS[distribution]:
        pytest.skip(f"{distribution} {installed} installed; hashes recorded for {VERIFIED_VERSIONS[distribution]}")
    shipped = {file.name if distribution == "cosmic-conn" else "/".join(file.parts[-2:]): file.locate()
               for file in importlib.metadata.files(distribution) if str(file).endswith(".pth")
               and "inpaint" not in file.parts}
    assert set(shipped) == set(SHIPPED_SHA256[distribution])
    for name, path in shipped.items():
        assert sha256_file(path) == expected_sha256(distribution, name), name


def _deepcr_in(monkeypatch, folder):
    from deepCR import model as deepcr_model

    monkeypatch.setattr(deepcr_model, "default_model_path", str(folder))
    return folder / "mask" / "decam.pth"


def _cosmic_conn_in(monkeypatch, folder):
    from cosmic_conn import inference_cr

    folder.mkdir(parents=True, exist_ok=True)
    monkeypatch.setattr(inference_cr, "check_trained_models", lambda: str(folder))
    return folder / f"cosmic-conn_ground_imaging_v{inference_cr.MODEL_VERSON}.pth"


ADAPTERS = {"deepcr": (DeepCRPretrained, _deepcr_in), "cosmic_conn": (CosmicCoNNPretrained, _cosmic_conn_in)}


@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
def test_a_tampered_shipped_file_is_refused_naming_the_file(tmp_path, monkeypatch, adapter):
    detector_class, relocate = ADAPTERS[adapter]
    genuine, _ = detector_class().shipped_weights_file()
    target = relocate(monkeypatch, tmp_path / "models")
    _tampered_copy(genuine, target)
    with pytest.raises(ChecksumError, match="pip install --force-reinstall") as error:
        detector_class().setup(device="cpu")
    assert str(target) in str(error.value)


@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
def test_a_hostile_pickle_never_runs_even_with_weights_only_forced_off(tmp_path, monkeypatch, adapter):
    """With TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 upstream's bare torch.load ran the pickle's code."""
    detector_class, relocate = ADAPTERS[adapter]
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    marker = tmp_path / "code-ran"
    _hostile_file(relocate(monkeypatch, tmp_path / "models"), marker)
    with pytest.raises(ChecksumError):
        detector_class().setup(device="cpu")
    assert not marker.exists()


@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
def test_genuine_files_load_with_weights_only_forced_off(monkeypatch, adapter):
    """An explicit weights_only=True is not overridden by the environment, and the verified file loads."""
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    detector = ADAPTERS[adapter][0]()
    detector.setup(device="cpu")
    assert detector.model is not None


def test_a_file_matching_its_hash_is_still_loaded_weights_only(tmp_path, monkeypatch):
    """Even a recorded hash never lets a pickle run code (belt and braces)."""
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    marker = tmp_path / "code-ran"
    path = tmp_path / "hostile.pth"
    _hostile_file(path, marker)
    with pytest.raises(Exception, match="[Ww]eights only load failed"):
        verified_state(path, sha256=sha256_file(path), distribution="test")
    assert not marker.exists()


def test_upstream_may_load_only_the_verified_file(tmp_path):
    from deepCR import model as deepcr_model

    genuine, name = DeepCRPretrained().shipped_weights_file()
    other = tmp_path / "other.pth"
    shutil.copy(genuine, other)
    with upstream_loads_verified(deepcr_model, genuine, sha256=expected_sha256("deepCR", name), distribution="deepCR"):
        assert deepcr_model.torch.load(str(genuine), map_location="cpu")
        with pytest.raises(ChecksumError, match="refusing"):
            deepcr_model.torch.load(str(other))
    assert deepcr_model.torch is torch  # restored
    with pytest.raises(ChecksumError, match="no recorded sha256"):
        expected_sha256("deepCR", "mask/unknown.pth")
