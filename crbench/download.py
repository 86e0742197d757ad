"""Verified, resumable downloads and safe archive extraction.

Used for the real data sets (``crbench datasets download``) and usable for
model weights. Three rules hold throughout:

1. **Nothing unverified reaches its final name.** Bytes are streamed into a
   ``<name>.part`` file in a ``.partial/`` folder next to the destination;
   only after the whole file matches its known hash (sha256, or the md5 that
   Zenodo publishes) is it renamed into place. A file that fails the check
   is deleted, so the next attempt starts clean.
2. **Downloads resume.** If a transfer stops, the ``.part`` file is kept and
   the next call asks the server for the rest with an HTTP ``Range`` request
   (a server that ignores ``Range`` makes it start over). Hash verification
   at the end catches a partial file that does not belong to the same remote
   file.
3. **Archives cannot write outside their destination.** Every member is
   checked before anything is extracted: absolute names, ``..`` components,
   links pointing outside, devices and FIFOs are refused. Extraction goes to
   a staging folder that is moved into place only when complete.

The hash check and the final rename are pooch's (:func:`pooch.retrieve` with
a custom downloader); the resumable transfer is implemented here with
``requests`` because pooch's own HTTP downloader always starts from zero.
Files of a Zenodo record are listed through pooch's DOI support
(:func:`list_doi_files`).
"""

import json
import os
import shutil
import tarfile
import tempfile
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

import pooch

from .atomic import write_json_atomic
from .errors import ChecksumError, DownloadError, InputError, UnsafeArchiveError

__all__ = [
    "RemoteFile",
    "ResumableHTTPDownloader",
    "fetch",
    "safe_extract",
    "is_archive",
    "list_doi_files",
    "read_registry",
    "download_files",
    "format_size",
    "RECEIPT_NAME",
]

RECEIPT_NAME = ".crbench_download.json"
_HASH_ALGORITHMS = ("sha256", "md5", "sha1", "sha512")
_ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")


@dataclass(frozen=True)
class RemoteFile:
    """One file to download.

    Attributes
    ----------
    name : str
        File name (as in the remote record); the local file gets this name.
    url : str
        HTTP(S) address.
    known_hash : str
        ``"sha256:<hex>"`` or ``"md5:<hex>"`` (a bare hex string is sha256).
    size : int or None
        Size in bytes if the source states it.
    """

    name: str
    url: str
    known_hash: str
    size: int | None = None


def format_size(n_bytes):
    """Return ``n_bytes`` as a short human-readable string (``"1.5 GB"``)."""
    if n_bytes is None:
        return "unknown size"
    value = float(n_bytes)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"  # pragma: no cover - loop always returns


def _normalise_hash(known_hash):
    if not known_hash:
        raise InputError("a known hash is required: crbench never keeps a download it cannot verify")
    known_hash = known_hash.strip()
    algorithm, _, digest = known_hash.rpartition(":")
    algorithm = algorithm.lower() or "sha256"
    if algorithm not in _HASH_ALGORITHMS:
        raise InputError(f"unsupported hash algorithm {algorithm!r} in {known_hash!r}; use one of {_HASH_ALGORITHMS}")
    digest = digest.lower()
    if not digest or any(char not in "0123456789abcdef" for char in digest):
        raise InputError(f"known hash {known_hash!r} is not a hexadecimal digest")
    return f"{algorithm}:{digest}"


