"""Registry and retrieval of published model weights.

Weights are never shipped with crbench. On first use they are fetched from
the authors' repository at a pinned commit with :mod:`pooch`, verified
against a recorded sha256 and kept in crbench's cache
(``$CRBENCH_CACHE/weights``, by default the user cache directory).

Offline machines point ``$CRBENCH_WEIGHTS_DIR`` at a folder holding verified
copies of the files (same file names); a file found there is used only if
its sha256 matches the registry.
"""

from dataclasses import dataclass
from pathlib import Path

from .cache import cache_root
from .errors import ChecksumError, DataNotAvailableError, UnknownNameError
from .hashing import preseeded_copy

__all__ = ["WeightFile", "PUBLISHED_WEIGHTS", "weights_path", "weights_cache_dir"]

_ATTENTION_REPO = "lfovia/Attention-Augmented-Cosmic-Ray-Detection-in-Astronomical-Images"
_ATTENTION_COMMIT = "9c122e554b70b478f2323af1c434b9e0d1c45d7b"
_ATTENTION_BASE_URL = f"https://raw.githubusercontent.com/{_ATTENTION_REPO}/{_ATTENTION_COMMIT}/Trained_Models/"


@dataclass(frozen=True)
class WeightFile:
    """One published weight file.

    Attributes
    ----------
    file_name : str
        Name of the file in the source folder (and in the cache).
    sha256 : str
        Hex digest of the exact bytes.
    base_url : str
        URL of the folder; ``base_url + file_name`` is downloaded.
    source : str
        Human-readable provenance.
    """

    file_name: str
    sha256: str
    base_url: str
    source: str

    @property
    def url(self):
        """Download URL of the file."""
        return self.base_url + self.file_name


_SOURCE = f"{_ATTENTION_REPO}@{_ATTENTION_COMMIT[:12]} Trained_Models/ (Bhavanam et al. 2022)"

#: Published weights by detector name. The misspelled "Coasmic" names are the authors' file names.
PUBLISHED_WEIGHTS = {
    "deepcr": WeightFile(
        "deepCR.pth", "103bb140469d664b03b9209e8c0c413c808128f6a0c149155a53a3d1420d2a48", _ATTENTION_BASE_URL, _SOURCE
    ),
    "att_deepcr": WeightFile(
        "Att_deepCR.pth",
        "1f58e1181b7e2f95c2834dbf0d021a558b4f8a70d74f7d97b56f9a4cdb5eff8b",
        _ATTENTION_BASE_URL,
        _SOURCE,
    ),
    "cosmic_conn": WeightFile(
        "Coasmic_CoNN.pth",
        "49bee3a03f23b3be7c9758782de1ab72afda773d1869dde49e569b4f89d82bca",
        _ATTENTION_BASE_URL,
        _SOURCE,
    ),
    "att_cosmic_conn": WeightFile(
        "Att_Coasmic_CoNN.pth",
        "63d5abaa18b496628922555c50ca31dfaf59414672f53e4523bc08ee63ed7375",
        _ATTENTION_BASE_URL,
        _SOURCE,
    ),
}


def weights_cache_dir():
    """Return the folder where downloaded weights are kept."""
    return cache_root() / "weights"


def weights_path(name, *, base_url=None, progressbar=True):
    """Return the local path of the verified published weights of ``name``.

    Parameters
    ----------
    name : str
        A key of :data:`PUBLISHED_WEIGHTS`.
    base_url : str, optional
        Folder URL to download from instead of the registry's (tests, mirrors).
    progressbar : bool
        Show a tqdm progress bar while downloading.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ChecksumError
        A copy in ``$CRBENCH_WEIGHTS_DIR`` or a download does not match the
        recorded sha256 (nothing is left in the cache).
    DataNotAvailableError
        The file cannot be downloaded (e.g. no network).
    """
    try:
        entry = PUBLISHED_WEIGHTS[name]
    except KeyError:
        raise UnknownNameError(
            f"no published weights named {name!r}; known: {', '.join(sorted(PUBLISHED_WEIGHTS))}"
        ) from None

    local = preseeded_copy("CRBENCH_WEIGHTS_DIR", entry.file_name, sha256=entry.sha256,
                           replace_with=f"the file from {entry.source}")
    if local is not None:
        return local

    import pooch
    import requests

    url = (base_url if base_url is not None else entry.base_url) + entry.file_name
    cache_dir = weights_cache_dir()
    try:
        path = pooch.retrieve(
            url,
            known_hash=f"sha256:{entry.sha256}",
            fname=entry.file_name,
            path=cache_dir,
            progressbar=progressbar,
        )
    except ValueError as err:
        # pooch checks the hash of the temporary download and deletes it on mismatch
        raise ChecksumError(
            f"downloaded {url} does not match the recorded sha256 {entry.sha256} ({err}); "
            "nothing was cached. Retry later, or place a verified copy in CRBENCH_WEIGHTS_DIR"
        ) from err
    except (requests.exceptions.RequestException, OSError) as err:
        raise DataNotAvailableError(
            f"cannot download the {name!r} weights from {url} ({err}). On a machine without internet, "
            f"set CRBENCH_WEIGHTS_DIR to a folder holding {entry.file_name} (sha256 {entry.sha256})"
        ) from err
    return Path(path)
