"""Detect cosmic rays in one's own image: an array (or ``CCDData``) in, a CR mask and score map out.

The one code path behind ``crbench detect`` (FITS files,
:mod:`crbench.jobs.detect_files`) and :func:`crbench.detect` (arrays and
``astropy.nddata.CCDData``). It hands the image to a detector exactly as
crbench's runner does (:func:`crbench.inputs.prepare_input`: non-finite
pixels set to 0, units converted to the detector's ``input_units`` with the
gain) and checks its output with the runner's
:func:`~crbench.runner.validate_prediction`; then:

* a score detector's map is thresholded at ``score >= threshold`` (the
  detector's operating point unless ``threshold`` is given);
* a mask detector runs once, at its operating point (no sweep);
* pixels that are not finite or that the caller excluded are never flagged
  and have no score (NaN in the score map).

Classical detectors (``astroscrappy``, ``lacosmic``) run at their upstream
packages' default parameters (:mod:`crbench.detectors.upstream_defaults`),
not at the DECam protocol crbench's benchmark cards use; parameters the
caller gives win.
"""

import json
import math
from dataclasses import dataclass

import numpy as np

from .errors import InputError

__all__ = ["Detection", "DetectorSetup", "prepare_detector", "detect_array", "detect", "provenance_cards"]


@dataclass(frozen=True)
class DetectorSetup:
    """A detector set up for :func:`detect_array`, with the parameter set it runs at.

    Attributes
    ----------
    detector : crbench.detectors.Detector
        Built, parameters applied, ``setup()`` done.
    parameter_set : str
        ``"upstream"`` (a classical detector at its upstream defaults) or
        ``"adapter"`` (the detector's own defaults).
    parameter_note : str
        One line saying which parameter set is used and where it comes from.
    """

    detector: object
    parameter_set: str
    parameter_note: str

    @property
    def threshold(self):
        """Score threshold (score detectors) or None (mask detectors)."""
        detector = self.detector
        return float(detector.params["threshold"]) if detector.output_kind == "score" else None


@dataclass(frozen=True)
class Detection:
    """The outcome of :func:`detect_array` on one image.

    Attributes
    ----------
    mask : ndarray of bool
        True on cosmic-ray pixels.
    score : ndarray of float32 or None
        The detector's score map in [0, 1] (score detectors), NaN where
        pixels were excluded; None for mask detectors.
    n_excluded : int
        Pixels never flagged because they were not finite or excluded.
    """

    mask: np.ndarray
    score: np.ndarray | None
    n_excluded: int


def prepare_detector(detector, *, params=None, threshold=None, device="auto", set_up=True):
    """Build and set up a detector for :func:`detect_array`.

    Parameters
    ----------
    detector : str
        Registry name (``crbench list detectors``) or ``"package.module:Class"``.
    params : dict, optional
        Detector parameters; they win over the parameter set.
    threshold : float, optional
        Score threshold of a score detector (default: its operating point).
    device : {"auto", "cpu", "cuda"}
    set_up : bool
        Call the detector's ``setup()`` (load weights); False only checks
        the name and parameters (a parent process whose workers detect).

    Returns
    -------
    DetectorSetup

    Raises
    ------
    InputError
        ``threshold`` for a mask detector, a threshold outside [0, 1], or a
        detector that needs the truth (the ``oracle`` test double).
    MissingDependencyError, PluginError
        As :func:`crbench.jobs.build.build_detector`.
    """
    from .detectors import get_detector_class
    from .detectors.plugin_checks import set_up_detector
    from .detectors.upstream_defaults import UPSTREAM_FUNCTIONS, protocol_or_upstream
    from .device import resolve_device
    from .jobs.build import build_detector

    params = dict(params or {})
    detector_cls = get_detector_class(detector)
    if getattr(detector_cls, "needs_truth", False):
        raise InputError(f"detector {detector_cls.name!r} is a test double that reads the truth mask; an image of "
                         "your own has none. Pick a real detector (crbench list detectors)")
    if threshold is not None:
        if detector_cls.output_kind != "score":
            raise InputError(
                f"detector {detector_cls.name!r} returns a mask, not scores, so --threshold does not apply; set its "
                f"{detector_cls.sweep_parameter or 'parameters'} with --detector-args instead"
            )
        if not (isinstance(threshold, (int, float)) and 0 <= threshold <= 1):
            raise InputError(f"threshold must be a number in [0, 1] (a score), got {threshold!r}")
        params["threshold"] = float(threshold)
    built = build_detector(detector, params)
    # the one rule (crbench.detectors.upstream_defaults), with no data set card: a built-in classical detector
    # runs at its upstream defaults, anything else (a plug-in's class path included) at its own
    is_builtin = built.name in UPSTREAM_FUNCTIONS and detector_cls is get_detector_class(built.name)
    source = None
    if is_builtin:
        protocol, source = protocol_or_upstream(built.name, {}, user_params=params)
        built.apply_protocol(protocol)
    if source is not None:
        applied = ", ".join(f"{name}={value!r}" for name, value in source["params"].items())
        note = f"parameter set: upstream defaults of {source['package']} {source['function']}() ({applied})"
        if source["kept_adapter_defaults"]:
            kept = ", ".join(f"{name}={built.params[name]!r}" for name in source["kept_adapter_defaults"])
            note += f"; upstream has no default for {kept}: crbench's adapter values"
        if source["user_params"]:
            note += f"; given: {', '.join(source['user_params'])}"
        parameter_set = "upstream"
    else:
        note = "parameter set: the detector's own defaults" + (f", with {', '.join(sorted(params))} as given"
                                                              if params else "")
        parameter_set = "adapter"
    device = resolve_device(device)
    if set_up:
        set_up_detector(built, device=device)
    return DetectorSetup(detector=built, parameter_set=parameter_set, parameter_note=note)


