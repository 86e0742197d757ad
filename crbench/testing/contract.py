"""The detector contract: checks every adapter must pass, reusable by third parties.

Each check is a plain function ``check_<name>(detector)`` taking a set-up
:class:`~crbench.detectors.Detector` instance and raising
:class:`AssertionError` with a message naming the detector, the check and
what went wrong. :func:`check_detector_contract` runs them all;
:func:`contract_cases` turns them into ``pytest.param`` objects so a plug-in
package can run the suite on its own detector::

    import pytest
    from crbench.testing.contract import contract_cases, run_contract_check

    @pytest.mark.parametrize(("detector", "check"), contract_cases(["my_pkg.detector:MyDetector"]))
    def test_contract(detector, check):
        run_contract_check(detector, check)

The contract
------------
- metadata: ``name``, ``version``, ``output_kind`` in ("score", "mask"),
  ``input_units`` in ("electron", "adu"), a JSON-serialisable ``info()``,
  and for mask detectors a ``sweep_parameter`` with a non-empty grid;
- output: a new ndarray of the image's shape; float32 scores in [0, 1]
  without NaN, or a bool mask;
- no mutation: the caller's image is bit-identical after ``detect``;
- determinism: two calls on the same image give identical outputs;
- NaN input: an image with NaN and inf pixels either gives a valid output
  (any value at those pixels: the runner excludes them) or raises
  :class:`crbench.errors.InputError`; the caller's NaNs stay NaN;
- tiny and non-square images (7 x 9, 37 x 91): valid output of that shape;
- sweep (mask detectors): the operating point is one of ``sweep_values()``,
  and ``detect_sweep`` returns one bool mask per sweep value and restores
  the swept parameter.

Images are seeded toy frames in electrons with gain 2 e-/ADU, converted to
the detector's ``input_units`` exactly as the runner does
(:func:`crbench.inputs.prepare_input`), so a wrong unit declaration shows up as garbage
rather than passing silently elsewhere.
"""

import dataclasses
import json
import time

import numpy as np

from ..datasets.tiny import make_tiny_sample
from ..detectors.base import OUTPUT_KINDS, UNITS, Detector
from ..detectors.param_checks import check_param_types
from ..detectors.plugin_checks import set_up_detector
from ..errors import InputError
from ..inputs import prepare_input

__all__ = [
    "CONTRACT_CHECKS",
    "CONTRACT_GAIN",
    "make_contract_sample",
    "build_detector",
    "check_metadata",
    "check_output",
    "check_no_mutation",
    "check_determinism",
    "check_nan_input",
    "check_tiny_image",
    "check_non_square",
    "check_sweep",
    "check_detector_contract",
    "run_contract_check",
    "contract_cases",
]

#: gain (e-/ADU) of contract images: not 1, so unit conversions matter
CONTRACT_GAIN = 2.0
_DEFAULT_SHAPE = (64, 80)
_TINY_SHAPE = (7, 9)
_NON_SQUARE_SHAPE = (37, 91)


