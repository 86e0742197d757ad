"""Built stack data sets on disk: one FITS per frame, a description and a manifest.

Layout of ``<output>/<name>/``:

- ``crbench_dataset.json``: the data set card, the builder's parameters and
  options, the crbench version and stack code hash, every input file's
  sha256, and per sample its file, metadata and builder diagnostics. It is
  written last, so a folder without it is an unfinished build.
- ``manifest.json``: ``{"test": {sample_id: sha256}}`` with
  :func:`crbench.datasets.sample_sha256` of each validated sample.
- ``frames/<sample_id>.fits``: HDUs ``IMAGE`` (the input pixels, float32),
  ``TRUTH``, ``IGNORE``, ``IGNORE_REASON`` (uint8; bits in its header),
  ``CLEANED`` (float32) and ``SIGNIFICANCE`` (float32), ready for ds9
  (``ds9 -multiframe frames/X.fits``).
"""

import hashlib
import json
import warnings
from pathlib import Path

import numpy as np

from .. import __version__
from ..atomic import atomic_path, write_json_atomic
from ..errors import CorruptFileError, DataNotAvailableError
from ..safe_files import check_fits_file
from .params import IGNORE_REASONS

__all__ = [
    "DATASET_FILE",
    "MANIFEST_FILE",
    "FRAMES_DIR",
    "FORMAT",
    "STACK_SPLIT",
    "FRAME_HDUS",
    "stack_code_hash",
    "write_stack_folder",
    "read_stack_folder",
    "read_frame_hdus",
    "is_stack_folder",
]

DATASET_FILE = "crbench_dataset.json"
MANIFEST_FILE = "manifest.json"
FRAMES_DIR = "frames"
FORMAT = "crbench-stack-dataset/1"
#: a built stack is one test split holding every frame: the frames are one field, not independent draws
STACK_SPLIT = "test"
FRAME_HDUS = ("IMAGE", "TRUTH", "IGNORE", "IGNORE_REASON", "CLEANED", "SIGNIFICANCE")