class ResumableHTTPDownloader:
    """A pooch downloader that resumes from a ``.part`` file with HTTP Range.

    Parameters
    ----------
    partial_path : path-like
        Where the bytes received so far are kept between attempts. Must be on
        the same file system as the destination (it is renamed, not copied).
    progress : bool
        Show a tqdm progress bar on stderr.
    timeout : float
        Seconds to wait for the server to answer or send the next bytes.
    chunk_size : int
        Bytes per write.
    """

    def __init__(self, *, partial_path, progress=True, timeout=60.0, chunk_size=1 << 16):
        self.partial_path = Path(partial_path)
        self.progress = progress
        self.timeout = timeout
        self.chunk_size = chunk_size

    def __call__(self, url, output_file, pooch_instance=None, check_only=False):
        import requests  # lazy: keeps `crbench --help` fast

        if check_only:
            response = requests.head(url, allow_redirects=True, timeout=self.timeout)
            return response.status_code == 200
        self.partial_path.parent.mkdir(parents=True, exist_ok=True)
        offset = self.partial_path.stat().st_size if self.partial_path.exists() else 0
        # identity encoding: Content-Length must count the bytes we write
        headers = {"Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        try:
            with requests.get(url, stream=True, headers=headers, timeout=self.timeout) as response:
                if offset and response.status_code == 416:
                    return self._handle_unsatisfiable_range(url, output_file, response, offset)
                if response.status_code >= 400:
                    raise DownloadError(f"{url}: server answered HTTP {response.status_code} {response.reason}")
                resuming = offset > 0 and response.status_code == 206
                if resuming and not response.headers.get("Content-Range", "").startswith(f"bytes {offset}-"):
                    self.partial_path.unlink(missing_ok=True)  # the server sent some other range
                    raise DownloadError(
                        f"{url}: server answered Range 'bytes={offset}-' with Content-Range "
                        f"{response.headers.get('Content-Range')!r}; partial file discarded, run again"
                    )
                if not resuming:
                    offset = 0  # server ignored the Range header (HTTP 200): restart
                length = response.headers.get("Content-Length")
                total = offset + int(length) if length is not None else None
                self._stream(response, offset=offset, total=total, label=Path(self.partial_path.name).stem)
        except requests.exceptions.RequestException as err:
            kept = self.partial_path.stat().st_size if self.partial_path.exists() else 0
            raise DownloadError(
                f"download of {url} stopped after {format_size(kept)} ({err.__class__.__name__}: {err}); "
                f"the partial file {self.partial_path} is kept: run the same command again to resume"
            ) from err
        received = self.partial_path.stat().st_size
        if total is not None and received != total:
            raise DownloadError(
                f"download of {url} stopped at {received} of {total} bytes; the partial file "
                f"{self.partial_path} is kept: run the same command again to resume"
            )
        os.replace(self.partial_path, output_file)
        return None

    def _stream(self, response, *, offset, total, label):
        from tqdm.auto import tqdm

        mode = "ab" if offset else "wb"
        with open(self.partial_path, mode) as handle, tqdm(
            total=total,
            initial=offset,
            unit="B",
            unit_scale=True,
            desc=label,
            disable=not self.progress,
            leave=False,
        ) as bar:
            for chunk in response.iter_content(chunk_size=self.chunk_size):
                if chunk:
                    handle.write(chunk)
                    bar.update(len(chunk))

    def _handle_unsatisfiable_range(self, url, output_file, response, offset):
        # HTTP 416: our partial file is at least as long as the remote file.
        # If it is exactly as long it is complete; otherwise it is stale.
        content_range = response.headers.get("Content-Range", "")
        remote_size = content_range.rpartition("/")[2]
        if remote_size.isdigit() and int(remote_size) == offset:
            os.replace(self.partial_path, output_file)
            return None
        self.partial_path.unlink(missing_ok=True)
        raise DownloadError(
            f"{url}: the partial file was longer than the remote file ({content_range!r}); "
            "it has been discarded: run the same command again"
        )


def fetch(url, *, known_hash, dest, progress=True, timeout=60.0):
    """Download ``url`` to ``dest`` if needed, verified against ``known_hash``.

    Parameters
    ----------
    url : str
        HTTP(S) address.
    known_hash : str
        ``"sha256:<hex>"``, ``"md5:<hex>"`` or a bare sha256 hex digest.
    dest : path-like
        Final path of the verified file. An existing file that matches is
        returned without downloading; one that does not is replaced.
    progress : bool
        Show a progress bar.
    timeout : float
        Network timeout in seconds.

    Returns
    -------
    pathlib.Path
        ``dest``.

    Raises
    ------
    ChecksumError
        The downloaded bytes do not match ``known_hash`` (the file is deleted).
    DownloadError
        The transfer failed; the partial file is kept for resuming.
    """
    known_hash = _normalise_hash(known_hash)
    dest = Path(dest).resolve()
    downloader = ResumableHTTPDownloader(
        partial_path=dest.parent / ".partial" / f"{dest.name}.part", progress=progress, timeout=timeout
    )
    try:
        path = pooch.retrieve(url, known_hash=known_hash, fname=dest.name, path=dest.parent, downloader=downloader)
    except ValueError as err:
        if "hash" not in str(err).lower():
            raise
        raise ChecksumError(
            f"{url}: the downloaded file does not match its known hash {known_hash}; it was deleted and "
            f"nothing was written to {dest}. Run the command again; if it fails again the remote file "
            f"changed or the source is corrupt ({err})"
        ) from err
    return Path(path)


def is_archive(path):
    """Return True if ``path`` has an archive suffix crbench extracts."""
    name = Path(path).name.lower()
    return name.endswith(_ARCHIVE_SUFFIXES)


def _check_member_name(archive, name):
    posix = PurePosixPath(name.replace("\\", "/"))
    if posix.is_absolute() or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchiveError(f"{archive}: member {name!r} has an absolute path; refusing to extract")
    if ".." in posix.parts:
        raise UnsafeArchiveError(f"{archive}: member {name!r} contains '..' and would escape; refusing to extract")
    return posix


def _check_tar_members(archive, members):
    for member in members:
        posix = _check_member_name(archive, member.name)
        if member.isdev() or member.isfifo():
            raise UnsafeArchiveError(f"{archive}: member {member.name!r} is a device or FIFO; refusing to extract")
        if member.issym() or member.islnk():
            target = PurePosixPath(member.linkname)
            resolved = target if member.islnk() else posix.parent / target
            if target.is_absolute() or ".." in _normalise_parts(resolved):
                raise UnsafeArchiveError(
                    f"{archive}: member {member.name!r} links to {member.linkname!r} outside the "
                    "extraction folder; refusing to extract"
                )


def _normalise_parts(path):
    parts = []
    for part in path.parts:
        if part in ("", "."):
            continue
        if part == "..":
            if not parts or parts[-1] == "..":
                parts.append("..")
            else:
                parts.pop()
        else:
            parts.append(part)
    return parts


def safe_extract(archive, dest):
    """Extract a zip or tar archive into ``dest`` without letting it escape.

    All members are checked before anything is written. The archive is
    unpacked into a staging folder beside ``dest`` and then moved into
    ``dest`` file by file: folders merge with existing ones (several
    archives of one record may share a root folder), files replace existing
    files of the same name. A failed extraction leaves ``dest`` unchanged.

    Parameters
    ----------
    archive : path-like
        ``.zip``, ``.tar``, ``.tar.gz``/``.tgz``, ``.tar.bz2`` or ``.tar.xz``.
    dest : path-like
        Destination folder (created if missing).

    Returns
    -------
    list of pathlib.Path
        The top-level paths created in ``dest``.

    Raises
    ------
    UnsafeArchiveError
        A member has an absolute path, a ``..`` component, is a device or
        FIFO, or is a link pointing outside the archive.
    CorruptFileError
        The file is not a readable archive.
    """
    archive, dest = Path(archive), Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(archive):
        opener = _extract_zip
    elif tarfile.is_tarfile(archive):
        opener = _extract_tar
    else:
        raise UnsafeArchiveError(f"{archive}: not a zip or tar archive (or the file is truncated)")
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.extract-", dir=dest.parent))
    try:
        opener(archive, staging)
        dest.mkdir(parents=True, exist_ok=True)
        created = []
        for entry in sorted(staging.iterdir()):
            _merge_move(entry, dest / entry.name)
            created.append(dest / entry.name)
        return created
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _merge_move(source, target):
    """Move ``source`` to ``target``, merging folders and replacing files."""
    if source.is_dir() and not source.is_symlink():
        if target.is_dir() and not target.is_symlink():
            for child in sorted(source.iterdir()):
                _merge_move(child, target / child.name)
            return
        if target.exists() or target.is_symlink():
            target.unlink()
        os.replace(source, target)
        return
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    os.replace(source, target)


def _extract_zip(archive, staging):
    try:
        with zipfile.ZipFile(archive) as handle:
            for info in handle.infolist():
                _check_member_name(archive, info.filename)
                mode = (info.external_attr >> 16) & 0o170000
                if mode == 0o120000:
                    raise UnsafeArchiveError(f"{archive}: member {info.filename!r} is a symbolic link; refusing")
            handle.extractall(staging)
    except zipfile.BadZipFile as err:
        raise UnsafeArchiveError(f"{archive}: corrupt zip archive ({err})") from err


def _extract_tar(archive, staging):
    try:
        with tarfile.open(archive) as handle:
            members = handle.getmembers()
            _check_tar_members(archive, members)
            # the "data" filter (Python >= 3.11.4) repeats these checks and drops
            # permission bits that an archive should not set
            handle.extractall(staging, members=members, filter="data")
    except tarfile.TarError as err:
        raise UnsafeArchiveError(f"{archive}: corrupt or unsafe tar archive ({err})") from err
    except EOFError as err:
        raise UnsafeArchiveError(f"{archive}: tar archive is truncated ({err})") from err


def read_registry(text, *, base_url):
    """Parse a pooch-format registry (``name hash [url]`` per line) into :class:`RemoteFile`.

    Parameters
    ----------
    text : str
        Registry content; blank lines and ``#`` comments are ignored.
    base_url : str
        URL prefix for lines that give no URL of their own.
    """
    files = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) not in (2, 3):
            raise InputError(f"registry line {number}: expected 'name hash [url]', got {line!r}")
        name, known_hash = fields[0], _normalise_hash(fields[1])
        _check_member_name("registry", name)
        url = fields[2] if len(fields) == 3 else base_url.rstrip("/") + "/" + name
        files.append(RemoteFile(name=name, url=url, known_hash=known_hash))
    if not files:
        raise InputError("the registry lists no files")
    return files


