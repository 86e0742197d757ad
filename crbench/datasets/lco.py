"""``lco_0m4``, ``lco_1m``, ``lco_2m``: the LCO CR data set (Xu et al.), one telescope class each.

Source and format
-----------------
The data set is the "Cosmic-CoNN LCO CR Dataset" on Zenodo,
doi:10.5281/zenodo.5034763 (Xu, McCully, Dong, Howell & Sen 2021). The
facts below were read from the Cosmic-CoNN repository (cy-xu/cosmic-conn);
no code was taken from it.

- ``docs/source/lco_cr_dataset.rst``: the unpacked layout is
  ``LCO_CR_dataset/{train_set,test_set}/...``; the training set has one
  folder per telescope class (``0m4_2019``, ``1m0_2019_2018``,
  ``2m0_2019``) each with a ``masked_fits/`` folder, the test set has
  ``aligned_fits/`` and ``masked_fits/`` directly. Files are named
  ``<LCO frame name>_3frms_masks.fits``. Extension order: 0 PRIMARY,
  1-3 SCI (CompImageHDU float32, 3054 x 2042 for the 0.4 m), 4 VALID_MASK
  (uint8), 5 CAT (BinTableHDU), 6-8 CR (uint8), 9-11 IGNORE (uint8). The
  ignore mask is bit-coded: 0 OK, 1 boundary, 2 no data, 4 sources,
  8 hot pixels.
- ``cosmic_conn/dl_framework/dataloader.py`` (``sample_frames_from_hdul``)
  reads the number of frames from the primary header keyword ``frmtotal``
  and indexes SCI at ``1 + i``, CR at ``3 + frmtotal + i`` and IGNORE at
  ``3 + 2 * frmtotal + i``; that is the general form checked here.
- ``cosmic_conn/cr_pipeline/lco_cr_reduction.py``: the ignore mask is the
  sum of a 100-pixel boundary (1), ``(1 - valid_mask) * 2``, the SEP source
  mask times 4 and rejected isolated pixels times 8; the CR mask is zeroed
  wherever the ignore mask is non-zero. The file name's characters 3-5 give
  the telescope class (``fnames[i][3:6] == "0m4"``).
- ``cosmic_conn/cr_pipeline/utils_io.py``: the SCI extensions are the
  BANZAI-reduced frames reprojected onto the middle frame, with their BANZAI
  headers plus ``filename``; the pipeline overwrites the header ``gain``
  with its own per-frame estimate for 0.4 m frames.
- LCOGT/banzai ``banzai/gain.py`` (``GainNormalizer``): BANZAI multiplies
  the data by the gain, scales ``SATURATE`` and ``MAXLIN`` by it and sets
  ``GAIN = 1.0``; the frames are therefore in electrons.
- ``cosmic_conn/evaluation/utils.py`` (``LCO_evaluate_and_save_masks``):
  upstream scoring multiplies prediction and truth by ``1 - (ignore > 0)``,
  i.e. ignored pixels count as true negatives; this is the ``"negative"``
  ignore policy here. ``cosmic_conn/evaluation/LCO_ROC_PR.py`` names the
  Astro-SCRAPPY settings ``objlim 0.5`` (0m4) and ``2.0`` (1m0, 2m0) with
  ``sigfrac 0.1``.

What a sample is
----------------
Each frame of a sequence file is one scored sample, with id
``"<file stem>#<frame>"`` (e.g. ``"coj0m403-kb24-20190101-0147-e91_3frms_masks#1"``).

- ``image``: the SCI data as stored (BANZAI electrons), float32.
- ``truth``: CR extension ``> 0``, undilated; the card dilates it 3x3.
- ``ignore``: IGNORE extension ``!= 0`` (any bit); the raw bits are kept in
  ``extras["ignore_bits"]`` (uint8).
- ``meta``: ``units="electron"``, ``gain=1.0`` (BANZAI's convention), read
  noise from ``RDNOISE``, saturation from ``SATURATE``, band ``FILTER``,
  exposure ``EXPTIME``, sky ``L1MEDIAN`` (BANZAI's median sky level, not
  subtracted). The header ``GAIN`` is kept as ``extra["header_gain"]``:
  for 0.4 m frames it is the CR pipeline's re-estimated gain, which upstream
  used only to label CRs, never to rescale the stored SCI data. Fallbacks
  when a keyword is missing are recorded in ``extra`` (see
  :data:`FALLBACK_READ_NOISE`).

Manifest
--------
:meth:`LCODataset.manifest` hashes files instead of decoded pixels: the
value for a sample is the sha256 of ``"<sha256 of the file bytes>#<frame>"``.
This is much cheaper than decompressing every frame and still changes if
any byte of the file changes (a re-compressed copy of the same pixels is a
different manifest, which is the safe direction).
"""