def stack_code_hash():
    """Return the sha256 of the source of every module of :mod:`crbench.stack` (part of cache keys)."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def is_stack_folder(folder):
    """Return True when ``folder`` holds a built stack data set."""
    return (Path(folder) / DATASET_FILE).is_file()


def _frame_hdus(image, result):
    from astropy.io import fits

    primary = fits.PrimaryHDU()
    primary.header["CRBENCH"] = (__version__, "crbench version that built this file")
    reason = fits.ImageHDU(result.ignore_reason.astype(np.uint8), name="IGNORE_REASON")
    for name, bit in IGNORE_REASONS.items():
        reason.header[f"BIT{bit}"] = (name, "ignore reason of this bit")
    hdus = [
        primary,
        fits.ImageHDU(np.asarray(image, dtype=np.float32), name="IMAGE"),
        fits.ImageHDU(result.truth.astype(np.uint8), name="TRUTH"),
        fits.ImageHDU(result.ignore.astype(np.uint8), name="IGNORE"),
        reason,
        fits.ImageHDU(result.cleaned.astype(np.float32), name="CLEANED"),
        fits.ImageHDU(result.significance.astype(np.float32), name="SIGNIFICANCE"),
    ]
    hdus[2].header["COMMENT"] = "1 = cosmic-ray pixel found by comparison with the other frames"
    hdus[3].header["COMMENT"] = "1 = excluded from scoring (reasons in IGNORE_REASON)"
    hdus[5].header["COMMENT"] = "IMAGE with CR pixels replaced by the scaled median of the other frames"
    hdus[6].header["COMMENT"] = "(IMAGE - combination of the other frames) / noise"
    return fits.HDUList(hdus)


def _sample_sha256(sample_id, image, truth, ignore, meta):
    from ..datasets.base import Sample, sample_sha256

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NaN pixels are already in the ignore mask; the warning is for readers
        sample = Sample(sample_id, image, truth, ignore, meta).validated()
    return sample_sha256(sample)


def write_stack_folder(folder, *, card, samples, params, builder_options, inputs, progress=False):
    """Write a built stack data set.

    Parameters
    ----------
    folder : path-like
        ``<output>/<name>``; created if needed, files in it replaced.
    card : crbench.datasets.DatasetCard
    samples : list of (str, ndarray, SampleMeta, FrameTruth)
        Sample id, input pixels, metadata and the builder's products.
    params : StackParams
    builder_options : dict
        JSON-ready options of the build (alignment, groups, header sources).
    inputs : list of dict
        JSON-ready description of each input file (name, sha256, ...).
    progress : bool, optional
        Show a progress bar over the frames written.

    Returns
    -------
    dict
        The manifest ``{sample_id: sha256}``.
    """
    folder = Path(folder)
    (folder / FRAMES_DIR).mkdir(parents=True, exist_ok=True)
    manifest, entries = {}, {}
    if progress:
        from tqdm.auto import tqdm

        samples = tqdm(samples, desc=f"writing {folder.name}", unit="frame")
    for sample_id, image, meta, result in samples:
        path = folder / FRAMES_DIR / f"{sample_id}.fits"
        with atomic_path(path) as tmp:
            _frame_hdus(image, result).writeto(tmp, overwrite=True)
        stored = np.asarray(image, dtype=np.float32)
        manifest[sample_id] = _sample_sha256(sample_id, stored, result.truth, result.ignore, meta)
        entries[sample_id] = {"file": f"{FRAMES_DIR}/{sample_id}.fits", "meta": meta.to_dict(),
                              "diagnostics": result.diagnostics}
    write_json_atomic(folder / MANIFEST_FILE, {STACK_SPLIT: manifest})
    write_json_atomic(folder / DATASET_FILE, {
        "format": FORMAT,
        "crbench_version": __version__,
        "card": card.to_dict(),
        "builder": {"params": params.to_dict(), "stack_code_sha256": stack_code_hash(), **builder_options},
        "inputs": inputs,
        "samples": entries,
    })
    return manifest


def read_stack_folder(folder):
    """Read and check ``crbench_dataset.json`` and the manifest of a built stack.

    Returns
    -------
    info : dict
        The description (see the module docstring).
    manifest : dict
        ``{sample_id: sha256}`` of the test split.

    Raises
    ------
    DataNotAvailableError
        No ``crbench_dataset.json`` in ``folder``.
    CorruptFileError
        Unreadable or inconsistent description or manifest.
    """
    folder = Path(folder)
    path = folder / DATASET_FILE
    if not path.is_file():
        raise DataNotAvailableError(f"{folder} holds no {DATASET_FILE}: build it with 'crbench datasets "
                                    "from-stack NAME --images ... --output DIR'")
    try:
        info = json.loads(path.read_text())
        manifest = json.loads((folder / MANIFEST_FILE).read_text())[STACK_SPLIT]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise CorruptFileError(f"{folder}: cannot read {DATASET_FILE} / {MANIFEST_FILE} ({err}); rebuild it") from err
    if not isinstance(manifest, dict) or not all(isinstance(key, str) and isinstance(value, str)
                                                 for key, value in manifest.items()):
        raise CorruptFileError(f"{folder / MANIFEST_FILE}: {STACK_SPLIT!r} is not a mapping of sample id to "
                               "sha256 string; rebuild it")
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        raise CorruptFileError(f"{path}: format {info.get('format') if isinstance(info, dict) else None!r}, "
                               f"expected {FORMAT!r}")
    if set(manifest) != set(info.get("samples", {})):
        raise CorruptFileError(f"{folder}: {MANIFEST_FILE} and {DATASET_FILE} list different samples; rebuild it")
    return info, manifest


def read_frame_hdus(path, names=FRAME_HDUS):
    """Return ``{hdu name: ndarray}`` of one built frame file.

    Raises
    ------
    CorruptFileError
        Unreadable file or a missing HDU.
    """
    from astropy.io import fits

    check_fits_file(path)  # regular file, declared sizes within limits
    try:
        with fits.open(path, memmap=False) as hdus:
            return {name: np.array(hdus[name].data) for name in names}
    except (OSError, KeyError, ValueError, TypeError) as err:
        raise CorruptFileError(f"{path}: cannot read the built frame ({err.__class__.__name__}: {err}); "
                               "rebuild the data set") from err

