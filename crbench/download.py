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
   a staging folder; after it, every link is resolved on disk (a chain of
   links such as ``a -> b/..``, ``b -> .`` passes the per-member checks) and
   must stay inside. Only then is the staging folder moved into place, and a
   file never replaces an existing folder (or a folder a file).
4. **Archives cannot fill the disk.** The total extracted size and the
   expansion ratio are limited (:class:`ExtractionLimits`), checked from the
   member headers before anything is written.
5. **A receipt proves the data are there.** It lists every extracted file
   with its size; a file that was deleted or changed size makes the next
   run download and extract its archive again.

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
    "ExtractionLimits",
    "RECEIPT_NAME",
]

RECEIPT_NAME = ".crbench_download.json"
_HASH_ALGORITHMS = ("sha256", "md5", "sha1", "sha512")
_ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")


#: environment variables overriding the default :class:`ExtractionLimits`
MAX_EXTRACT_BYTES_ENV = "CRBENCH_MAX_EXTRACT_BYTES"
MAX_EXTRACT_RATIO_ENV = "CRBENCH_MAX_EXTRACT_RATIO"


@dataclass(frozen=True)
class ExtractionLimits:
    """How much an archive may expand to when extracted.

    Attributes
    ----------
    max_total_bytes : int
        Largest sum of the extracted file sizes (default 200 GB, above the
        largest real data set crbench downloads).
    max_ratio : float
        Largest expansion ratio: extracted bytes over compressed bytes, per
        zip member and for a whole tar archive (default 500; deflate cannot
        exceed about 1030, data such as FITS images compress far less).
    min_checked_bytes : int
        Members (zip) and archives (tar) that extract to fewer bytes are
        not ratio-checked: a small, highly compressible text file is harmless.
    """

    max_total_bytes: int = 200 * 10**9
    max_ratio: float = 500.0
    min_checked_bytes: int = 1 << 20

    @classmethod
    def from_environment(cls):
        """The defaults, overridden by ``$CRBENCH_MAX_EXTRACT_BYTES`` and ``$CRBENCH_MAX_EXTRACT_RATIO``."""
        values = {}
        for env, name, convert in ((MAX_EXTRACT_BYTES_ENV, "max_total_bytes", int),
                                   (MAX_EXTRACT_RATIO_ENV, "max_ratio", float)):
            text = os.environ.get(env)
            if text:
                try:
                    values[name] = convert(text)
                except ValueError as err:
                    raise InputError(f"${env}={text!r} is not a number") from err
        return cls(**values)

    def check(self, archive, *, total_bytes, compressed_bytes, member=None):
        """Raise :class:`UnsafeArchiveError` when an expansion breaks a limit."""
        where = f"{archive}: member {member!r}" if member is not None else f"{archive}"
        fix = (f"if the archive is trusted, raise the limit with ${MAX_EXTRACT_BYTES_ENV} / "
               f"${MAX_EXTRACT_RATIO_ENV}")
        if member is None and total_bytes > self.max_total_bytes:
            raise UnsafeArchiveError(
                f"{where} would extract {format_size(total_bytes)}, above the limit of "
                f"{format_size(self.max_total_bytes)}; refusing to extract ({fix})")
        ratio = total_bytes / max(compressed_bytes, 1)
        if total_bytes >= self.min_checked_bytes and ratio > self.max_ratio:
            raise UnsafeArchiveError(
                f"{where} expands {ratio:.0f}x ({format_size(compressed_bytes)} to {format_size(total_bytes)}), "
                f"above the limit of {self.max_ratio:g}x (a decompression bomb?); refusing to extract ({fix})")


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


def safe_extract(archive, dest, *, limits=None):
    """Extract a zip or tar archive into ``dest`` without letting it escape.

    All members are checked before anything is written. The archive is
    unpacked into a staging folder beside ``dest``; every link in it must
    resolve inside it, and then it is moved into ``dest`` file by file:
    folders merge with existing ones (several archives of one record may
    share a root folder), files replace existing files of the same name, and
    a member that would replace a folder by a file (or a file by a folder)
    is refused. A failed extraction leaves ``dest`` unchanged.

    Parameters
    ----------
    archive : path-like
        ``.zip``, ``.tar``, ``.tar.gz``/``.tgz``, ``.tar.bz2`` or ``.tar.xz``.
    dest : path-like
        Destination folder (created if missing).
    limits : ExtractionLimits, optional
        Size and ratio limits (default :meth:`ExtractionLimits.from_environment`).

    Returns
    -------
    list of pathlib.Path
        The top-level paths created in ``dest``.

    Raises
    ------
    UnsafeArchiveError
        A member has an absolute path, a ``..`` component, is a device or
        FIFO, is a link pointing outside the archive (directly or through
        other links), would replace a folder by a file, or the archive
        expands beyond ``limits``.
    CorruptFileError
        The file is not a readable archive.
    """
    return _extract(archive, dest, limits=limits)[0]