import hashlib
import os
import re
import warnings
from pathlib import Path

import numpy as np

from ..errors import CorruptFileError, DataNotAvailableError, InputError, UnsafeFileError
from ..hashing import file_sha256
from ..safe_files import check_fits_file
from .base import Dataset, DatasetCard, Sample, SampleMeta
from .locations import dataset_dir

__all__ = [
    "LCODataset",
    "LCO0m4Dataset",
    "LCO1mDataset",
    "LCO2mDataset",
    "LCO_DOI",
    "IGNORE_BITS",
    "EXPECTED_TEST_SEQUENCES",
    "FALLBACK_READ_NOISE",
    "decode_ignore_bits",
    "telescope_class_of",
    "read_lco_frame",
    "expected_extension_names",
    "LCO_DOWNLOAD_COMMAND",
    "LCO_SIZE_NOTE",
]

LCO_DOI = "10.5281/zenodo.5034763"
LCO_DOWNLOAD_COMMAND = "crbench datasets download lco"
# Not verifiable offline: Zenodo lists the exact size, which
# `crbench datasets download lco --dry-run` prints. The estimate: over 4,500
# frames of up to 3k x 2k float32 in three-frame files, RICE-compressed.
LCO_SIZE_NOTE = (
    "size: tens of GB for the whole Zenodo record, an estimate: the exact figure is printed by "
    "'crbench datasets download lco --dry-run'; the test set is 119 three-frame files"
)

# Bit values of the IGNORE extension (cosmic-conn docs, lco_cr_dataset.rst)
IGNORE_BITS = {"boundary": 1, "no_data": 2, "source": 4, "hot_pixel": 8}

# Test-set sequence counts per telescope class in Bhavanam et al. 2022
# (and the Cosmic-CoNN paper): 119 sequences in total.
EXPECTED_TEST_SEQUENCES = {"0m4": 55, "1m0": 51, "2m0": 13}

# Used only when a SCI header lacks RDNOISE (recorded in meta.extra).
# Approximate nominal read noise in electrons of the cameras of each class
# (0.4 m SBIG STX-6303, 1 m Sinistro, 2 m Spectral / MuSCAT); every released
# file is expected to carry RDNOISE, so these should never be needed.
FALLBACK_READ_NOISE = {"0m4": 14.5, "1m0": 7.5, "2m0": 9.0}

_CLASS_PATTERN = re.compile(r"^[a-z]{3}(\d)m(\d)")
_FOLDER_PATTERN = re.compile(r"^(\d)m(\d)_")  # training-set folders: 0m4_2019, 1m0_2019_2018
_FITS_SUFFIXES = (".fits.fz", ".fits", ".fz", ".fit")
_READ_ERRORS = (OSError, ValueError, TypeError, IndexError, KeyError, EOFError, AttributeError)


def telescope_class_of(filename):
    """Return ``"0m4"``, ``"1m0"`` or ``"2m0"`` from an LCO file name, or None.

    LCO frame names start with the site and telescope, e.g.
    ``coj0m403-kb24-...`` (0.4 m), ``cpt1m010-fa16-...`` (1 m),
    ``ogg2m001-fs02-...`` (2 m).
    """
    match = _CLASS_PATTERN.match(Path(filename).name)
    return f"{match.group(1)}m{match.group(2)}" if match else None


def _folder_class(folder_name):
    match = _FOLDER_PATTERN.match(folder_name)
    return f"{match.group(1)}m{match.group(2)}" if match else None


