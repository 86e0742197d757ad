"""Verified, resumable download and safe extraction against a local HTTP server."""

import hashlib
import io
import tarfile
import zipfile

import numpy as np
import pytest

from crbench import download as dl
from crbench.download import RemoteFile, download_files, fetch, list_doi_files, read_registry, safe_extract
from crbench.errors import ChecksumError, DownloadError, InputError, UnsafeArchiveError

from .local_http import serve

pytestmark = pytest.mark.network


@pytest.fixture(autouse=True)
def isolated_locations(tmp_path, monkeypatch):
    monkeypatch.setenv("CRBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CRBENCH_DATA", raising=False)


def _payload(n_bytes=300_000, seed=0):
    return np.random.default_rng(seed).integers(0, 256, n_bytes, dtype=np.uint8).tobytes()


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _leftovers(folder):
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


def test_fetch_downloads_and_verifies_sha256(tmp_path):
    data = _payload()
    with serve({"/data.bin": data}) as server:
        path = fetch(f"{server.url}/data.bin", known_hash=_sha256(data), dest=tmp_path / "dl" / "data.bin", progress=False)
        assert path.read_bytes() == data
        # a second call finds the verified file and downloads nothing
        fetch(f"{server.url}/data.bin", known_hash=f"sha256:{_sha256(data)}", dest=path, progress=False)
        assert len(server.requests) == 1
    assert _leftovers(tmp_path / "dl") == ["data.bin"]


def test_md5_hashes_as_published_by_zenodo_are_accepted(tmp_path):
    data = _payload(5000)
    with serve({"/a.bin": data}) as server:
        path = fetch(f"{server.url}/a.bin", known_hash=f"md5:{hashlib.md5(data).hexdigest()}", dest=tmp_path / "a.bin",
                     progress=False)
    assert path.read_bytes() == data


def test_a_corrupted_byte_fails_and_leaves_nothing_behind(tmp_path):
    data = _payload()
    corrupted = bytearray(data)
    corrupted[123_456] ^= 0x01
    with serve({"/data.bin": bytes(corrupted)}) as server:
        with pytest.raises(ChecksumError, match="does not match its known hash") as excinfo:
            fetch(f"{server.url}/data.bin", known_hash=_sha256(data), dest=tmp_path / "dl" / "data.bin", progress=False)
    assert "data.bin" in str(excinfo.value)
    assert _leftovers(tmp_path / "dl") == []  # no final file, no .part, no temporary file


def test_an_interrupted_download_resumes_with_a_range_request(tmp_path):
    data = _payload(400_000)
    dest = tmp_path / "dl" / "data.bin"
    with serve({"/data.bin": data}) as server:
        server.drop_after = 150_000
        with pytest.raises(DownloadError, match="run the same command again to resume"):
            fetch(f"{server.url}/data.bin", known_hash=_sha256(data), dest=dest, progress=False)
        assert not dest.exists()
        partial = dest.parent / ".partial" / "data.bin.part"
        kept = partial.stat().st_size
        assert 0 < kept <= 150_000
        fetch(f"{server.url}/data.bin", known_hash=_sha256(data), dest=dest, progress=False)
        assert server.requests[-1]["range"] == f"bytes={kept}-" and server.requests[-1]["status"] == 206
        assert server.requests[-1]["sent"] == len(data) - kept  # only the missing bytes travel again
    assert dest.read_bytes() == data
    assert not partial.exists()


def test_a_server_without_range_support_restarts_from_zero(tmp_path):
    data = _payload(200_000)
    dest = tmp_path / "dl" / "data.bin"
    partial = dest.parent / ".partial" / "data.bin.part"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"\x00" * 5000)  # stale bytes that must not be kept
    with serve({"/data.bin": data}) as server:
        server.ignore_range = True
        fetch(f"{server.url}/data.bin", known_hash=_sha256(data), dest=dest, progress=False)
        assert server.requests[-1]["status"] == 200
    assert dest.read_bytes() == data


def test_a_complete_partial_file_is_finished_without_downloading(tmp_path):
    data = _payload(10_000)
    dest = tmp_path / "dl" / "data.bin"
    partial = dest.parent / ".partial" / "data.bin.part"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(data)
    with serve({"/data.bin": data}) as server:
        fetch(f"{server.url}/data.bin", known_hash=_sha256(data), dest=dest, progress=False)
        assert server.requests[-1]["status"] == 416 and server.bytes_sent("/data.bin") == 0
    assert dest.read_bytes() == data