def list_doi_files(doi, *, timeout=60.0):
    """List the files of a DOI-registered record (Zenodo, figshare, Dataverse) via pooch.

    Returns
    -------
    list of RemoteFile
        Names, download URLs and the checksums published by the repository
        (Zenodo publishes md5), with sizes when the repository states them.

    Raises
    ------
    DownloadError
        The DOI could not be resolved (no network, unknown DOI).
    """
    from pooch.downloaders import doi_to_repository

    try:
        repository = doi_to_repository(doi, timeout=timeout)
        registry = pooch.create(path=tempfile.gettempdir(), base_url=f"doi:{doi}/")
        repository.populate_registry(registry)
        sizes = _record_sizes(repository)
        for name in registry.registry:
            _check_member_name(f"doi:{doi}", name)  # names become local file names
        return [
            RemoteFile(name=name, url=repository.download_url(name), known_hash=_normalise_hash(checksum), size=sizes.get(name))
            for name, checksum in sorted(registry.registry.items())
        ]
    except (OSError, ValueError, KeyError) as err:
        raise DownloadError(f"could not list the files of doi:{doi} ({err.__class__.__name__}: {err})") from err


def _record_sizes(repository):
    # Zenodo's API lists "size" per file under "files"; other repositories may not
    response = getattr(repository, "api_response", None)
    sizes = {}
    if isinstance(response, dict):
        for item in response.get("files", []):
            name = item.get("key") or item.get("filename")
            if name and isinstance(item.get("size") or item.get("filesize"), int):
                sizes[name] = item.get("size") or item.get("filesize")
    return sizes