def decode_ignore_bits(bits):
    """Split a bit-coded IGNORE array into one boolean mask per reason.

    Parameters
    ----------
    bits : ndarray of int
        IGNORE extension values.

    Returns
    -------
    dict of str to ndarray of bool
        Keys of :data:`IGNORE_BITS` plus ``"any"`` (any bit set).
    """
    bits = np.asarray(bits)
    if bits.dtype.kind not in "uib":
        raise InputError(f"ignore bits must be an integer array, got dtype {bits.dtype}")
    bits = bits.astype(np.int64, copy=False)
    decoded = {name: (bits & value) != 0 for name, value in IGNORE_BITS.items()}
    decoded["any"] = bits != 0
    return decoded


def expected_extension_names(n_frames):
    """Return the HDU names of an ``n_frames`` sequence file, in order."""
    return ["PRIMARY"] + ["SCI"] * n_frames + ["VALID_MASK", "CAT"] + ["CR"] * n_frames + ["IGNORE"] * n_frames


def _file_stem(path):
    name = Path(path).name
    for suffix in _FITS_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _open_checked(path):
    """Open an LCO sequence file and check its extension layout; return (hdul, n_frames)."""
    from astropy.io import fits
    from astropy.utils.exceptions import AstropyUserWarning

    hdul = None
    try:
        with warnings.catch_warnings():
            # astropy reports truncation as a warning; here it is an error
            warnings.simplefilter("error", AstropyUserWarning)
            # regular file, declared sizes within limits: a hostile header cannot hang or exhaust memory
            check_fits_file(path)
            hdul = fits.open(path, memmap=False)
            hdul.readall()
    except UnsafeFileError:
        raise  # names the file and the fix already
    except (*_READ_ERRORS, AstropyUserWarning) as err:
        if hdul is not None:
            hdul.close()
        raise CorruptFileError(
            f"{path}: cannot read as FITS ({err.__class__.__name__}: {err}); expected an LCO CR "
            "'_3frms_masks.fits' file. Re-download it with 'crbench datasets download lco'"
        ) from err
    try:
        n_frames = hdul[0].header.get("FRMTOTAL")
        # each frame has extensions in the file: a forged count (10**15) must not size a list of names
        if not isinstance(n_frames, int) or isinstance(n_frames, bool) or not 1 <= n_frames <= len(hdul):
            raise CorruptFileError(
                f"{path}: primary header keyword FRMTOTAL is {n_frames!r}; expected the number of "
                f"frames in the sequence (3 in the LCO CR data set; fewer than the {len(hdul)} extensions "
                "of this file)"
            )
        expected = expected_extension_names(n_frames)
        found = [hdu.name.upper() for hdu in hdul]
        if found[1:] != expected[1:]:
            raise CorruptFileError(
                f"{path}: extensions are {found}; expected {expected} "
                f"(PRIMARY, {n_frames} x SCI, VALID_MASK, CAT, {n_frames} x CR, {n_frames} x IGNORE)"
            )
        from astropy.io.fits import BinTableHDU

        if not isinstance(hdul[n_frames + 2], BinTableHDU):
            raise CorruptFileError(f"{path}: extension {n_frames + 2} (CAT) is not a binary table")
    except BaseException:
        hdul.close()
        raise
    return hdul, n_frames


def _hdu_array(path, hdul, index, *, label, kinds, expected):
    from astropy.utils.exceptions import AstropyUserWarning

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", AstropyUserWarning)
            data = hdul[index].data
    except (*_READ_ERRORS, AstropyUserWarning) as err:
        raise CorruptFileError(
            f"{path}: extension {index} ({label}) cannot be decoded ({err.__class__.__name__}: {err}); "
            "the file is truncated or corrupt: re-download it with 'crbench datasets download lco'"
        ) from err
    if data is None:
        raise CorruptFileError(f"{path}: extension {index} ({label}) has no data; expected {expected}")
    data = np.asarray(data)
    if data.ndim != 2:
        raise CorruptFileError(f"{path}: extension {index} ({label}) has shape {data.shape}; expected a 2-D {expected}")
    if data.dtype.kind not in kinds:
        raise CorruptFileError(f"{path}: extension {index} ({label}) has dtype {data.dtype}; expected {expected}")
    return data


