"""Published-weights registry: local copies, verified downloads, clear failures."""

import functools
import hashlib
import http.server
import socket
import threading
from pathlib import Path

import pytest

from crbench import weights
from crbench.errors import ChecksumError, DataNotAvailableError, UnknownNameError
from crbench.hashing import file_sha256
from crbench.weights import PUBLISHED_WEIGHTS, WeightFile, weights_path

SHARED_WEIGHTS = Path(__file__).resolve().parents[1].parent / "shared" / "weights" / "attention_decam_2022"
PAYLOAD = b"crbench test weights\n" * 1000


@pytest.fixture
def fake_entry(monkeypatch, tmp_path):
    """Register a small fake weight file and isolate the cache and the local-copy folder."""
    entry = WeightFile("fake.pth", hashlib.sha256(PAYLOAD).hexdigest(), "http://127.0.0.1:9/unused/", "test")
    monkeypatch.setitem(PUBLISHED_WEIGHTS, "fake", entry)
    monkeypatch.setenv("CRBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CRBENCH_WEIGHTS_DIR", raising=False)
    return entry


@pytest.fixture
def local_server(tmp_path):
    """Serve tmp_path/www on 127.0.0.1 (random port) for the duration of a test."""
    root = tmp_path / "www"
    root.mkdir()

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_registry_pins_the_commit_and_hashes():
    assert set(PUBLISHED_WEIGHTS) == {"deepcr", "att_deepcr", "cosmic_conn", "att_cosmic_conn"}
    for entry in PUBLISHED_WEIGHTS.values():
        assert "/9c122e554b70b478f2323af1c434b9e0d1c45d7b/Trained_Models/" in entry.url
        assert len(entry.sha256) == 64


def test_unknown_name():
    with pytest.raises(UnknownNameError, match="no published weights"):
        weights_path("resnet")


@pytest.mark.network
def test_download_is_verified_and_cached(fake_entry, local_server, tmp_path):
    root, url = local_server
    (root / "fake.pth").write_bytes(PAYLOAD)
    path = weights_path("fake", base_url=url, progressbar=False)
    assert path.parent == tmp_path / "cache" / "weights"
    assert path.read_bytes() == PAYLOAD
    (root / "fake.pth").unlink()  # the second call is served from the cache
    assert weights_path("fake", base_url=url, progressbar=False) == path


@pytest.mark.network
def test_corrupted_download_raises_and_leaves_nothing(fake_entry, local_server, tmp_path):
    root, url = local_server
    (root / "fake.pth").write_bytes(PAYLOAD[:-1] + b"X")
    with pytest.raises(ChecksumError, match="does not match"):
        weights_path("fake", base_url=url, progressbar=False)
    cache = tmp_path / "cache" / "weights"
    assert not cache.exists() or not any(cache.iterdir())


def test_no_network_names_the_offline_fix(fake_entry):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DataNotAvailableError, match="CRBENCH_WEIGHTS_DIR"):
        weights_path("fake", base_url=f"http://127.0.0.1:{port}/", progressbar=False)


def test_local_copy_is_used_when_verified(fake_entry, monkeypatch, tmp_path):
    local = tmp_path / "local"
    local.mkdir()
    (local / "fake.pth").write_bytes(PAYLOAD)
    monkeypatch.setenv("CRBENCH_WEIGHTS_DIR", str(local))
    assert weights_path("fake") == local / "fake.pth"


def test_corrupted_local_copy_is_rejected(fake_entry, monkeypatch, tmp_path):
    local = tmp_path / "local"
    local.mkdir()
    (local / "fake.pth").write_bytes(b"not the weights")
    monkeypatch.setenv("CRBENCH_WEIGHTS_DIR", str(local))
    with pytest.raises(ChecksumError, match="CRBENCH_WEIGHTS_DIR"):
        weights_path("fake")


def test_cache_dir_follows_crbench_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("CRBENCH_CACHE", str(tmp_path))
    assert weights.weights_cache_dir() == tmp_path / "weights"


@pytest.mark.network
def test_real_weight_file_through_the_server(monkeypatch, local_server, tmp_path):
    if not SHARED_WEIGHTS.is_dir():
        pytest.skip(f"published DECam weights not found at {SHARED_WEIGHTS}")
    root, url = local_server
    entry = PUBLISHED_WEIGHTS["att_cosmic_conn"]
    (root / entry.file_name).write_bytes((SHARED_WEIGHTS / entry.file_name).read_bytes())
    monkeypatch.setenv("CRBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CRBENCH_WEIGHTS_DIR", raising=False)
    path = weights_path("att_cosmic_conn", base_url=url, progressbar=False)
    assert file_sha256(path) == entry.sha256
