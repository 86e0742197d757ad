"""``decam``: the DECam CR data set of Bhavanam et al. 2022 (user-supplied files).

Source and format
-----------------
The data are 256 x 256 patches cut from 2K x 4K DECam CCD images in the
g, r, i and z bands, with cosmic rays from dark frames injected and labelled
(Bhavanam et al. 2022, arXiv:2207.10411). They are not publicly
downloadable: ask the authors (contact address in the README of
github.com/lfovia/Attention-Augmented-Cosmic-Ray-Detection-in-Astronomical-Images)
and point ``--data-dir`` or ``CRBENCH_DATA`` at the files.

Facts read from that repository (no code was taken from it):

- ``Attentionbase_CR_detection_Models/Train.py`` loads, per band ``b``,
  ``decam_{b}_image_wd.npy``, ``decam_{b}_mask_wd.npy`` and
  ``decam_{b}_sky_wd.npy``; images and masks are stacked with
  ``np.vstack`` (shape ``(N, W, W)``), skies with ``np.hstack`` (shape
  ``(N,)``), in the band order g, i, r, z. After ``np.random.seed(0)`` it
  shuffles the concatenated patches with ``np.random.shuffle(np.arange(N))``
  and trains with ``aug_sky=(-0.9, 3)``.
- ``model_train.py`` / ``dataset_norm.py`` (class ``dataset``): the last
  ``f_val = 10 %`` of the shuffled patches are the validation part; the
  image fed to the network is ``image + a * sky`` with ``a`` uniform in
  ``aug_sky`` (so the stored images are sky-subtracted and ``sky`` is the
  subtracted level per patch).
- ``Terms_of_use.txt``: CRs come from 42 DECam dark frames of 90-1200 s;
  CRs near edges were excluded and checked not to cross bad columns.
- The paper (see ``shared/reference/README.md``): 40 training and 16 test
  CCD images per band, i.e. 20,480 training and 8,192 test patches; the
  truth masks are already dilated with a 3x3 kernel.
- deepCR's model zoo (profjsb/deepCR ``docs/model_zoo.rst``): DECam inputs
  are "calibrated images in the original unit (adu)".

Layouts and splits
------------------
Two layouts of ``<data dir>`` (default ``$CRBENCH_DATA/decam``) are read:

``split`` layout
    ``train/decam_{b}_{image,mask,sky}_wd.npy`` and
    ``test/decam_{b}_{image,mask,sky}_wd.npy``. ``test`` is the paper's test
    set. ``train`` and ``val`` reproduce the authors' split of the training
    files: the bands present, concatenated in the order g, i, r, z, are
    permuted by ``numpy.random.RandomState(0).permutation(N)`` (identical
    to their ``np.random.seed(0); np.random.shuffle``); the last 10 % of
    the permutation are ``val``, the rest ``train``.
``flat`` layout
    ``decam_{b}_*_wd.npy`` directly in the folder, with no split. A test set
    is held out per band: the patch indices of each band are permuted by
    ``numpy.random.default_rng(HOLDOUT_SEED)`` and the last
    ``round(N * 16 / 56)`` (the paper's 16 of 56 images) are ``test``; the
    remaining patches are split into ``train``/``val`` as above. The
    authors' models were trained on their whole training file, so scores
    of their models on such a hold-out are not test-set scores.

What a sample is
----------------
One patch; id ``"<band>-<index in its band file:05d>"``. ``image`` is the
sky-subtracted patch as stored (ADU), ``truth`` is ``mask > 0`` (already
dilated 3x3, so the card's ``truth_dilation`` is 1), ``ignore`` is all False
(NaN/inf pixels are moved to it by validation), ``meta.sky_level`` is the
patch's ``sky`` value (ADU, ``sky_subtracted=True``) and ``meta.band`` the
band. A detector that wants the sky back adds ``meta.sky_level``, as the
authors' augmentation does with a random factor.

Gain, read noise and saturation are not in the npy files; nominal DECam
values are used (:data:`NOMINAL_META`; DECam CCDs have gains near
4 e-/ADU and read noise near 7 e-, Flaugher et al. 2015) unless a
``decam_meta.json`` in the data folder gives ``units``, ``gain``,
``read_noise`` and/or ``saturation``. ``meta.extra["meta_source"]`` says
which.
"""

import hashlib
import json
from pathlib import Path

import numpy as np

from ..errors import CorruptFileError, DataNotAvailableError, InputError
from ..safe_files import check_npy_file
from .base import Dataset, DatasetCard, Sample, SampleMeta
from .locations import dataset_dir

