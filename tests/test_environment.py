"""Machine facts recorded with every result are JSON-ready and truthful."""

import json
import os

from crbench.environment import (
    current_rss_bytes,
    environment_info,
    git_commit,
    package_versions,
    peak_rss_bytes,
    thread_counts,
)


def test_environment_info_is_strict_json():
    info = environment_info()
    json.dumps(info, allow_nan=False)
    assert info["cpu_model"]
    assert info["threads"]["logical_cpus"] == os.cpu_count()
    assert info["packages"]["numpy"]
    assert isinstance(info["gpus"], list)


def test_missing_packages_are_reported_as_none():
    assert package_versions(["crbench-no-such-distribution"]) == {"crbench-no-such-distribution": None}


def test_git_commit_outside_a_checkout_is_none(tmp_path):
    assert git_commit(tmp_path) is None


def test_git_commit_of_a_checkout(tmp_path):
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "file.txt").write_text("x")
    subprocess.run(["git", "-C", str(tmp_path), "add", "file.txt"], check=True)
    subprocess.run(
        ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "x"],
        check=True,
    )
    info = git_commit(tmp_path)
    assert len(info["commit"]) == 40 and info["dirty"] is False
    (tmp_path / "file.txt").write_text("y")
    assert git_commit(tmp_path)["dirty"] is True


def test_memory_figures_are_plausible():
    block = bytearray(64 * 2**20)  # touch 64 MiB so the peak must cover it
    block[::4096] = b"x" * len(block[::4096])
    assert peak_rss_bytes() >= current_rss_bytes() - 2**20 >= 64 * 2**20


def test_thread_counts_report_torch_when_imported():
    import torch

    assert thread_counts()["torch_threads"] == torch.get_num_threads()


def test_peak_rss_can_include_finished_children():
    import subprocess
    import sys

    # a child that touches 300 MiB (run --jobs N detects in such workers)
    subprocess.run([sys.executable, "-c", "x = bytearray(300 * 2**20); x[::4096] = bytes(len(x[::4096]))"], check=True)
    with_children = peak_rss_bytes(include_children=True)
    assert with_children >= 300 * 2**20
    assert with_children >= peak_rss_bytes()
