"""The top-level package: public names, lazy imports, ``python -m crbench``."""

import subprocess
import sys
from pathlib import Path

import pytest

import crbench

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = {"__version__", "run", "RunResult", "load_records", "leaderboard", "detect"}


def _python(*args):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_dir_shows_the_public_api():
    assert set(crbench.__all__) == PUBLIC
    assert sorted(dir(crbench)) == sorted(crbench.__all__)
    for name in crbench.__all__:
        assert getattr(crbench, name) is not None


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'runn'"):
        crbench.runn  # noqa: B018 - the access is the test


def test_import_is_lazy():
    # nothing heavy is imported until a function is used
    probe = _python("-c", "import sys, crbench; print(sorted(m for m in ('numpy', 'pandas', 'torch', 'click', "
                          "'crbench.api', 'crbench.leaderboard') if m in sys.modules))")
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "[]"


def test_python_dash_m_runs_the_command_line():
    completed = _python("-m", "crbench", "--version")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == f"crbench, version {crbench.__version__}"
    listed = _python("-m", "crbench", "--help")
    assert "Usage: crbench" in listed.stdout and "run" in listed.stdout