__all__ = [
    "DECamDataset",
    "BANDS",
    "NOMINAL_META",
    "HOLDOUT_SEED",
    "VAL_FRACTION",
    "TEST_FRACTION_FLAT",
    "band_file",
    "DECAM_SIZE_NOTE",
]

# The authors' stacking order (Train.py): g, i, r, z
BANDS = ("g", "i", "r", "z")
KINDS = ("image", "mask", "sky")
VAL_FRACTION = 0.1
TEST_FRACTION_FLAT = 16 / 56
HOLDOUT_SEED = 20220721  # arXiv:2207.10411 submission date; only for the flat layout
NOMINAL_META = {"units": "adu", "gain": 4.0, "read_noise": 7.0, "saturation": 40000.0}
META_FILE = "decam_meta.json"
DECAM_SIZE_NOTE = (
    "about 5.4 GB of float32 images for the 20,480 training patches and 2.1 GB for the "
    "8,192 test patches, plus masks of the same count"
)


def band_file(folder, band, kind):
    """Return the path of one npy stack (``decam_{band}_{kind}_wd.npy``)."""
    return Path(folder) / f"decam_{band}_{kind}_wd.npy"


def _load_npy(path):
    check_npy_file(path, mmap=True)  # regular file whose header fits its size
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:
        raise CorruptFileError(
            f"{path}: cannot read as a .npy array ({err.__class__.__name__}: {err}); the file is "
            "truncated, corrupt or holds Python objects"
        ) from err


#: field -> (test, what it must be) for the values of decam_meta.json
_META_RULES = {
    "units": (lambda value: value in ("adu", "electron"), '"adu" or "electron"'),
    "gain": (lambda value: value > 0, "a positive number (electrons per ADU)"),
    "read_noise": (lambda value: value >= 0, "a non-negative number (in the units)"),
    "saturation": (lambda value: value > 0, "a positive number (in the units)"),
}


def _check_meta_value(path, key, value):
    test, expected = _META_RULES[key]
    numeric = key != "units"
    if numeric and (isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value)):
        valid = False
    else:
        valid = test(value)
    if not valid:
        raise CorruptFileError(f"{path}: field {key!r} is {value!r}; expected {expected}")


class _BandStack:
    """The image, mask and sky arrays of one band in one folder, validated once."""

    def __init__(self, folder, band):
        self.band = band
        self.paths = {kind: band_file(folder, band, kind) for kind in KINDS}
        self.image = _load_npy(self.paths["image"])
        self.mask = _load_npy(self.paths["mask"])
        self.sky = _load_npy(self.paths["sky"]) if self.paths["sky"].exists() else None
        self._validate()

    def _validate(self):
        image_path, mask_path, sky_path = (self.paths[kind] for kind in KINDS)
        if self.image.ndim != 3 or self.image.shape[1] != self.image.shape[2]:
            raise CorruptFileError(
                f"{image_path}: shape {self.image.shape}; expected (N, W, W) square patches"
            )
        if self.image.dtype.kind not in "fiu":
            raise CorruptFileError(f"{image_path}: dtype {self.image.dtype}; expected float32 pixel values")
        if self.mask.shape != self.image.shape:
            raise CorruptFileError(
                f"{mask_path}: shape {self.mask.shape}; expected the image stack's shape {self.image.shape}"
            )
        if self.mask.dtype.kind not in "biuf":
            raise CorruptFileError(f"{mask_path}: dtype {self.mask.dtype}; expected a 0/1 mask (bool, uint8 or float)")
        if self.sky is not None:
            if self.sky.shape != (self.image.shape[0],):
                raise CorruptFileError(
                    f"{sky_path}: shape {self.sky.shape}; expected ({self.image.shape[0]},), one sky level per patch"
                )
            if self.sky.dtype.kind not in "fiu":
                raise CorruptFileError(f"{sky_path}: dtype {self.sky.dtype}; expected float sky levels")

    def __len__(self):
        return self.image.shape[0]

    def patch(self, index):
        mask = np.asarray(self.mask[index])
        if mask.dtype.kind == "f" and not np.isin(mask, (0.0, 1.0)).all():
            raise CorruptFileError(
                f"{self.paths['mask']}: patch {index} holds values other than 0 and 1; expected a binary CR mask"
            )
        sky = None if self.sky is None else float(self.sky[index])
        return np.asarray(self.image[index], dtype=np.float32), mask > 0, sky


