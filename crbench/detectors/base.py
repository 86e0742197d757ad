"""The :class:`Detector` interface every adapter implements.

A detector is a class with declarative metadata (class attributes) and one
method, :meth:`Detector.detect`, that maps a 2-D image to either a score map
in [0, 1] (``output_kind = "score"``) or a boolean mask (``"mask"``).
Mask-only detectors get ROC points by sweeping one parameter over a grid.

Parameters are keyword options validated against ``default_params``; they
are hashed into every result so that results of different settings are never
mixed up.
"""

import abc
import functools
import hashlib
import importlib.metadata
import importlib.util
import inspect
import json
import sys
from typing import ClassVar

import numpy as np

from ..errors import InputError, MissingDependencyError
from ..hashing import file_sha256
from ..inputs import UNITS, convert_units

__all__ = ["Detector", "convert_units", "detector_code_identity", "params_hash", "OUTPUT_KINDS", "UNITS"]

OUTPUT_KINDS = ("score", "mask")


def params_hash(name, version, params):
    """Return a short stable hash of a detector's identity and parameters.

    Parameters
    ----------
    name, version : str
        Detector name and version.
    params : dict
        JSON-serialisable parameters.

    Returns
    -------
    str
        The first 16 hex digits of the sha256 of the canonical JSON.
    """
    canonical = json.dumps({"name": name, "version": version, "params": params}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _module_source_sha256(module_name):
    """sha256 of a module's source file (its bytes), or of ``inspect`` source where no file exists."""
    module = sys.modules.get(module_name)
    path = getattr(module, "__file__", None)
    if path and path.endswith(".py"):
        return file_sha256(path)
    try:
        return hashlib.sha256(inspect.getsource(module).encode()).hexdigest()
    except (OSError, TypeError):
        # no source at all (built in a REPL, or only bytecode): the class path alone has to do
        return None


def _distribution_version(module_name):
    """Version of the installed distribution that provides top-level module ``module_name``."""
    top = module_name.split(".")[0]
    for distribution in importlib.metadata.packages_distributions().get(top, []):
        try:
            return importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


@functools.cache
def detector_code_identity(cls):
    """Return what identifies a detector class's code, beyond its declared name and version.

    Parameters
    ----------
    cls : type
        A :class:`Detector` subclass.

    Returns
    -------
    dict
        ``class`` (``module:qualname``), ``sources`` (module name -> sha256 of
        the source of every module defining ``cls`` or one of its
        :class:`Detector` bases) and ``packages`` (each required module ->
        the version of the distribution providing it).

    Notes
    -----
    Editing ``detect()`` without bumping ``version`` changes the source
    hash, so cached outputs of the old code are never reused for the new
    one; two plug-in classes that declare the same name and version differ
    by class path. Helper modules imported by the adapter are not hashed:
    bump ``version`` when only those change.
    """
    modules = sorted({klass.__module__ for klass in cls.__mro__ if isinstance(klass, type) and issubclass(klass, Detector)})
    return {
        "class": f"{cls.__module__}:{cls.__qualname__}",
        "sources": {name: _module_source_sha256(name) for name in modules},
        "packages": {name: _distribution_version(name) for name in sorted(cls.requires)},
    }


class Detector(abc.ABC):
    """Base class of cosmic-ray detector adapters.

    Subclasses set the class attributes below and implement :meth:`detect`.
    Instances are created with keyword parameters, e.g.
    ``AstroScrappy(sigclip=4.5)``; unknown keywords raise.

    Attributes
    ----------
    name : str
        Registry name.
    version : str
        Version of the adapter *and* of what it wraps (weights, upstream
        package major version). Bump it whenever outputs may change.
    citation, license, description : str
        Where the method comes from and under which terms.
    training_datasets : tuple of str
        Data set families (a card's ``family``) the detector was trained on;
        the leaderboard flags evaluations on these.
    output_kind : {"score", "mask"}
        A probability-like map in [0, 1], or a boolean mask.
    dilate_output : bool
        True when the detector was trained or tuned on undilated masks, so
        its output is 3x3-dilated (grey max filter for scores) before it is
        scored against 3x3-dilated truth.
    input_units : {"electron", "adu"}
        Units :meth:`detect` expects; the runner converts samples.
    default_params : dict
        Every accepted keyword with its default.
    sweep_parameter : str or None
        For mask detectors, the parameter swept to trace a ROC curve.
    sweep_grid : tuple of float
        Default values of the swept parameter, from strict to permissive or
        in any order (the scorer sorts the resulting points).
    default_threshold : float
        Default of the ``threshold`` parameter: the operating point of a score detector
    requires : tuple of str
        Importable module names needed at run time.
    install_hint : str
        The one command that installs what ``requires`` lists.
    """

    name: ClassVar[str] = ""
    version: ClassVar[str] = "0"
    description: ClassVar[str] = ""
    citation: ClassVar[str] = ""
    license: ClassVar[str] = ""
    training_datasets: ClassVar[tuple] = ()
    output_kind: ClassVar[str] = "score"
    dilate_output: ClassVar[bool] = False
    input_units: ClassVar[str] = "electron"
    default_params: ClassVar[dict] = {}
    sweep_parameter: ClassVar[str | None] = None
    sweep_grid: ClassVar[tuple] = ()
    default_threshold: ClassVar[float] = 0.5
    requires: ClassVar[tuple] = ()
    install_hint: ClassVar[str] = ""

    def __init__(self, **params):
        accepted = self.accepted_params()
        unknown = sorted(set(params) - set(accepted))
        if unknown:
            raise InputError(
                f"detector {self.name!r} does not accept {', '.join(map(repr, unknown))}; "
                f"accepted parameters: {', '.join(sorted(accepted)) or '(none)'}"
            )
        self.user_params = dict(params)
        self.params = {**accepted, **params}
        self.device = "cpu"

    # ------------------------------------------------------------------ metadata
    @classmethod
    def accepted_params(cls):
        """Return every accepted parameter with its default value."""
        extra = {}
        if cls.output_kind == "score":
            extra["threshold"] = cls.default_threshold
        else:
            extra["sweep"] = list(cls.sweep_grid)
        return {**extra, **cls.default_params}

    @classmethod
    def missing_requirements(cls):
        """Return the list of required modules that cannot be imported."""
        return [module for module in cls.requires if importlib.util.find_spec(module) is None]

    @classmethod
    def check_available(cls):
        """Raise :class:`MissingDependencyError` with the install command if unusable."""
        missing = cls.missing_requirements()
        if missing:
            hint = cls.install_hint or f"pip install {' '.join(missing)}"
            raise MissingDependencyError(
                f"detector {cls.name!r} needs {', '.join(missing)}, which is not installed; run: {hint}"
            )

    def apply_protocol(self, protocol):
        """Adopt a data set card's protocol parameters for this detector.

        Parameters given explicitly by the user win over the card's.

        Parameters
        ----------
        protocol : dict
            The card's ``detector_params`` entry for this detector (may be
            empty). Keys the detector does not accept are ignored.
        """
        accepted = self.accepted_params()
        for key, value in protocol.items():
            if key in accepted and key not in self.user_params:
                self.params[key] = value

    @classmethod
    def identity_hash(cls):
        """Short hash of name, version and :func:`detector_code_identity` (the score cache's key)."""
        identity = {"name": cls.name, "version": cls.version, **detector_code_identity(cls)}
        return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]

    @property
    def params_hash(self):
        """Short hash of name, version and parameters."""
        return params_hash(self.name, self.version, self.params)

    def info(self):
        """Return the JSON-ready description stored in run records."""
        return {
            "name": self.name,
            "class": f"{type(self).__module__}:{type(self).__qualname__}",
            "version": self.version,
            "identity_hash": self.identity_hash(),
            "params": self.params,
            "params_hash": self.params_hash,
            "training_datasets": list(self.training_datasets),
            "output_kind": self.output_kind,
            "dilate_output": self.dilate_output,
            "input_units": self.input_units,
            "sweep_parameter": self.sweep_parameter,
            "citation": self.citation,
            "license": self.license,
        }

    # ------------------------------------------------------------------ behaviour
    def setup(self, *, device="cpu"):
        """Load models or other expensive state; called once before images.

        Parameters
        ----------
        device : str
            ``"cpu"`` or ``"cuda"`` (already resolved from ``"auto"``).
        """
        self.device = device

    def torch_network(self):
        """Return ``(module, side)``: the torch network run on each stamp and a stamp side it accepts.

        ``crbench bench`` counts the network's multiply-adds per pixel on one
        ``(1, 1, side, side)`` input (:func:`crbench.flops.network_macs_per_pixel`)
        to report how far a detector is from the machine's FLOP bound.
        Called after :meth:`setup`; the default, None, means "no torch
        network" (classical detectors, other frameworks).
        """
        return None

    @abc.abstractmethod
    def detect(self, image, *, meta):
        """Detect cosmic rays in one image.

        Parameters
        ----------
        image : ndarray of float32, shape (ny, nx)
            The image in :attr:`input_units`. Must not be modified.
        meta : crbench.datasets.SampleMeta
            Instrument metadata (gain, read noise, saturation, ...), with
            ``saturation`` and ``sky_level`` already in :attr:`input_units`.

        Returns
        -------
        ndarray, shape (ny, nx)
            float32 scores in [0, 1] for ``output_kind == "score"``, bool
            mask for ``"mask"``.
        """

    def sweep_values(self):
        """Return the swept parameter values as a list (mask detectors)."""
        if self.output_kind != "mask" or self.sweep_parameter is None:
            return []
        return [float(value) for value in self.params["sweep"]]

    def detect_sweep(self, image, *, meta):
        """Return one mask per sweep value, stacked on axis 0.

        The default calls :meth:`detect` once per value with the swept
        parameter replaced; adapters may override it to share work.
        """
        values = self.sweep_values()
        masks = np.empty((len(values),) + np.shape(image), dtype=bool)
        original = self.params[self.sweep_parameter]
        try:
            for index, value in enumerate(values):
                self.params[self.sweep_parameter] = value
                masks[index] = self.detect(image, meta=meta)
        finally:
            self.params[self.sweep_parameter] = original
        return masks

    @property
    def operating_point(self):
        """Threshold (score detectors) or swept-parameter value (mask detectors)."""
        if self.output_kind == "score":
            return float(self.params["threshold"])
        if self.sweep_parameter is None:
            return None
        return float(self.params[self.sweep_parameter])