def test_a_stale_partial_file_that_resumes_into_garbage_fails_the_hash_and_is_dropped(tmp_path):
    data = _payload(50_000)
    dest = tmp_path / "dl" / "data.bin"
    partial = dest.parent / ".partial" / "data.bin.part"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"\xff" * 1000)
    with serve({"/data.bin": data}) as server:
        with pytest.raises(ChecksumError):
            fetch(f"{server.url}/data.bin", known_hash=_sha256(data), dest=dest, progress=False)
        fetch(f"{server.url}/data.bin", known_hash=_sha256(data), dest=dest, progress=False)
    assert dest.read_bytes() == data


def test_http_errors_are_reported(tmp_path):
    with serve({}) as server:
        with pytest.raises(DownloadError, match="HTTP 404"):
            fetch(f"{server.url}/missing.bin", known_hash="0" * 64, dest=tmp_path / "x.bin", progress=False)


def test_a_hash_is_required(tmp_path):
    with pytest.raises(InputError, match="known hash is required"):
        fetch("http://127.0.0.1:9/x", known_hash=None, dest=tmp_path / "x")
    with pytest.raises(InputError, match="hexadecimal"):
        fetch("http://127.0.0.1:9/x", known_hash="sha256:xyz", dest=tmp_path / "x")
    with pytest.raises(InputError, match="unsupported hash"):
        fetch("http://127.0.0.1:9/x", known_hash="crc32:abcd", dest=tmp_path / "x")


# -- safe extraction -----------------------------------------------------------


def _tar(path, members, *, mode="w:gz"):
    with tarfile.open(path, mode) as handle:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            handle.addfile(info, io.BytesIO(content))
    return path


def _tar_link(path, name, target, *, hard=False):
    with tarfile.open(path, "w") as handle:
        info = tarfile.TarInfo(name)
        info.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
        info.linkname = target
        handle.addfile(info)
    return path


def test_safe_extract_unpacks_tar_and_zip(tmp_path):
    members = {"set/a.txt": b"alpha", "set/sub/b.txt": b"beta"}
    for archive in (_tar(tmp_path / "x.tar.gz", members), tmp_path / "x.zip"):
        if archive.suffix == ".zip":
            with zipfile.ZipFile(archive, "w") as handle:
                for name, content in members.items():
                    handle.writestr(name, content)
        dest = tmp_path / f"out-{archive.name}"
        created = safe_extract(archive, dest)
        assert created == [dest / "set"]
        assert (dest / "set" / "sub" / "b.txt").read_bytes() == b"beta"
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # staging removed


def test_archives_sharing_a_root_folder_merge(tmp_path):
    first = _tar(tmp_path / "train.tar.gz", {"LCO_CR_dataset/train_set/a.txt": b"a", "LCO_CR_dataset/x.txt": b"old"})
    second = _tar(tmp_path / "test.tar.gz", {"LCO_CR_dataset/test_set/b.txt": b"b", "LCO_CR_dataset/x.txt": b"new"})
    dest = tmp_path / "out"
    safe_extract(first, dest)
    safe_extract(second, dest)
    root = dest / "LCO_CR_dataset"
    assert (root / "train_set" / "a.txt").read_bytes() == b"a"
    assert (root / "test_set" / "b.txt").read_bytes() == b"b"
    assert (root / "x.txt").read_bytes() == b"new"


@pytest.mark.parametrize(
    "name", ["../evil.txt", "set/../../evil.txt", "/tmp/evil.txt"], ids=["parent", "nested-parent", "absolute"]
)
def test_members_escaping_the_destination_are_refused(tmp_path, name):
    archive = _tar(tmp_path / "bad.tar.gz", {"set/ok.txt": b"ok", name: b"evil"})
    dest = tmp_path / "inner" / "out"
    with pytest.raises(UnsafeArchiveError, match="refusing to extract"):
        safe_extract(archive, dest)
    assert not dest.exists()
    assert not (tmp_path / "inner" / "evil.txt").exists() and not (tmp_path / "evil.txt").exists()
    assert list((tmp_path / "inner").iterdir()) == []


def test_zip_members_escaping_the_destination_are_refused(tmp_path):
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("../evil.txt", b"evil")
    with pytest.raises(UnsafeArchiveError, match="'..'"):
        safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "out").exists()