class DECamDataset(Dataset):
    """DECam CR patches of Bhavanam et al. 2022 from user-supplied npy stacks.

    Parameters
    ----------
    size : str, optional
        Only ``"default"``.
    data_dir : path-like, optional
        Folder with the npy stacks (``train/`` + ``test/`` or flat).
        Default: ``$CRBENCH_DATA/decam``, else ``$CRBENCH_CACHE/data/decam``.
    """

    card = DatasetCard(
        name="decam",
        version="1",
        family="decam",
        description=(
            "DECam g/r/i/z 256x256 patches with dark-frame CRs injected (Bhavanam et al. 2022): "
            "20,480 training and 8,192 test patches in the paper. Masks ship dilated 3x3 (no further "
            "truth dilation); images sky-subtracted, sky level in meta; band kept as metadata."
        ),
        instrument="decam",
        truth_dilation=1,
        ignore_policy="exclude",
        detector_params={
            "astroscrappy": {"objlim": 1.0, "sigfrac": 0.1, "sigclip": 3.0},
            "lacosmic": {"contrast": 1.0, "cr_threshold": 3.0, "neighbor_threshold": 0.3},
        },
        splits=("train", "val", "test"),
        source=(
            "authors of Bhavanam et al. 2022 on request (not public); files decam_{g,r,i,z}_"
            "{image,mask,sky}_wd.npy read by lfovia/Attention-Augmented-Cosmic-Ray-Detection-in-"
            "Astronomical-Images"
        ),
        citation=(
            "Bhavanam, S. R., Channappayya, S. S., Srijith, P. K., & Desai, S. (2022), Cosmic Ray "
            "Rejection with Attention Augmented Deep Learning, Astronomy and Computing (arXiv:2207.10411)"
        ),
        license="terms of the authors (Terms_of_use.txt of their repository); DECam dark frames from NOIRLab",
        size_note=f"not publicly downloadable; {DECAM_SIZE_NOTE}",
        bootstrap_strata="band",
    )
    download_command = None

    def __init__(self, *, size=None, data_dir=None):
        super().__init__(size=size, data_dir=data_dir)
        self._stacks = {}
        self._splits = None
        self._lookup = {}

    # -- locating the files -------------------------------------------------

    def folder(self):
        """Return the data folder (which may not exist)."""
        return dataset_dir("decam", self.data_dir)

    def _bands_in(self, folder):
        bands = []
        for band in BANDS:
            present = {kind: band_file(folder, band, kind).exists() for kind in ("image", "mask")}
            if all(present.values()):
                bands.append(band)
            elif any(present.values()):
                missing = [str(band_file(folder, band, kind)) for kind, ok in present.items() if not ok]
                raise CorruptFileError(f"band {band!r} in {folder} is incomplete: missing {missing}")
        return bands

    def layout(self):
        """Return ``"split"``, ``"flat"`` or None (no data)."""
        folder = self.folder()
        if (folder / "train").is_dir() or (folder / "test").is_dir():
            if self._bands_in(folder / "train") or self._bands_in(folder / "test"):
                return "split"
        if folder.is_dir() and self._bands_in(folder):
            return "flat"
        return None

    def check_available(self):
        if self.layout() is None:
            raise DataNotAvailableError(
                f"data set 'decam' (Bhavanam et al. 2022) is not available: no decam_{{g,r,i,z}}_"
                f"{{image,mask,sky}}_wd.npy files in {self.folder()} (or its train/ and test/ "
                "subfolders). These data are not publicly downloadable (no 'crbench datasets download' "
                "for them): obtain them from the authors (contact in the README of github.com/lfovia/"
                "Attention-Augmented-Cosmic-Ray-Detection-in-Astronomical-Images), then pass --data-dir "
                "PATH or set CRBENCH_DATA so that $CRBENCH_DATA/decam holds them. Size: "
                f"{DECAM_SIZE_NOTE}."
            )

    def _stack(self, folder, band):
        key = (str(folder), band)
        if key not in self._stacks:
            self._stacks[key] = _BandStack(folder, band)
        return self._stacks[key]

    # -- splits ----------------------------------------------------------------

    def _split_table(self):
        """Return ``{split: [(folder, band, index), ...]}`` for every split."""
        if self._splits is not None:
            return self._splits
        self.check_available()
        folder = self.folder()
        if self.layout() == "split":
            train_folder, test_folder = folder / "train", folder / "test"
            pool = [
                (train_folder, band, index)
                for band in self._bands_in(train_folder)
                for index in range(len(self._stack(train_folder, band)))
            ]
            test = [
                (test_folder, band, index)
                for band in self._bands_in(test_folder)
                for index in range(len(self._stack(test_folder, band)))
            ]
        else:
            pool, test = [], []
            for band in self._bands_in(folder):
                n_patches = len(self._stack(folder, band))
                order = np.random.default_rng(HOLDOUT_SEED).permutation(n_patches)
                n_test = int(round(n_patches * TEST_FRACTION_FLAT))
                held_out = set(order[n_patches - n_test :].tolist())
                pool += [(folder, band, index) for index in range(n_patches) if index not in held_out]
                test += [(folder, band, index) for index in sorted(held_out)]
        train, val = self._authors_train_val(pool)
        self._splits = {"train": train, "val": val, "test": test}
        return self._splits

    @staticmethod
    def _authors_train_val(pool):
        # Train.py: np.random.seed(0); np.random.shuffle(arange(N)); dataset():
        # train = first int(0.9 N) of the shuffled patches, val = the rest
        if not pool:
            return [], []
        order = np.random.RandomState(0).permutation(len(pool))
        n_train = max(1, int(len(pool) * (1 - VAL_FRACTION)))
        train_positions = set(order[:n_train].tolist())
        train = [entry for position, entry in enumerate(pool) if position in train_positions]
        val = [entry for position, entry in enumerate(pool) if position not in train_positions]
        return train, val

    # -- Dataset interface ----------------------------------------------------

    def sample_ids(self, split):
        self.check_split(split)
        entries = self._split_table()[split]
        if not entries:
            raise DataNotAvailableError(
                f"data set 'decam' has no {split!r} patches in {self.folder()} (split layout: the "
                f"{split}/ files are missing; flat layout: too few patches for a hold-out)"
            )
        return [f"{band}-{index:05d}" for _, band, index in entries]

    def _locate(self, split, sample_id):
        self.check_split(split)
        band, sep, index_text = sample_id.partition("-")
        if not sep or band not in BANDS or not index_text.isdigit():
            raise InputError(f"sample id {sample_id!r} is not '<band>-<index>' with band in {BANDS}")
        if split not in self._lookup:
            self._lookup[split] = {(entry_band, index): folder for folder, entry_band, index in self._split_table()[split]}
        folder = self._lookup[split].get((band, int(index_text)))
        if folder is None:
            raise InputError(f"sample id {sample_id!r} is not in split {split!r} of 'decam'")
        return folder, band, int(index_text)

    def _meta_overrides(self):
        path = self.folder() / META_FILE
        if not path.exists():
            return dict(NOMINAL_META), "nominal DECam values"
        try:
            overrides = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            raise CorruptFileError(f"{path}: not valid JSON ({err})") from err
        unknown = set(overrides) - set(NOMINAL_META) if isinstance(overrides, dict) else None
        if not isinstance(overrides, dict) or unknown:
            raise CorruptFileError(f"{path}: expected an object with keys among {sorted(NOMINAL_META)}, got {overrides!r}")
        for key, value in overrides.items():
            _check_meta_value(path, key, value)
        return {**NOMINAL_META, **overrides}, f"{path.name} (defaults: nominal DECam values)"

    def load_sample(self, split, sample_id):
        folder, band, index = self._locate(split, sample_id)
        image, truth, sky = self._stack(folder, band).patch(index)
        values, source = self._meta_overrides()
        meta = SampleMeta(
            instrument="decam",
            units=values["units"],
            gain=float(values["gain"]),
            read_noise=float(values["read_noise"]),
            saturation=float(values["saturation"]),
            band=band,
            sky_level=sky,
            sky_subtracted=True,
            extra={"file": band_file(folder, band, "image").name, "split_folder": folder.name, "index": index,
                   "meta_source": source},
        )
        return Sample(sample_id, image, truth, np.zeros(image.shape, dtype=bool), meta)

    def manifest(self, split):
        """Return ``{sample_id: sha256}`` hashing each patch's image, mask and sky bytes.

        Cheaper than the default only in not building :class:`Sample`
        objects; every patch is still read (memory-mapped).
        """
        manifest = {}
        for folder, band, index in self._split_table()[split]:
            stack = self._stack(folder, band)
            digest = hashlib.sha256()
            digest.update(np.ascontiguousarray(stack.image[index], dtype=np.float32).tobytes())
            digest.update(np.ascontiguousarray(np.asarray(stack.mask[index]) > 0, dtype=np.uint8).tobytes())
            if stack.sky is not None:
                digest.update(np.float64(stack.sky[index]).tobytes())
            manifest[f"{band}-{index:05d}"] = digest.hexdigest()
        return manifest