def make_contract_sample(shape=_DEFAULT_SHAPE, *, seed=0):
    """Return a seeded toy :class:`~crbench.datasets.Sample` in electrons.

    Parameters
    ----------
    shape : tuple of int
        Image shape; star and CR counts scale with the area.
    seed : int
        Seed of the generator.
    """
    area = shape[0] * shape[1]
    sample = make_tiny_sample(
        seed=seed,
        shape=shape,
        sample_id=f"contract-{shape[0]}x{shape[1]}",
        n_stars=max(1, area // 2000),
        n_crs=max(1, area // 800),
    )
    sample.meta = dataclasses.replace(sample.meta, gain=CONTRACT_GAIN, instrument="contract")
    return sample


def build_detector(detector_cls, *, device="cpu", **params):
    """Instantiate ``detector_cls(**params)``, check its requirements and parameter types, and set it up.

    Raises
    ------
    MissingDependencyError, InputError
        A requirement is missing, or a parameter is unknown or of the wrong type.
    PluginError
        When ``setup()`` raised (:func:`crbench.detectors.plugin_checks.set_up_detector`).
    """
    detector_cls.check_available()
    check_param_types(detector_cls, params)
    detector = detector_cls(**params)
    set_up_detector(detector, device=device)
    return detector


def _label(detector, check):
    return f"detector {detector.name!r} ({type(detector).__module__}:{type(detector).__qualname__}), check {check!r}"


def _validate_output(detector, output, shape, check):
    label = _label(detector, check)
    assert isinstance(output, np.ndarray), f"{label}: detect() returned {type(output).__name__}, not a numpy array"
    assert output.shape == tuple(shape), f"{label}: output shape {output.shape} differs from image shape {shape}"
    if detector.output_kind == "mask":
        assert output.dtype == np.bool_, f"{label}: mask detectors must return dtype bool, got {output.dtype}"
    else:
        assert output.dtype == np.float32, f"{label}: score detectors must return float32, got {output.dtype}"
        assert np.isfinite(output).all(), f"{label}: {int((~np.isfinite(output)).sum())} non-finite scores"
        low, high = float(output.min()), float(output.max())
        assert low >= 0.0 and high <= 1.0, f"{label}: scores must lie in [0, 1], got [{low:.4g}, {high:.4g}]"


def _detect(detector, sample, check):
    image, meta = prepare_input(sample, detector=detector)
    output = detector.detect(image, meta=meta)
    _validate_output(detector, output, image.shape, check)
    assert not np.shares_memory(output, image), f"{_label(detector, check)}: output shares memory with the input"
    return output


def check_metadata(detector):
    """Class metadata is complete and ``info()`` is JSON-ready."""
    label = _label(detector, "metadata")
    assert isinstance(detector, Detector), f"{label}: not a crbench.detectors.Detector subclass"
    assert detector.name, f"{label}: empty name"
    assert detector.version, f"{label}: empty version"
    assert detector.output_kind in OUTPUT_KINDS, f"{label}: output_kind {detector.output_kind!r} not in {OUTPUT_KINDS}"
    assert detector.input_units in UNITS, f"{label}: input_units {detector.input_units!r} not in {UNITS}"
    assert isinstance(detector.dilate_output, bool), f"{label}: dilate_output must be a bool"
    try:
        json.dumps(detector.info(), allow_nan=False)
    except (TypeError, ValueError) as err:
        raise AssertionError(f"{label}: info() is not strict JSON: {err}") from err
    twin = type(detector)(**detector.user_params)
    twin.params = dict(detector.params)
    assert twin.params_hash == detector.params_hash, f"{label}: params_hash depends on more than name, version, params"
    if detector.output_kind == "score":
        threshold = detector.operating_point
        assert 0.0 <= threshold <= 1.0, f"{label}: operating threshold {threshold} outside [0, 1]"
    else:
        assert detector.sweep_parameter, f"{label}: mask detectors need a sweep_parameter for ROC curves"
        assert detector.sweep_parameter in detector.params, (
            f"{label}: sweep_parameter {detector.sweep_parameter!r} is not an accepted parameter"
        )
        assert detector.sweep_values(), f"{label}: empty sweep grid"
        assert np.isfinite(detector.operating_point), f"{label}: operating point is not a number"


def check_output(detector):
    """Output shape, dtype and range on a typical small image."""
    _detect(detector, make_contract_sample(), "output")


def check_no_mutation(detector):
    """The caller's image and metadata are unchanged by ``detect``."""
    sample = make_contract_sample(seed=1)
    image, meta = prepare_input(sample, detector=detector)
    image_before, meta_before = image.copy(), meta.to_dict()
    detector.detect(image, meta=meta)
    assert np.array_equal(image, image_before), f"{_label(detector, 'no_mutation')}: detect() modified the input image"
    assert _same_meta(meta.to_dict(), meta_before), f"{_label(detector, 'no_mutation')}: detect() modified the metadata"


def _same_meta(after, before):
    extra_after, extra_before = after.pop("extra"), before.pop("extra")
    if after != before or set(extra_after) != set(extra_before):
        return False
    return all(np.array_equal(extra_after[key], extra_before[key]) for key in extra_after)


def check_determinism(detector):
    """Two calls on the same image return identical outputs."""
    sample = make_contract_sample(seed=2)
    first = _detect(detector, sample, "determinism")
    second = _detect(detector, sample, "determinism")
    n_differ = int(np.sum(first != second))
    assert n_differ == 0, f"{_label(detector, 'determinism')}: {n_differ} pixels differ between two identical calls"


def check_nan_input(detector):
    """NaN/inf pixels give a valid output or an InputError, and stay NaN in the caller's array."""
    sample = make_contract_sample(seed=3)
    image, meta = prepare_input(sample, detector=detector)
    image[5, 7] = np.nan
    image[20:22, 30] = np.nan
    image[40, 11] = np.inf
    before = image.copy()
    try:
        output = detector.detect(image, meta=meta)
    except InputError:
        output = None
    assert np.array_equal(image, before, equal_nan=True), (
        f"{_label(detector, 'nan_input')}: detect() modified the input image (NaN pixels must stay NaN)"
    )
    if output is not None:
        _validate_output(detector, output, image.shape, "nan_input")


def check_tiny_image(detector):
    """A 7 x 9 image gives a valid 7 x 9 output."""
    _detect(detector, make_contract_sample(_TINY_SHAPE, seed=4), "tiny_image")


def check_non_square(detector):
    """A 37 x 91 image gives a valid output of that shape."""
    _detect(detector, make_contract_sample(_NON_SQUARE_SHAPE, seed=5), "non_square")


def check_sweep(detector):
    """Mask detectors: one bool mask per sweep value; the swept parameter is restored."""
    if detector.output_kind != "mask":
        return
    label = _label(detector, "sweep")
    values = detector.sweep_values()
    # three values (both ends and the middle) keep slow upstream code fast
    subset = sorted({values[0], values[len(values) // 2], values[-1]})
    original_sweep = detector.params["sweep"]
    original_value = detector.params[detector.sweep_parameter]
    detector.params["sweep"] = subset
    try:
        expected_values = detector.sweep_values()
        assert detector.operating_point in expected_values, (
            f"{label}: the operating point {detector.operating_point} is not among the sweep values "
            f"{expected_values}, so operating-point metrics cannot be read from the sweep"
        )
        sample = make_contract_sample(seed=6)
        image, meta = prepare_input(sample, detector=detector)
        masks = detector.detect_sweep(image, meta=meta)
    finally:
        detector.params["sweep"] = original_sweep
    assert isinstance(masks, np.ndarray) and masks.dtype == np.bool_, f"{label}: detect_sweep must return a bool array"
    expected_shape = (len(expected_values),) + image.shape
    assert masks.shape == expected_shape, (
        f"{label}: detect_sweep returned shape {masks.shape}, expected {expected_shape}"
    )
    assert detector.params[detector.sweep_parameter] == original_value, (
        f"{label}: detect_sweep did not restore {detector.sweep_parameter!r}"
    )


#: check name -> function, in the order they run
CONTRACT_CHECKS = {
    "metadata": check_metadata,
    "output": check_output,
    "no_mutation": check_no_mutation,
    "determinism": check_determinism,
    "nan_input": check_nan_input,
    "tiny_image": check_tiny_image,
    "non_square": check_non_square,
    "sweep": check_sweep,
}


def check_detector_contract(detector_cls, *, device="cpu", checks=None, **params):
    """Run the contract checks on one detector class.

    Parameters
    ----------
    detector_cls : type
        A :class:`~crbench.detectors.Detector` subclass.
    device : str
        Resolved device passed to ``setup``.
    checks : iterable of str, optional
        Names from :data:`CONTRACT_CHECKS` (default: all).
    **params
        Detector parameters.

    Returns
    -------
    dict of str to float
        Seconds per check (``"setup"`` included).

    Raises
    ------
    AssertionError
        On the first failed check, naming the detector and the check.
    MissingDependencyError
        If the detector's requirements are not installed.
    """
    timings = {}
    start = time.perf_counter()
    detector = build_detector(detector_cls, device=device, **params)
    timings["setup"] = time.perf_counter() - start
    for name in checks or CONTRACT_CHECKS:
        if name not in CONTRACT_CHECKS:
            raise InputError(f"unknown contract check {name!r}; choose from {', '.join(CONTRACT_CHECKS)}")
        start = time.perf_counter()
        CONTRACT_CHECKS[name](detector)
        timings[name] = time.perf_counter() - start
    return timings


_DETECTOR_CACHE = {}


def _resolve(detector):
    if isinstance(detector, str):
        from ..detectors import get_detector_class

        return get_detector_class(detector)
    return detector


def run_contract_check(detector, check, *, params=None, device="cpu"):
    """Run one contract check, reusing a set-up detector across checks.

    Parameters
    ----------
    detector : str or type
        Registry name, ``"module:Class"`` path, or class.
    check : str
        A key of :data:`CONTRACT_CHECKS`.
    params : dict, optional
        Detector parameters.
    device : str
        Device passed to ``setup``.
    """
    detector_cls = _resolve(detector)
    params = dict(params or {})
    key = (detector_cls, json.dumps(params, sort_keys=True, default=str), device)
    if key not in _DETECTOR_CACHE:
        _DETECTOR_CACHE[key] = build_detector(detector_cls, device=device, **params)
    CONTRACT_CHECKS[check](_DETECTOR_CACHE[key])


def contract_cases(detectors, *, checks=None):
    """Return ``pytest.param(detector, check)`` for every detector and check.

    Detectors whose requirements are missing are marked skipped with their
    install command, so a suite runs everywhere and says what it left out.

    Parameters
    ----------
    detectors : iterable of str or type
        Registry names, import paths or classes.
    checks : iterable of str, optional
        Subset of :data:`CONTRACT_CHECKS`.
    """
    import pytest

    cases = []
    for detector in detectors:
        detector_cls = _resolve(detector)
        missing = detector_cls.missing_requirements()
        marks = []
        if missing:
            hint = detector_cls.install_hint or f"pip install {' '.join(missing)}"
            marks.append(pytest.mark.skip(reason=f"{detector_cls.name} needs {', '.join(missing)}: {hint}"))
        label = detector if isinstance(detector, str) else detector_cls.name
        for check in checks or CONTRACT_CHECKS:
            cases.append(pytest.param(detector, check, id=f"{label}-{check}", marks=marks))
    return cases
