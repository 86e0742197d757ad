"""The data set interface: samples, cards and splits.

A :class:`Dataset` yields :class:`Sample` objects (image, truth mask, ignore
mask, metadata) for named splits. Its :class:`DatasetCard` is the versioned
statement of the scoring protocol: how the truth is dilated, how ignored
pixels count, and which parameters the classical detectors get.

Conventions
-----------
- ``ignore`` is True for pixels excluded from scoring (the astropy "True =
  bad" convention).
- ``truth`` is stored as the data set provides it; the scorer dilates it by
  ``card.truth_dilation`` (a square of that side; 1 = no dilation).
- Images are float32 in ``meta.units`` (electrons or ADU).
"""

import abc
import dataclasses
import hashlib
import json
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..errors import DataNotAvailableError, InputError, NonFinitePixelsWarning, ShapeMismatchError
from ..scoring.protocol import PixelProtocol

__all__ = [
    "SampleMeta",
    "Sample",
    "DatasetCard",
    "Dataset",
    "sample_sha256",
    "manifest_hash",
]


@dataclass(frozen=True)
class SampleMeta:
    """Instrument metadata of one image.

    Attributes
    ----------
    instrument : str
        Instrument or profile name (``"decam"``, ``"lco_1m"``).
    units : {"electron", "adu"}
        Units of the image pixels.
    gain : float
        Electrons per ADU.
    read_noise : float
        Read noise in electrons.
    saturation : float
        Saturation level in ``units``.
    band : str or None
        Filter band.
    exposure_time : float or None
        Seconds.
    sky_level : float or None
        Typical sky level in ``units`` (already subtracted if the data are
        sky-subtracted; see ``sky_subtracted``).
    sky_subtracted : bool
        Whether the sky has been subtracted from the image.
    telescope_class : str or None
        E.g. ``"0m4"``, ``"1m0"``, ``"2m0"`` for LCO.
    extra : dict
        Anything else (JSON-serialisable).
    """

    instrument: str
    units: str
    gain: float
    read_noise: float
    saturation: float
    band: str | None = None
    exposure_time: float | None = None
    sky_level: float | None = None
    sky_subtracted: bool = False
    telescope_class: str | None = None
    extra: dict = field(default_factory=dict)

    def to_dict(self):
        """Return a JSON-ready dict."""
        return dataclasses.asdict(self)

    def in_units(self, units):
        """Return a copy with ``saturation`` and ``sky_level`` expressed in ``units``."""
        if units == self.units:
            return self
        factor = self.gain if self.units == "adu" else 1.0 / self.gain
        return dataclasses.replace(
            self,
            units=units,
            saturation=self.saturation * factor,
            sky_level=None if self.sky_level is None else self.sky_level * factor,
        )


@dataclass
class Sample:
    """One scored image.

    Attributes
    ----------
    sample_id : str
        Unique id within its split (used for caching and per-image counts).
    image : ndarray of float32, shape (ny, nx)
    truth : ndarray of bool, shape (ny, nx)
        Cosmic-ray pixels as stored by the data set (undilated unless the
        card says the data set ships dilated masks).
    ignore : ndarray of bool, shape (ny, nx)
        True = excluded from scoring.
    meta : SampleMeta
    extras : dict
        Optional analysis products (e.g. defect class map); not scored.
    """

    sample_id: str
    image: np.ndarray
    truth: np.ndarray
    ignore: np.ndarray
    meta: SampleMeta
    extras: dict = field(default_factory=dict)

    def validated(self):
        """Check shapes and dtypes; move non-finite pixels into the ignore mask.

        Returns
        -------
        Sample
            ``self`` with ``image`` as float32, masks as bool, NaN/inf pixels
            set to 0 in the image and True in ``ignore``; the number of such
            pixels is stored in ``extras["n_nonfinite"]``.

        Raises
        ------
        InputError, ShapeMismatchError
            Non-2-D arrays or arrays whose shapes differ.
        """
        image = np.asarray(self.image)
        if image.ndim != 2:
            raise InputError(
                f"sample {self.sample_id!r}: image must be 2-D, got shape {image.shape}; "
                "split data cubes into one sample per plane"
            )
        for label in ("truth", "ignore"):
            array = np.asarray(getattr(self, label))
            if array.shape != image.shape:
                raise ShapeMismatchError(
                    f"sample {self.sample_id!r}: {label} mask shape {array.shape} differs from "
                    f"image shape {image.shape}"
                )
        image = image.astype(np.float32, copy=False)
        truth = np.asarray(self.truth).astype(bool, copy=False)
        ignore = np.asarray(self.ignore).astype(bool, copy=False)
        nonfinite = ~np.isfinite(image)
        n_nonfinite = int(nonfinite.sum())
        if n_nonfinite:
            warnings.warn(
                f"sample {self.sample_id!r}: {n_nonfinite} NaN/inf pixels moved to the ignore mask "
                "(set to 0 in the image passed to detectors)",
                NonFinitePixelsWarning,
                stacklevel=2,
            )
            image = np.where(nonfinite, np.float32(0), image)
            ignore = ignore | nonfinite
        self.image, self.truth, self.ignore = image, truth, ignore
        self.extras["n_nonfinite"] = n_nonfinite
        return self


