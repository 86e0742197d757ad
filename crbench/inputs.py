"""What a detector sees: unit conversion, sky subtraction and the one input preparation.

The runner, ``crbench bench``, the detector contract suite and training all
hand images to detectors through :func:`prepare_input`, so a detector is
tested, timed and scored on exactly the same input.
"""

import dataclasses

import numpy as np

from .errors import InputError

__all__ = ["UNITS", "convert_units", "prepare_input", "background_level", "subtract_sky"]

UNITS = ("electron", "adu")


def convert_units(image, *, from_units, to_units, gain):
    """Convert an image between electrons and ADU.

    Parameters
    ----------
    image : ndarray
        The image, in ``from_units``.
    from_units, to_units : {"electron", "adu"}
        Units of the input and of the result.
    gain : float
        Detector gain in electrons per ADU.

    Returns
    -------
    ndarray
        A new float32 array in ``to_units`` (the input is never modified).
    """
    for units in (from_units, to_units):
        if units not in UNITS:
            raise InputError(f"unknown units {units!r}; expected one of {UNITS}")
    image = np.asarray(image, dtype=np.float32)
    if from_units == to_units:
        return image.copy()
    if not np.isfinite(gain) or gain <= 0:
        raise InputError(f"gain must be a positive number of electrons per ADU, got {gain!r}")
    factor = gain if from_units == "adu" else 1.0 / gain
    return (image * np.float32(factor)).astype(np.float32, copy=False)


def prepare_input(sample, *, detector):
    """Return ``(image, meta)`` as every crbench code path hands them to ``detector``.

    Parameters
    ----------
    sample : crbench.datasets.Sample
        A validated sample (non-finite pixels already in its ignore mask).
    detector : crbench.detectors.Detector

    Returns
    -------
    image : ndarray
        float32, a new array in ``detector.input_units`` (converted with the
        sample's gain).
    meta : crbench.datasets.SampleMeta
        The sample's metadata in those units; for detectors declaring
        ``needs_truth = True`` (test oracles) a copy of the truth mask is in
        ``meta.extra["truth"]``.
    """
    image = convert_units(
        sample.image, from_units=sample.meta.units, to_units=detector.input_units, gain=sample.meta.gain
    )
    meta = sample.meta.in_units(detector.input_units)
    if getattr(detector, "needs_truth", False):
        meta = dataclasses.replace(meta, extra={**meta.extra, "truth": sample.truth.copy()})
    return image, meta


def background_level(image):
    """Sigma-clipped median of ``image`` (used when a sample states no sky level)."""
    from astropy.stats import sigma_clipped_stats

    _, median, _ = sigma_clipped_stats(image, sigma=3.0, maxiters=5)
    return float(median)


def subtract_sky(image, *, meta):
    """Return ``image`` (float32) with its sky removed, as the DECam models expect.

    Parameters
    ----------
    image : ndarray
        The image, in ``meta.units``.
    meta : crbench.datasets.SampleMeta
        ``sky_subtracted`` True leaves the image as is; otherwise
        ``sky_level`` (or, if None, a sigma-clipped median) is subtracted.
    """
    image = np.asarray(image, dtype=np.float32)
    if meta.sky_subtracted:
        return image
    sky = meta.sky_level if meta.sky_level is not None else background_level(image)
    return image - np.float32(sky)