def detect_array(setup, image, *, units, gain, read_noise, saturation=math.inf, sky_subtracted=False, exclude=None):
    """Run a set-up detector on one 2-D image.

    Parameters
    ----------
    setup : DetectorSetup
        From :func:`prepare_detector`.
    image : array_like, shape (ny, nx)
        The pixels in ``units``; never modified.
    units : {"adu", "electron"}
    gain : float
        Electrons per ADU (may be NaN only when ``units`` and the detector's
        ``input_units`` are both electrons).
    read_noise : float
        Electrons.
    saturation : float
        In ``units``; ``inf`` when unknown.
    sky_subtracted : bool
        Whether the sky has been subtracted from ``image``.
    exclude : array_like of bool, optional
        True = never flag (e.g. a bad-pixel mask); non-finite pixels are
        always excluded.

    Returns
    -------
    Detection
    """
    from .datasets.base import Sample, SampleMeta
    from .inputs import prepare_input
    from .runner import validate_prediction

    detector = setup.detector
    pixels = np.asarray(image)
    if pixels.ndim != 2 or pixels.size == 0:
        raise InputError(f"image must be a non-empty 2-D array, got shape {pixels.shape}")
    excluded = ~np.isfinite(pixels)
    if exclude is not None:
        exclude = np.asarray(exclude, dtype=bool)
        if exclude.shape != pixels.shape:
            raise InputError(f"mask shape {exclude.shape} differs from image shape {pixels.shape}")
        excluded = excluded | exclude
    if not (units == detector.input_units == "electron") and not (np.isfinite(gain) and gain > 0):
        raise InputError(f"a gain (electrons per ADU) is needed to give detector {detector.name!r} "
                         f"({detector.input_units}) an image in {units}; got {gain!r}")
    if not np.isfinite(read_noise) or read_noise < 0:
        raise InputError(f"read noise must be a non-negative number of electrons, got {read_noise!r}")
    # as the runner's Sample.validated(): non-finite pixels become 0 in what the detector sees
    finite = np.where(np.isfinite(pixels), pixels, 0).astype(np.float32)
    meta = SampleMeta(instrument="user", units=units, gain=float(gain), read_noise=float(read_noise),
                      saturation=float(saturation), sky_subtracted=bool(sky_subtracted))
    sample = Sample("image", finite, np.zeros(pixels.shape, dtype=bool), excluded, meta)
    detector_image, detector_meta = prepare_input(sample, detector=detector)
    prediction = validate_prediction(detector.detect(detector_image, meta=detector_meta), shape=pixels.shape,
                                     output_kind=detector.output_kind, n_sweep=0, sample_id="image",
                                     detector_name=detector.name)
    if detector.output_kind == "score":
        score = np.array(prediction, dtype=np.float32)
        score[excluded] = np.nan
        mask = score >= np.float32(setup.threshold)  # NaN compares False: excluded pixels are never flagged
    else:
        score = None
        mask = np.asarray(prediction, dtype=bool) & ~excluded
    return Detection(mask=mask, score=score, n_excluded=int(excluded.sum()))


def provenance_cards(setup):
    """Return the FITS keywords that record who made a CR mask: ``{KEYWORD: (value, comment)}``.

    ``CRB_PARS`` (the parameters as JSON) may be longer than one card:
    astropy writes it with ``CONTINUE`` cards.
    """
    from . import __version__

    detector = setup.detector
    cards = {
        "CRB_DET": (detector.name, "crbench detector"),
        "CRB_DVER": (str(detector.version), "detector version"),
        "CRB_PSET": (setup.parameter_set, "parameter set: upstream or adapter defaults"),
        "CRB_PARS": (json.dumps(detector.params, sort_keys=True, default=str), "detector parameters (JSON)"),
        "CRB_PHSH": (detector.params_hash, "hash of detector name, version, parameters"),
        "CRB_KIND": (detector.output_kind, "detector output: score map or mask"),
    }
    if setup.threshold is not None:
        cards["CRB_THR"] = (setup.threshold, "CR where score >= CRB_THR")
    elif detector.sweep_parameter is not None:
        cards["CRB_OPP"] = (detector.sweep_parameter, "operating-point parameter of the mask detector")
        cards["CRB_OPV"] = (float(detector.params[detector.sweep_parameter]), "its value")
    engine = detector.info().get("inference_backend")
    if engine:
        # only a non-reference engine is named: eager PyTorch is what every other mask was made with
        cards["CRB_ENG"] = (f"{engine['name']} {engine['version']}", "engine that ran the network")
    cards["CRB_VER"] = (__version__, "crbench version")
    return cards