def read_lco_frame(path, frame):
    """Read one frame of an LCO CR sequence file, checking the layout.

    Parameters
    ----------
    path : path-like
        A ``*_3frms_masks.fits`` file.
    frame : int
        Frame index, ``0 <= frame < FRMTOTAL``.

    Returns
    -------
    dict
        ``"image"`` (float32), ``"cr"`` (uint8), ``"ignore_bits"`` (uint8),
        ``"header"`` (the SCI header), ``"n_frames"``.

    Raises
    ------
    CorruptFileError
        Unreadable or truncated file, wrong extension order, missing
        extension, wrong dtype or shapes that differ; the message names the
        file and what was expected.
    """
    path = Path(path)
    hdul, n_frames = _open_checked(path)
    with hdul:
        if not 0 <= frame < n_frames:
            raise InputError(f"{path}: frame {frame} does not exist; the file has {n_frames} frames")
        sci_index, cr_index, ignore_index = 1 + frame, 3 + n_frames + frame, 3 + 2 * n_frames + frame
        image = _hdu_array(path, hdul, sci_index, label=f"SCI frame {frame}", kinds="f", expected="float32 image")
        cr = _hdu_array(path, hdul, cr_index, label=f"CR frame {frame}", kinds="uib", expected="uint8 CR mask")
        bits = _hdu_array(path, hdul, ignore_index, label=f"IGNORE frame {frame}", kinds="uib", expected="uint8 bit mask")
        for label, array in (("CR", cr), ("IGNORE", bits)):
            if array.shape != image.shape:
                raise CorruptFileError(
                    f"{path}: {label} frame {frame} has shape {array.shape}; expected the SCI shape {image.shape}"
                )
        if bits.size and (bits.min() < 0 or bits.max() > 15):
            raise CorruptFileError(
                f"{path}: IGNORE frame {frame} holds values outside 0-15; expected the bits "
                f"{IGNORE_BITS} combined"
            )
        header = hdul[sci_index].header.copy()
    return {
        "image": image.astype(np.float32),
        "cr": (cr > 0).astype(np.uint8),
        "ignore_bits": bits.astype(np.uint8),
        "header": header,
        "n_frames": n_frames,
    }


def _header_float(header, key):
    value = header.get(key)
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) else None


def _classical_params(objlim, sigclip=15.0, sigfrac=0.1):
    # LACosmic (lacosmic package) names: contrast = objlim, cr_threshold =
    # sigclip, neighbor_threshold = sigfrac * sigclip
    return {
        "astroscrappy": {"objlim": objlim, "sigfrac": sigfrac, "sigclip": sigclip},
        "lacosmic": {"contrast": objlim, "cr_threshold": sigclip, "neighbor_threshold": sigfrac * sigclip},
    }


def _lco_card(name, telescope_class, label, objlim, cameras):
    n_test = EXPECTED_TEST_SEQUENCES[telescope_class]
    return DatasetCard(
        name=name,
        version="1",
        family="lco",
        description=(
            f"LCO CR data set, {label} telescopes ({cameras}): real BANZAI-reduced frames with CR masks "
            f"from three-frame sequences; each frame is one sample (test set: {n_test} sequences = "
            f"{3 * n_test} frames in Bhavanam et al. 2022). Truth dilated 3x3; pixels with any IGNORE bit "
            "are excluded (ignore policy 'negative' reproduces Cosmic-CoNN's 'ignored = true negative')."
        ),
        instrument=name,
        truth_dilation=3,
        ignore_policy="exclude",
        detector_params=_classical_params(objlim),
        splits=("train", "test"),
        source=f"Zenodo doi:{LCO_DOI} (https://doi.org/{LCO_DOI}); fetch with '{LCO_DOWNLOAD_COMMAND}'",
        citation=(
            "Xu, C., McCully, C., Dong, B., Howell, D. A., & Sen, P. (2021). Cosmic-CoNN LCO CR Dataset "
            f"(Version 0.1.0) [Data set]. Zenodo. doi:{LCO_DOI}; Xu et al. 2023, ApJ 942, 73 (arXiv:2106.14922)"
        ),
        license="as stated on the Zenodo record (cite the data set DOI); LCO archive data are public",
        size_note=LCO_SIZE_NOTE,
        bootstrap_strata="telescope_class",
    )


