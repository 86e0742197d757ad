"""Shared pytest fixtures.

Every test gets its own crbench cache directory, and the published DECam
U-Net weights are taken from the verified copy in ``shared/`` beside the
repository (``CRBENCH_WEIGHTS_DIR``), since tests never download.
"""

import os
from pathlib import Path

import pytest

from crbench.inference_backend import missing_onnx_packages

#: the project's shared/ folder, beside the repository (also in CI, which clones next to a copy of it)
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SHARED_WEIGHTS = SHARED / "weights" / "attention_decam_2022"
SHARED_DATA = SHARED / "data"
PUBLISHED_UNETS = frozenset({"deepcr", "att_deepcr", "cosmic_conn", "att_cosmic_conn"})
#: marks a test of the optional ONNX Runtime engine (crbench.inference_backend), skipped without its packages
onnx_engine = pytest.mark.skipif(bool(missing_onnx_packages()),
                                 reason=f"the onnxruntime engine needs {missing_onnx_packages()}")


def published_weights_dir():
    """Return the folder holding the published weights, or None when absent."""
    configured = os.environ.get("CRBENCH_WEIGHTS_DIR")
    if configured and Path(configured).is_dir():
        return Path(configured)
    return SHARED_WEIGHTS if SHARED_WEIGHTS.is_dir() else None


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Point ``$CRBENCH_CACHE`` at a per-test directory and seed the weights folder."""
    cache = tmp_path / "crbench-cache"
    monkeypatch.setenv("CRBENCH_CACHE", str(cache))
    # eager PyTorch unless a test selects another engine; monkeypatch restores whatever a test sets
    monkeypatch.setenv("CRBENCH_TORCH_BACKEND", "torch")
    weights = published_weights_dir()
    if weights is not None:
        monkeypatch.setenv("CRBENCH_WEIGHTS_DIR", str(weights))
    if SHARED_DATA.is_dir() and not os.environ.get("CRBENCH_REFERENCE_DIR"):
        monkeypatch.setenv("CRBENCH_REFERENCE_DIR", str(SHARED_DATA))
    return cache


@pytest.fixture
def requires_reference_data():
    """Skip a test that needs the real reference material of ``shared/data`` when it is absent."""
    if not os.environ.get("CRBENCH_REFERENCE_DIR"):
        pytest.skip(f"real reference material not found at {SHARED_DATA} (shared/ beside the repository)")


@pytest.fixture
def requires_published_weights():
    """Skip a test that needs the published DECam weights when they are not beside the repo."""
    if published_weights_dir() is None:
        pytest.skip(f"published DECam weights not found at {SHARED_WEIGHTS} (shared/ beside the repository)")


@pytest.fixture
def user_config_home(tmp_path, monkeypatch):
    """A fresh user config folder: user data set cards go there, never into the real one."""
    home = tmp_path / "config"
    home.mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home