def _ccd_units(unit):
    """``"adu"`` or ``"electron"`` for an astropy unit (or its string), else InputError."""
    import astropy.units as u

    if unit is None:
        raise InputError("the CCDData has no unit; give it one (u.adu or u.electron)")
    unit = u.Unit(unit)
    for name, known in (("adu", u.adu), ("electron", u.electron)):
        if unit == known:
            return name
    raise InputError(f"unit {unit} is neither adu nor electron; convert the image to one of them "
                     "(e.g. multiply electron/s by the exposure time)")


def detect(data, detector, *, gain=None, read_noise=None, saturation=None, threshold=None, sky_subtracted=False,
           unit="adu", device="auto", **params):
    """Detect cosmic rays in one image with any registered detector.

    Parameters
    ----------
    data : numpy.ndarray or astropy.nddata.CCDData
        A 2-D image. A ``CCDData``'s unit (``adu`` or ``electron``) is used
        and its ``mask`` honoured: masked pixels are never flagged.
        Non-finite pixels are never flagged either.
    detector : str
        Registry name (``crbench list detectors``) or ``"package.module:Class"``.
    gain : float, optional
        Electrons per ADU. Needed unless the image is in electrons and the
        detector takes electrons.
    read_noise : float
        Read noise in electrons.
    saturation : float, optional
        Saturation level in the image's units (default: none known).
    threshold : float, optional
        Score threshold of a score detector (default: its operating point).
        Refused for mask detectors (set their parameters instead).
    sky_subtracted : bool
        Whether the sky has been subtracted from the image.
    unit : {"adu", "electron"}
        Units of a plain array (a ``CCDData`` states its own).
    device : {"auto", "cpu", "cuda"}
    **params
        Detector parameters (``crbench list detectors --long``). The
        classical detectors (``astroscrappy``, ``lacosmic``) default to their
        upstream packages' defaults.

    Returns
    -------
    astropy.nddata.CCDData
        The input pixels, unit and WCS; ``mask`` is True on cosmic-ray pixels
        (astropy's convention: True = bad); ``meta`` holds the input's meta
        items, the provenance keywords ``CRB_DET``, ``CRB_DVER``,
        ``CRB_PSET``, ``CRB_PARS``, ``CRB_PHSH``, ``CRB_KIND``, ``CRB_THR``
        (or ``CRB_OPP``/``CRB_OPV`` for a mask detector) and ``CRB_VER``, and
        ``meta["crbench_score"]``: the float32 score map (NaN on excluded
        pixels; None for a mask detector). Remove ``crbench_score`` before
        ``write()``: a FITS header holds no arrays.

    Raises
    ------
    InputError
        A missing gain or read noise, a unit other than adu/electron, a
        threshold for a mask detector, an image that is not 2-D.
    MissingDependencyError
        When the detector's optional dependency is not installed.

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.nddata import CCDData
    >>> import crbench
    >>> rng = np.random.default_rng(0)
    >>> image = rng.normal(200.0, 5.0, (64, 64))  # sky 200 ADU, gain 1, read noise 5 e-
    >>> image[30, 20:26] += 2000.0                # a cosmic-ray track
    >>> mask = np.zeros(image.shape, dtype=bool)
    >>> mask[30, 25] = True                       # a known bad pixel: never flagged
    >>> ccd = CCDData(image, unit="adu", mask=mask)
    >>> result = crbench.detect(ccd, detector="astroscrappy", gain=1.0, read_noise=5.0)
    >>> np.flatnonzero(result.mask[30])
    array([20, 21, 22, 23, 24])
    >>> int(result.mask.sum()), result.meta["CRB_DET"], result.meta["CRB_PSET"]
    (5, 'astroscrappy', 'upstream')
    """
    from astropy.nddata import CCDData

    exclude = None
    meta = {}
    if isinstance(data, CCDData):
        units = _ccd_units(data.unit)
        if unit != "adu" and unit != units:
            raise InputError(f"unit={unit!r} disagrees with the CCDData's unit {data.unit}; drop unit=")
        pixels, exclude, wcs = np.asarray(data.data), data.mask, data.wcs
        meta.update(data.meta.items() if data.meta else ())
        out_unit = data.unit
    else:
        units = _ccd_units(unit)
        pixels, out_unit, wcs = np.asarray(data), unit, None
    if read_noise is None:
        raise InputError("read_noise (electrons) is needed: pass read_noise=...")
    setup = prepare_detector(detector, params=params, threshold=threshold, device=device)
    result = detect_array(setup, pixels, units=units, gain=math.nan if gain is None else float(gain),
                          read_noise=float(read_noise), saturation=math.inf if saturation is None else float(saturation),
                          sky_subtracted=sky_subtracted, exclude=exclude)
    meta.update({key: value for key, (value, _) in provenance_cards(setup).items()})
    meta["crbench_score"] = result.score
    return CCDData(pixels, unit=out_unit, mask=result.mask, meta=meta, wcs=wcs)