def download_files(files, *, dest, archive_dir, progress=True, keep_archives=False, echo=print):
    """Fetch, verify and unpack ``files`` into ``dest``; skip what is already done.

    Archives are extracted with :func:`safe_extract`; other files are moved
    into ``dest``. A receipt (``dest/.crbench_download.json``) records each
    file's verified hash, so a second run skips finished files and resumes
    the unfinished one.

    Parameters
    ----------
    files : list of RemoteFile
    dest : path-like
        Data folder receiving the extracted content.
    archive_dir : path-like
        Download cache for the verified files and their ``.partial/`` folder.
    progress : bool
    keep_archives : bool
        Keep verified archives after extraction (default: delete them).
    echo : callable
        Receives one status line per step.

    Returns
    -------
    pathlib.Path
        ``dest``.
    """
    dest, archive_dir = Path(dest), Path(archive_dir)
    receipt_path = dest / RECEIPT_NAME
    receipt = _read_receipt(receipt_path)
    for remote in files:
        done = receipt["files"].get(remote.name)
        if done and done.get("known_hash") == remote.known_hash:
            echo(f"{remote.name}: already downloaded and verified, skipping")
            continue
        echo(f"{remote.name}: downloading {format_size(remote.size)} from {remote.url}")
        local = fetch(remote.url, known_hash=remote.known_hash, dest=archive_dir / remote.name, progress=progress)
        echo(f"{remote.name}: verified ({remote.known_hash.split(':')[0]})")
        if is_archive(local):
            created = safe_extract(local, dest)
            echo(f"{remote.name}: extracted {len(created)} top-level entr{'y' if len(created) == 1 else 'ies'} into {dest}")
        else:
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copy2(local, dest / remote.name)
        receipt["files"][remote.name] = asdict(remote)
        write_json_atomic(receipt_path, receipt)
        if not keep_archives:
            local.unlink()
    return dest


def _read_receipt(path):
    if not path.exists():
        return {"files": {}}
    try:
        receipt = json.loads(path.read_text())
    except (OSError, ValueError):
        return {"files": {}}  # an unreadable receipt only means "verify again"
    if not isinstance(receipt, dict) or not isinstance(receipt.get("files"), dict):
        return {"files": {}}
    return receipt