class LCODataset(Dataset):
    """Base class of the LCO CR data sets; subclasses fix the telescope class.

    Parameters
    ----------
    size : str, optional
        Only ``"default"``.
    data_dir : path-like, optional
        The ``LCO_CR_dataset`` folder or a folder holding it (directly or in
        ``lco/``). Default: ``$CRBENCH_DATA/lco``, else
        ``$CRBENCH_CACHE/data/lco``.
    """

    telescope_class: str = ""
    card: DatasetCard
    download_command = LCO_DOWNLOAD_COMMAND

    def __init__(self, *, size=None, data_dir=None):
        super().__init__(size=size, data_dir=data_dir)
        self._index = {}
        self._file_hashes = {}

    # -- locating the files -------------------------------------------------

    def _base_dir(self):
        return dataset_dir("lco", self.data_dir)

    def root(self):
        """Return the ``LCO_CR_dataset`` folder, or None if it cannot be found."""
        base = self._base_dir()
        for candidate in (base, base / "LCO_CR_dataset", base / "lco", base / "lco" / "LCO_CR_dataset"):
            if (candidate / "test_set").is_dir() or (candidate / "train_set").is_dir():
                return candidate
        return None

    def _missing_message(self, detail):
        return (
            f"data set {self.name!r} (LCO CR data set, doi:{LCO_DOI}) is not available: {detail}. "
            f"Fetch it with '{LCO_DOWNLOAD_COMMAND}' ({LCO_SIZE_NOTE}); or point --data-dir / "
            "CRBENCH_DATA at an existing copy (the folder holding LCO_CR_dataset/, or $CRBENCH_DATA/lco/)"
        )

    def check_available(self):
        root = self.root()
        if root is None:
            raise DataNotAvailableError(
                self._missing_message(f"no LCO_CR_dataset/{{train_set,test_set}} under {self._base_dir()}")
            )

    def _split_files(self, split):
        """Return ``[(path, n_frames)]`` of this telescope class in ``split``, sorted by name."""
        self.check_split(split)
        if split in self._index:
            return self._index[split]
        self.check_available()
        split_dir = self.root() / f"{split}_set"
        if not split_dir.is_dir():
            raise DataNotAvailableError(self._missing_message(f"{split_dir} does not exist"))
        paths = []
        for folder, dirnames, filenames in os.walk(split_dir):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            if Path(folder).name != "masked_fits":
                continue
            for filename in filenames:
                if filename.startswith(".") or not filename.lower().endswith(_FITS_SUFFIXES):
                    continue
                path = Path(folder) / filename
                telescope_class = telescope_class_of(filename) or _folder_class(path.parent.parent.name)
                if telescope_class is None:
                    raise CorruptFileError(
                        f"{path}: cannot tell the telescope class from the file name; expected an LCO frame "
                        "name such as 'coj0m403-kb24-20190101-0147-e91_3frms_masks.fits'"
                    )
                if telescope_class == self.telescope_class:
                    paths.append(path)
        if not paths:
            raise DataNotAvailableError(
                self._missing_message(f"no {self.telescope_class} files in {split_dir}/**/masked_fits/")
            )
        paths.sort(key=lambda item: (item.name, str(item)))
        files, stems = [], {}
        for path in paths:
            stem = _file_stem(path)
            if stem in stems:
                raise CorruptFileError(f"{path} and {stems[stem]} share the sample id stem {stem!r}")
            stems[stem] = path
            files.append((path, self._n_frames(path)))
        self._index[split] = files
        return files

    @staticmethod
    def _n_frames(path):
        hdul, n_frames = _open_checked(path)
        hdul.close()
        return n_frames

    # -- Dataset interface ----------------------------------------------------

    def sample_ids(self, split):
        return [f"{_file_stem(path)}#{frame}" for path, n_frames in self._split_files(split) for frame in range(n_frames)]

    def _locate(self, split, sample_id):
        stem, sep, frame_text = sample_id.rpartition("#")
        if not sep or not frame_text.isdigit():
            raise InputError(f"sample id {sample_id!r} is not '<file stem>#<frame>'")
        for path, n_frames in self._split_files(split):
            if _file_stem(path) == stem:
                frame = int(frame_text)
                if frame >= n_frames:
                    raise InputError(f"sample id {sample_id!r}: {path} has only {n_frames} frames")
                return path, frame
        raise InputError(f"sample id {sample_id!r} is not in split {split!r} of {self.name!r}")

    def load_sample(self, split, sample_id):
        path, frame = self._locate(split, sample_id)
        content = read_lco_frame(path, frame)
        header, image, bits = content["header"], content["image"], content["ignore_bits"]
        extra = {
            "file": str(path.relative_to(self.root())),
            "frame": frame,
            "n_frames": content["n_frames"],
            "frame_name": header.get("FILENAME"),
            "camera": header.get("INSTRUME"),
            "site": header.get("SITEID"),
            "header_gain": _header_float(header, "GAIN"),
        }
        read_noise = _header_float(header, "RDNOISE")
        if read_noise is None:
            read_noise = FALLBACK_READ_NOISE[self.telescope_class]
            extra["read_noise_source"] = f"fallback for {self.telescope_class} (no RDNOISE in header)"
        saturation = _header_float(header, "SATURATE")
        if saturation is None or saturation <= 0:
            saturation = float(np.finfo(np.float32).max)
            extra["saturation_source"] = "no SATURATE in header: saturation handling disabled"
        sky_level = _header_float(header, "L1MEDIAN")
        if sky_level is None:
            usable = (bits & (IGNORE_BITS["no_data"] | IGNORE_BITS["boundary"])) == 0
            sky_level = float(np.median(image[usable])) if usable.any() else None
            extra["sky_level_source"] = "median of the frame (no L1MEDIAN in header)"
        band = header.get("FILTER")
        meta = SampleMeta(
            instrument=self.name,
            units="electron",
            gain=1.0,
            read_noise=read_noise,
            saturation=saturation,
            band=str(band) if band is not None else None,
            exposure_time=_header_float(header, "EXPTIME"),
            sky_level=sky_level,
            sky_subtracted=False,
            telescope_class=self.telescope_class,
            extra=extra,
        )
        return Sample(
            sample_id=sample_id,
            image=image,
            truth=content["cr"].astype(bool),
            ignore=bits != 0,
            meta=meta,
            extras={"ignore_bits": bits},
        )

    def manifest(self, split):
        """Return ``{sample_id: sha256}`` from file hashes (see the module docstring)."""
        manifest = {}
        for path, n_frames in self._split_files(split):
            file_hash = self._file_sha256(path)
            for frame in range(n_frames):
                manifest[f"{_file_stem(path)}#{frame}"] = hashlib.sha256(f"{file_hash}#{frame}".encode()).hexdigest()
        return manifest

    def _file_sha256(self, path):
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        if key not in self._file_hashes:
            self._file_hashes[key] = file_sha256(path, chunk_bytes=1 << 22)
        return self._file_hashes[key]


class LCO0m4Dataset(LCODataset):
    """LCO CR data set, 0.4 m telescopes (Astro-SCRAPPY objlim 0.5)."""

    telescope_class = "0m4"
    card = _lco_card("lco_0m4", "0m4", "0.4 m", 0.5, "SBIG cameras")


class LCO1mDataset(LCODataset):
    """LCO CR data set, 1 m telescopes (Astro-SCRAPPY objlim 2.0)."""

    telescope_class = "1m0"
    card = _lco_card("lco_1m", "1m0", "1 m", 2.0, "Sinistro cameras")


class LCO2mDataset(LCODataset):
    """LCO CR data set, 2 m telescopes (Astro-SCRAPPY objlim 2.0)."""

    telescope_class = "2m0"
    card = _lco_card("lco_2m", "2m0", "2 m", 2.0, "Spectral / MuSCAT cameras")
