"""Shared pytest fixtures: every test gets its own crbench cache directory."""

import pytest


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Point ``$CRBENCH_CACHE`` at a per-test temporary directory."""
    cache = tmp_path / "crbench-cache"
    monkeypatch.setenv("CRBENCH_CACHE", str(cache))
    return cache