def _extract(archive, dest, *, limits=None):
    """:func:`safe_extract`, also returning ``{relative posix path: size}`` of every extracted file."""
    limits = ExtractionLimits.from_environment() if limits is None else limits
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
        opener(archive, staging, limits)
        files = _check_staged(archive, staging, dest)
        dest.mkdir(parents=True, exist_ok=True)
        created = []
        for entry in sorted(staging.iterdir()):
            _merge_move(entry, dest / entry.name)
            created.append(dest / entry.name)
        return created, files
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _check_staged(archive, staging, dest):
    """Check the extracted tree before it is moved; return ``{relative path: size}`` of its files.

    Links are resolved on disk, so a chain of links that each look harmless
    (``a -> b/..`` with ``b -> .``) is caught. A member whose type differs
    from an existing entry of ``dest`` (a file named like a data folder)
    would delete that entry when moved, and is refused.
    """
    root = Path(os.path.realpath(staging))
    files = {}
    for folder, dirnames, filenames in os.walk(staging):
        for name in dirnames + filenames:
            path = Path(folder) / name
            relative = path.relative_to(staging)
            if path.is_symlink():
                resolved = Path(os.path.realpath(path))
                if resolved != root and root not in resolved.parents:
                    raise UnsafeArchiveError(
                        f"{archive}: member {relative.as_posix()!r} links to {os.readlink(path)!r}, which "
                        "resolves outside the extraction folder through other links; refusing to extract")
            is_folder = path.is_dir() and not path.is_symlink()
            target = Path(dest) / relative
            if target.is_dir() and not target.is_symlink() and not is_folder:
                raise UnsafeArchiveError(
                    f"{archive}: member {relative.as_posix()!r} is a file but {target} is an existing folder, "
                    "which extracting it would delete; refusing to extract")
            if is_folder and (target.is_file() or target.is_symlink()):
                raise UnsafeArchiveError(
                    f"{archive}: member {relative.as_posix()!r} is a folder but {target} is an existing file, "
                    "which extracting it would delete; refusing to extract")
            if not is_folder:
                files[relative.as_posix()] = path.lstat().st_size if path.is_symlink() else path.stat().st_size
    return files


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


def _extract_zip(archive, staging, limits):
    try:
        with zipfile.ZipFile(archive) as handle:
            total = 0
            for info in handle.infolist():
                _check_member_name(archive, info.filename)
                mode = (info.external_attr >> 16) & 0o170000
                if mode == 0o120000:
                    raise UnsafeArchiveError(f"{archive}: member {info.filename!r} is a symbolic link; refusing")
                # zipfile never returns more than the declared file_size, so the headers bound what is written
                limits.check(archive, total_bytes=info.file_size, compressed_bytes=info.compress_size,
                             member=info.filename)
                total += info.file_size
            limits.check(archive, total_bytes=total, compressed_bytes=archive.stat().st_size)
            handle.extractall(staging)
    except zipfile.BadZipFile as err:
        raise UnsafeArchiveError(f"{archive}: corrupt zip archive ({err})") from err


def _extract_tar(archive, staging, limits):
    try:
        with tarfile.open(archive) as handle:
            members = handle.getmembers()
            _check_tar_members(archive, members)
            # a tar header states each member's exact size; the ratio is taken over the compressed file
            total = sum(member.size for member in members if member.isfile())
            limits.check(archive, total_bytes=total, compressed_bytes=archive.stat().st_size)
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


def download_files(files, *, dest, archive_dir, progress=True, keep_archives=False, echo=print, limits=None):
    """Fetch, verify and unpack ``files`` into ``dest``; skip what is already done.

    Archives are extracted with :func:`safe_extract`; other files are moved
    into ``dest``. A receipt (``dest/.crbench_download.json``) records each
    file's verified hash and the path and size of every file it put into
    ``dest``, so a second run skips finished files whose extracted files are
    all still there, and fetches again the ones whose files were deleted or
    changed size (as well as entries of older receipts, which list no files).

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
    limits : ExtractionLimits, optional
        Size and ratio limits for archives (default
        :meth:`ExtractionLimits.from_environment`).

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
            missing = _missing_files(dest, done)
            if not missing:
                echo(f"{remote.name}: already downloaded and verified, skipping")
                continue
            echo(f"{remote.name}: {missing}; downloading it again")
        echo(f"{remote.name}: downloading {format_size(remote.size)} from {remote.url}")
        local = fetch(remote.url, known_hash=remote.known_hash, dest=archive_dir / remote.name, progress=progress)
        echo(f"{remote.name}: verified ({remote.known_hash.split(':')[0]})")
        if is_archive(local):
            created, extracted = _extract(local, dest, limits=limits)
            echo(f"{remote.name}: extracted {len(created)} top-level entr{'y' if len(created) == 1 else 'ies'} into {dest}")
        else:
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copy2(local, dest / remote.name)
            extracted = {remote.name: (dest / remote.name).stat().st_size}
        for other in receipt["files"].values():  # a file replaced by this one is this one's to check now
            for path in extracted:
                other.get("extracted", {}).pop(path, None)
        receipt["files"][remote.name] = {**asdict(remote), "extracted": extracted}
        write_json_atomic(receipt_path, receipt)
        if not keep_archives:
            local.unlink()
    return dest


def _missing_files(dest, entry):
    """Return why ``entry``'s extracted files are not all in ``dest`` (empty when they are)."""
    extracted = entry.get("extracted")
    if not isinstance(extracted, dict):
        return "the receipt lists no extracted files (older crbench) to check"
    for relative, size in sorted(extracted.items()):
        path = dest / relative
        if not path.is_file() and not path.is_symlink():
            return f"extracted file {path} is missing"
        if not path.is_symlink() and path.stat().st_size != size:
            return f"extracted file {path} has {path.stat().st_size} bytes, {size} when extracted"
    return ""


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
