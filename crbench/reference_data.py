"""Registry and retrieval of real CCD material used to validate the simulator.

Two public sets of real pixels are small enough to run anywhere:

- ``decam_stack``: ten DECam Community Pipeline exposures of one field
  (i band, 330 s, CCD N6, 256 x 256), from the sfft repository;
- ``itl_cosmic_rays``: 11,986 cosmic-ray footprints from LSST ITL dark
  frames, from the LSST DESC imSim repository.

Files are fetched from their public URLs at a pinned commit and verified
against a recorded sha256 (:func:`crbench.download.fetch`, which uses
pooch), then kept in ``$CRBENCH_CACHE/reference/<set>/``. Offline machines
point ``$CRBENCH_REFERENCE_DIR`` at a folder holding verified copies laid out
as ``<set>/<file>``; a copy there is used only if its sha256 matches.
"""

from dataclasses import dataclass

from .cache import cache_root
from .errors import UnknownNameError
from .hashing import preseeded_copy

__all__ = ["ReferenceFile", "REFERENCE_SETS", "reference_path", "reference_paths", "reference_cache_dir"]

_SFFT_COMMIT = "fa820e8b05ed374013b06bb32a53fa0ec0a6e753"
_SFFT_BASE_URL = (
    f"https://raw.githubusercontent.com/thomasvrussell/sfft/{_SFFT_COMMIT}/"
    "test/difference_noise_decorrelation/input_data/"
)
_IMSIM_COMMIT = "724513674cf7fb560fd3e6ebb6eddeb6170944bb"
_IMSIM_BASE_URL = f"https://raw.githubusercontent.com/LSSTDESC/imSim/{_IMSIM_COMMIT}/data/"


@dataclass(frozen=True)
class ReferenceFile:
    """One file of real reference material.

    Attributes
    ----------
    file_name : str
        Name in the source folder and in the cache.
    sha256 : str
        Hex digest of the exact bytes.
    base_url : str
        ``base_url + file_name`` is downloaded.
    """

    file_name: str
    sha256: str
    base_url: str

    @property
    def url(self):
        """Download URL of the file."""
        return self.base_url + self.file_name


_DECAM_FILES = {
    "DEC-OBS04a.mini.fits": "fd75a1f9fb70077bd04460d5ef872c94b29e4c18c3ba138a10af9925e6befb5f",
    "DEC-OBS04b.mini.fits": "be074b9025d27ae4bc9d88fc5c178f10922e5cdb0fce5a142afc7de7f688fc2a",
    "DEC-OBS04c.mini.fits": "946160e2cd9cfbbb45d868054458010bdd1844540737c47b961d26b61d64a2cf",
    "DEC-OBS04d.mini.fits": "75600e090757636a148917f45df88bfc40aa4631fd15e4ce42090e42b98d3173",
    "DEC-OBS04e.mini.fits": "0bf71cf069759d5b9935f5a2101479e37538c4674a09421734b999ba1efaa2ad",
    "DEC-OBS18a.mini.fits": "0764386079f121ce18ca465781d6313292bac9e8e396ecb5bc2d09e864669cde",
    "DEC-OBS18b.mini.fits": "face554a27320d3d325f7a5533db50e71621d9b5608fcc20f6dfb7cf4c6f9e8f",
    "DEC-OBS18c.mini.fits": "538cabee7d4dda3cbdcdbdd9188583a0ce32bbdb01517aa4d2345db75415ce10",
    "DEC-OBS18d.mini.fits": "9564431367f9e3f460422779342f609d342d2a562fbe35979af5d0c7df100383",
    "DEC-OBS18e.mini.fits": "6573b88960ea57bbd861d74080f6bf2328d9c8dbb0eeb9e3c16aa44612b589b9",
}

#: Reference sets by name: (provenance, files). Folder names match ``shared/data`` beside the repository.
REFERENCE_SETS = {
    "decam_stack_sfft": (
        f"thomasvrussell/sfft@{_SFFT_COMMIT[:12]} (MIT); pixels: NOIRLab DECam Community Pipeline InstCal, "
        "CCD N6, i band, 330 s; OBS04a native grid, the other nine LANCZOS3-resampled onto it",
        tuple(ReferenceFile(name, digest, _SFFT_BASE_URL) for name, digest in _DECAM_FILES.items()),
    ),
    "imsim_cr_catalog": (
        f"LSSTDESC/imSim@{_IMSIM_COMMIT[:12]} (BSD-3-Clause): cosmic-ray footprints from LSST ITL dark frames",
        (
            ReferenceFile(
                "cosmic_rays_itl_2017.fits.gz",
                "f0eab4c216f16ccb75f2cfee21732849b4a0e059c3b9bf31c8d73d88599c8035",
                _IMSIM_BASE_URL,
            ),
        ),
    ),
}


def reference_cache_dir(set_name):
    """Return the folder where the downloaded files of ``set_name`` are kept."""
    return cache_root() / "reference" / set_name


def _files(set_name):
    try:
        return REFERENCE_SETS[set_name][1]
    except KeyError:
        raise UnknownNameError(f"no reference set {set_name!r}; known: {', '.join(sorted(REFERENCE_SETS))}") from None


def _entry(set_name, file_name):
    for entry in _files(set_name):
        if entry.file_name == file_name:
            return entry
    raise UnknownNameError(f"reference set {set_name!r} has no file {file_name!r}")


def reference_path(set_name, file_name, *, base_url=None, progress=False):
    """Return the local path of one verified reference file, fetching it if needed.

    Parameters
    ----------
    set_name : str
        A key of :data:`REFERENCE_SETS`.
    file_name : str
        One of the set's files.
    base_url : str, optional
        Folder URL to download from instead of the registry's (tests, mirrors).
    progress : bool, optional
        Show a progress bar while downloading.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ChecksumError
        A copy in ``$CRBENCH_REFERENCE_DIR`` or a download does not match the
        recorded sha256.
    DownloadError
        The file cannot be downloaded (e.g. no network).
    """
    from .download import fetch

    entry = _entry(set_name, file_name)
    local = preseeded_copy("CRBENCH_REFERENCE_DIR", f"{set_name}/{entry.file_name}", sha256=entry.sha256,
                           replace_with=entry.url)
    if local is not None:
        return local
    url = (base_url if base_url is not None else entry.base_url) + entry.file_name
    return fetch(url, known_hash=f"sha256:{entry.sha256}", dest=reference_cache_dir(set_name) / entry.file_name,
                 progress=progress)


def reference_paths(set_name, **kwargs):
    """Return the verified local paths of every file of ``set_name`` (see :func:`reference_path`)."""
    return [reference_path(set_name, entry.file_name, **kwargs) for entry in _files(set_name)]
