import hashlib

import pytest

from crbench import reference_data
from crbench.errors import ChecksumError, UnknownNameError
from crbench.reference_data import REFERENCE_SETS, reference_path, reference_paths
from tests.local_http import serve


def test_every_registered_file_matches_the_shared_copy(requires_reference_data):
    for set_name, (_, files) in REFERENCE_SETS.items():
        paths = reference_paths(set_name)
        assert [path.name for path in paths] == [entry.file_name for entry in files]
        for path, entry in zip(paths, files):
            assert hashlib.sha256(path.read_bytes()).hexdigest() == entry.sha256


def test_download_from_a_server_is_verified_and_cached(monkeypatch):
    monkeypatch.delenv("CRBENCH_REFERENCE_DIR", raising=False)
    body = b"not really a catalogue"
    entry = reference_data.ReferenceFile("table.fits.gz", hashlib.sha256(body).hexdigest(), "unused/")
    monkeypatch.setitem(REFERENCE_SETS, "toy_set", ("test", (entry,)))
    with serve({"/table.fits.gz": body}) as server:
        path = reference_path("toy_set", "table.fits.gz", base_url=server.url + "/")
        assert path.read_bytes() == body
        assert path.parent == reference_data.reference_cache_dir("toy_set")
        again = reference_path("toy_set", "table.fits.gz", base_url=server.url + "/")
    assert again == path
    assert len(server.requests) == 1  # the second call used the verified cached copy


def test_wrong_bytes_from_the_server_are_refused(monkeypatch):
    monkeypatch.delenv("CRBENCH_REFERENCE_DIR", raising=False)
    entry = reference_data.ReferenceFile("table.fits.gz", hashlib.sha256(b"expected").hexdigest(), "unused/")
    monkeypatch.setitem(REFERENCE_SETS, "toy_set", ("test", (entry,)))
    with serve({"/table.fits.gz": b"tampered"}) as server, pytest.raises(ChecksumError):
        reference_path("toy_set", "table.fits.gz", base_url=server.url + "/")
    assert not (reference_data.reference_cache_dir("toy_set") / "table.fits.gz").exists()


def test_a_tampered_preseeded_copy_is_refused(monkeypatch, tmp_path):
    folder = tmp_path / "seed" / "toy_set"
    folder.mkdir(parents=True)
    (folder / "table.fits.gz").write_bytes(b"tampered")
    entry = reference_data.ReferenceFile("table.fits.gz", hashlib.sha256(b"expected").hexdigest(), "unused/")
    monkeypatch.setitem(REFERENCE_SETS, "toy_set", ("test", (entry,)))
    monkeypatch.setenv("CRBENCH_REFERENCE_DIR", str(tmp_path / "seed"))
    with pytest.raises(ChecksumError, match="CRBENCH_REFERENCE_DIR"):
        reference_path("toy_set", "table.fits.gz")


def test_unknown_names_are_refused():
    with pytest.raises(UnknownNameError):
        reference_path("nope", "x")
    with pytest.raises(UnknownNameError):
        reference_path("imsim_cr_catalog", "x")