def sample_sha256(sample):
    """Return the sha256 of a sample's image, truth and ignore bytes and shape."""
    digest = hashlib.sha256()
    digest.update(repr(tuple(sample.image.shape)).encode())
    for array, dtype in ((sample.image, np.float32), (sample.truth, np.uint8), (sample.ignore, np.uint8)):
        digest.update(np.ascontiguousarray(array, dtype=dtype).tobytes())
    return digest.hexdigest()


def manifest_hash(manifest):
    """Return the sha256 of a split manifest (``{sample_id: sha256}``)."""
    canonical = json.dumps(dict(sorted(manifest.items())), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


#: what a data set is for: the standard splits rank detectors, stress variants probe one hard condition,
#: real sets score real pixels (truth from a multi-frame stack, or real CR footprints injected into real sky)
DATASET_KINDS = ("standard", "stress", "real", "user")


@dataclass(frozen=True)
class DatasetCard:
    """Versioned statement of a data set and its scoring protocol.

    Attributes
    ----------
    name : str
        Registry name (``"sim_lco_1m"``).
    version : str
        Bumped whenever the samples or the protocol change.
    family : str
        Name matched against detectors' ``training_datasets``.
    description : str
    instrument : str
    truth_dilation : int
        Side of the square structuring element applied to ``truth`` before
        scoring (3 for the DECam and LCO protocols; 1 = none, e.g. when the
        data set ships already-dilated masks).
    ignore_policy : {"exclude", "negative", "zero"}
        Default handling of ignored pixels: excluded from all counts, or
        counted as negatives with their score, or with score 0 (the
        Cosmic-CoNN / deepCR evaluation code); see :class:`~crbench.scoring.PixelProtocol`.
    detector_params : dict of str to dict
        Protocol parameters per detector name (``{"astroscrappy": {"objlim": 2.0}}``).
    splits : tuple of str
    source, citation, license, size_note : str
        Provenance shown by ``crbench list datasets`` and the README.
    seed : int or None
        Seed that generated the data (simulated data sets only).
    kind : {"standard", "stress", "real", "user"}
        ``stress`` marks a variant built around one hard condition (unmasked
        defects, sub-instrument seeing, crowding): the leaderboard shows it
        in its own section, outside the summary ranking. ``real`` marks a
        set of real pixels (truth from a multi-frame stack, or real CR
        footprints injected into real sky): shown in the leaderboard's
        "Real data" section, outside the summary ranking of the simulated
        sets and never beside published figures. ``user`` marks a set added
        with ``crbench datasets add`` from the user's labelled FITS files
        (:mod:`crbench.datasets.user`): its own leaderboard section, in no
        ranking.
    bootstrap_strata : str or None
        The :class:`SampleMeta` attribute whose value stratifies the
        bootstrap over images (``"band"`` for DECam, ``"telescope_class"``
        for LCO): every resample keeps each stratum's image count. None =
        one stratum.
    caveat : str
        What a reader must know before trusting the set's numbers (``"few
        CR objects: a sanity check with wide intervals"``), shown wherever
        its results are shown; "" = none. Left out of :meth:`to_dict` when
        empty, so the card dicts of records written before the field
        existed stay equal to fresh ones.
    """

    name: str
    version: str
    family: str
    description: str
    instrument: str
    truth_dilation: int = 3
    ignore_policy: str = "exclude"
    detector_params: dict = field(default_factory=dict)
    splits: tuple = ("train", "val", "test")
    source: str = ""
    citation: str = ""
    license: str = ""
    size_note: str = ""
    seed: int | None = None
    kind: str = "standard"
    bootstrap_strata: str | None = None
    caveat: str = ""

    def __post_init__(self):
        if self.kind not in DATASET_KINDS:
            raise InputError(f"card {self.name!r}: kind must be one of {DATASET_KINDS}, not {self.kind!r}")
        try:
            self.pixel_protocol(dilate_output=False)  # the scoring protocol owns the rules
        except InputError as error:
            raise InputError(f"card {self.name!r}: {error}") from None

    def to_dict(self):
        """Return a JSON-ready dict (without ``caveat`` when it is empty)."""
        data = dataclasses.asdict(self)
        if not data["caveat"]:
            del data["caveat"]  # records written before the field existed hold no such key
        return data

    def pixel_protocol(self, *, dilate_output, ignore_policy=None):
        """Return the :class:`~crbench.scoring.PixelProtocol` of this card for one detector.

        Parameters
        ----------
        dilate_output : bool
            The detector's ``dilate_output``.
        ignore_policy : {"exclude", "negative", "zero"}, optional
            Overrides the card's ``ignore_policy``.
        """
        return PixelProtocol(
            truth_dilation=self.truth_dilation,
            dilate_output=dilate_output,
            ignore_policy=ignore_policy or self.ignore_policy,
        )

    def protocol_for(self, detector_name):
        """Return this card's protocol parameters for one detector (may be empty)."""
        return dict(self.detector_params.get(detector_name, {}))


class Dataset(abc.ABC):
    """Base class of data sets.

    Subclasses set :attr:`card` and implement :meth:`sample_ids` and
    :meth:`load_sample`. Constructor options are keyword-only.

    Parameters
    ----------
    size : str, optional
        Size, for data sets that have several (``"small"``, ``"full"``).
    data_dir : path-like, optional
        Where a real data set lives (overrides ``$CRBENCH_DATA``).
    """

    card: DatasetCard
    sizes: tuple = ("default",)

    def __init__(self, *, size=None, data_dir=None):
        self.size = size or self.sizes[0]
        if self.size not in self.sizes:
            raise InputError(f"data set {self.card.name!r} has sizes {self.sizes}, not {self.size!r}")
        self.data_dir = data_dir

    @property
    def name(self):
        """Registry name (from the card)."""
        return self.card.name

    def check_available(self):  # noqa: B027 -- optional hook: data sets that generate their data never miss any
        """Raise :class:`DataNotAvailableError` naming the fix if data are missing."""

    def is_available(self):
        """Return True when :meth:`check_available` would not raise."""
        try:
            self.check_available()
        except DataNotAvailableError:
            return False
        return True

    @abc.abstractmethod
    def sample_ids(self, split):
        """Return the sample ids of ``split`` in a fixed order."""

    @abc.abstractmethod
    def load_sample(self, split, sample_id):
        """Return the :class:`Sample` with ``sample_id`` from ``split``."""

    def check_split(self, split):
        """Raise a clear error for a split the card does not list."""
        if split not in self.card.splits:
            raise InputError(f"data set {self.name!r} has splits {self.card.splits}, not {split!r}")

    def iter_samples(self, split, *, limit=None):
        """Yield validated samples of ``split``, at most ``limit`` of them."""
        ids = self.sample_ids(split)
        if limit is not None:
            ids = ids[:limit]
        for sample_id in ids:
            yield self.load_sample(split, sample_id).validated()

    def manifest(self, split):
        """Return ``{sample_id: sha256}`` for ``split``.

        The default loads every sample; data sets that store a manifest
        override this.
        """
        return {sample_id: sample_sha256(self.load_sample(split, sample_id)) for sample_id in self.sample_ids(split)}

    def info(self, split):
        """Return the JSON-ready description stored in run records (without counts)."""
        return {
            "name": self.name,
            "version": self.card.version,
            "family": self.card.family,
            "size": self.size,
            "split": split,
            "card": self.card.to_dict(),
        }