@pytest.mark.parametrize("target,hard", [("/etc/passwd", False), ("../../outside", False), ("../x", True)])
def test_links_pointing_outside_are_refused(tmp_path, target, hard):
    archive = _tar_link(tmp_path / "link.tar", "set/link", target, hard=hard)
    with pytest.raises(UnsafeArchiveError, match="outside the extraction folder"):
        safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_non_archives_and_truncated_archives_are_refused(tmp_path):
    (tmp_path / "plain.tar.gz").write_bytes(b"not an archive at all")
    with pytest.raises(UnsafeArchiveError, match="not a zip or tar"):
        safe_extract(tmp_path / "plain.tar.gz", tmp_path / "out")
    archive = _tar(tmp_path / "t.tar", {"a.bin": _payload(50_000)}, mode="w")
    archive.write_bytes(archive.read_bytes()[:20_000])
    with pytest.raises(UnsafeArchiveError):
        safe_extract(archive, tmp_path / "out2")
    assert not (tmp_path / "out2").exists()


# -- registries and DOI listing -----------------------------------------------------


def test_read_registry_parses_pooch_format():
    files = read_registry(
        "# comment\n\na.tar.gz " + "ab" * 32 + "\nb.txt md5:" + "cd" * 16 + " http://host/b.txt\n",
        base_url="http://mirror/lco/",
    )
    assert files == [
        RemoteFile("a.tar.gz", "http://mirror/lco/a.tar.gz", "sha256:" + "ab" * 32),
        RemoteFile("b.txt", "http://host/b.txt", "md5:" + "cd" * 16),
    ]
    with pytest.raises(InputError, match="line 1"):
        read_registry("only-a-name\n", base_url="")
    with pytest.raises(UnsafeArchiveError):
        read_registry("../x " + "ab" * 32, base_url="")
    with pytest.raises(InputError, match="no files"):
        read_registry("# nothing\n", base_url="")


def test_list_doi_files_uses_pooch_repository_listing(monkeypatch):
    class FakeZenodo:
        api_response = {"files": [{"key": "LCO_CR_dataset.zip", "size": 1234}]}

        def populate_registry(self, pooch_instance):
            pooch_instance.registry["LCO_CR_dataset.zip"] = "md5:" + "0f" * 16

        def download_url(self, name):
            return f"https://zenodo.org/records/5034763/files/{name}?download=1"

    calls = []
    monkeypatch.setattr("pooch.downloaders.doi_to_repository", lambda doi, **kw: calls.append(doi) or FakeZenodo())
    files = list_doi_files("10.5281/zenodo.5034763")
    assert calls == ["10.5281/zenodo.5034763"]
    assert files == [
        RemoteFile(
            "LCO_CR_dataset.zip",
            "https://zenodo.org/records/5034763/files/LCO_CR_dataset.zip?download=1",
            "md5:" + "0f" * 16,
            1234,
        )
    ]


def test_list_doi_files_reports_unreachable_records(monkeypatch):
    def offline(doi, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr("pooch.downloaders.doi_to_repository", offline)
    with pytest.raises(DownloadError, match="doi:10.5281/zenodo.5034763"):
        list_doi_files("10.5281/zenodo.5034763")


def test_download_files_extracts_records_and_skips_finished_files(tmp_path):
    archive = _tar(tmp_path / "src.tar.gz", {"LCO_CR_dataset/test_set/readme.txt": b"hello"})
    data = archive.read_bytes()
    readme = b"notes"
    with serve({"/set.tar.gz": data, "/notes.txt": readme}) as server:
        files = [
            RemoteFile("set.tar.gz", f"{server.url}/set.tar.gz", f"sha256:{_sha256(data)}", len(data)),
            RemoteFile("notes.txt", f"{server.url}/notes.txt", f"sha256:{_sha256(readme)}", len(readme)),
        ]
        lines = []
        dest = tmp_path / "data"
        download_files(files, dest=dest, archive_dir=tmp_path / "archives", progress=False, echo=lines.append)
        assert (dest / "LCO_CR_dataset" / "test_set" / "readme.txt").read_bytes() == b"hello"
        assert (dest / "notes.txt").read_bytes() == readme
        assert _leftovers(tmp_path / "archives") == []  # archives removed after extraction
        assert (dest / dl.RECEIPT_NAME).exists()
        n_requests = len(server.requests)
        lines.clear()
        download_files(files, dest=dest, archive_dir=tmp_path / "archives", progress=False, echo=lines.append)
        assert len(server.requests) == n_requests
        assert all("already downloaded" in line for line in lines)
