"""Hostile archives and deleted data behind a download receipt (issue 16)."""

import hashlib
import io
import os
import tarfile
import zipfile

import pytest

from crbench import download as dl
from crbench.download import ExtractionLimits, RemoteFile, download_files, safe_extract
from crbench.errors import InputError, UnsafeArchiveError

from .local_http import serve

pytestmark = pytest.mark.network  # the receipt test uses the local HTTP server


def _add_file(handle, name, content):
    info = tarfile.TarInfo(name)
    info.size = len(content)
    handle.addfile(info, io.BytesIO(content))


def _add_link(handle, name, target):
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    handle.addfile(info)


def _tar(path, members, *, mode="w:gz"):
    with tarfile.open(path, mode) as handle:
        for name, content in members.items():
            _add_file(handle, name, content)
    return path


@pytest.mark.parametrize("order", [("a", "b"), ("b", "a")])
def test_a_chain_of_links_cannot_escape_the_destination(tmp_path, order):
    # each link alone stays inside; together a -> b/.. -> ./.. is the parent of the destination
    targets = {"a": "b/..", "b": "."}
    archive = tmp_path / "chain.tar"
    with tarfile.open(archive, "w") as handle:
        for name in order:
            _add_link(handle, name, targets[name])
    dest = tmp_path / "inner" / "dest"
    with pytest.raises(UnsafeArchiveError, match="outside"):
        safe_extract(archive, dest)
    assert not dest.exists() and list((tmp_path / "inner").iterdir()) == []


def test_links_that_stay_inside_are_kept(tmp_path):
    archive = tmp_path / "ok.tar"
    with tarfile.open(archive, "w") as handle:
        _add_file(handle, "set/data.txt", b"x")
        _add_link(handle, "set/alias.txt", "data.txt")
    safe_extract(archive, tmp_path / "dest")
    assert (tmp_path / "dest" / "set" / "alias.txt").read_bytes() == b"x"


@pytest.mark.parametrize("kind", ["file-over-folder", "folder-over-file"])
def test_a_member_never_replaces_an_existing_entry_of_another_type(tmp_path, kind):
    dest = tmp_path / "data"
    if kind == "file-over-folder":
        (dest / "LCO_CR_dataset").mkdir(parents=True)
        (dest / "LCO_CR_dataset" / "frame.fits").write_bytes(b"science")
        archive = _tar(tmp_path / "x.tar.gz", {"LCO_CR_dataset": b"not a folder", "other.txt": b"o"})
    else:
        dest.mkdir()
        (dest / "LCO_CR_dataset").write_bytes(b"science")
        archive = _tar(tmp_path / "x.tar.gz", {"LCO_CR_dataset/frame.fits": b"x"})
    with pytest.raises(UnsafeArchiveError, match="LCO_CR_dataset.*would delete"):
        safe_extract(archive, dest)
    if kind == "file-over-folder":
        assert (dest / "LCO_CR_dataset" / "frame.fits").read_bytes() == b"science"
        assert not (dest / "other.txt").exists()  # nothing was moved
    else:
        assert (dest / "LCO_CR_dataset").read_bytes() == b"science"


def _zip_bomb(path, n_bytes=300 * 10**6):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as handle:
        with handle.open("zeros.bin", "w", force_zip64=True) as member:
            chunk = bytes(1 << 20)
            for _ in range(n_bytes // len(chunk)):
                member.write(chunk)
    return path


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory):
    return _zip_bomb(tmp_path_factory.mktemp("bomb") / "bomb.zip")


def test_a_zip_bomb_is_refused_by_its_ratio(tmp_path, zip_bomb):
    assert zip_bomb.stat().st_size < 400_000
    with pytest.raises(UnsafeArchiveError, match=r"zeros.bin.*expands \d+x.*CRBENCH_MAX_EXTRACT_RATIO"):
        safe_extract(zip_bomb, tmp_path / "dest")
    assert not (tmp_path / "dest").exists()


def test_total_size_and_ratio_limits_are_configurable(tmp_path, monkeypatch):
    archive = _tar(tmp_path / "set.tar.gz", {"set/zeros.bin": bytes(3 << 20)})
    with pytest.raises(UnsafeArchiveError, match="expands"):
        safe_extract(archive, tmp_path / "a")
    monkeypatch.setenv(dl.MAX_EXTRACT_RATIO_ENV, "1e6")
    assert safe_extract(archive, tmp_path / "b") == [tmp_path / "b" / "set"]
    with pytest.raises(UnsafeArchiveError, match=r"3.1 MB, above the limit of 1.0 MB.*CRBENCH_MAX_EXTRACT_BYTES"):
        safe_extract(archive, tmp_path / "c", limits=ExtractionLimits(max_total_bytes=10**6, max_ratio=1e6))
    monkeypatch.setenv(dl.MAX_EXTRACT_BYTES_ENV, "lots")
    with pytest.raises(InputError, match="CRBENCH_MAX_EXTRACT_BYTES"):
        safe_extract(archive, tmp_path / "d")


def test_deleted_extracted_data_are_downloaded_again(tmp_path):
    archive = _tar(tmp_path / "src.tar.gz", {"LCO_CR_dataset/test_set/frame.txt": b"pixels",
                                             "LCO_CR_dataset/readme.txt": b"hello"})
    data = archive.read_bytes()
    notes = b"notes"
    with serve({"/set.tar.gz": data, "/notes.txt": notes}) as server:
        files = [RemoteFile("set.tar.gz", f"{server.url}/set.tar.gz", f"sha256:{hashlib.sha256(data).hexdigest()}"),
                 RemoteFile("notes.txt", f"{server.url}/notes.txt", f"sha256:{hashlib.sha256(notes).hexdigest()}")]
        dest = tmp_path / "data"

        def download():
            lines = []
            download_files(files, dest=dest, archive_dir=tmp_path / "archives", progress=False, echo=lines.append)
            return lines

        download()
        os.remove(dest / "LCO_CR_dataset" / "test_set" / "frame.txt")
        (dest / "notes.txt").write_bytes(b"edited notes")
        lines = download()
        assert any("frame.txt is missing; downloading it again" in line for line in lines), lines
        assert any("notes.txt has 12 bytes, 5 when extracted" in line for line in lines), lines
        assert (dest / "LCO_CR_dataset" / "test_set" / "frame.txt").read_bytes() == b"pixels"
        assert (dest / "notes.txt").read_bytes() == notes
        assert all("already downloaded" in line for line in download())
