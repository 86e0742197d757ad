"""Real cosmic-ray footprints injected into a real (cosmic-ray-free) frame, with exact truth.

The truth rule is the simulator's (:func:`~crbench.simulate.labels.truth_mask`):
a pixel is a CR pixel when its injected charge exceeds ``k_sigma`` local
noise sigmas, ``sqrt(expected + read_noise^2)`` electrons. A real frame has
no noiseless ``expected``, so the same sigma is measured from its pixels:

    sigma^2 = sigma_background^2 + max(source, 0)

``sigma_background`` is 1.4826 x the median absolute deviation of the frame
in electrons over the pixels not ignored (sky, dark and read noise together,
what ``sky + dark + read_noise^2`` is in the simulator), and ``source`` is the
frame less its median, smoothed by a 3 x 3 median filter (the Poisson
variance of stars and galaxies above the background, with the pixel noise
suppressed). A caller with a better noise model passes ``noise_sigma``.
"""

from typing import NamedTuple

import numpy as np
from scipy import ndimage

from .labels import K_SIGMA, cr_objects, truth_mask
from .real_cosmics import draw_real_cosmic_rays

__all__ = ["InjectedCosmicRays", "inject_real_cosmic_rays", "local_noise_sigma"]

_MAD_TO_SIGMA = 1.482602218505602
_UNITS = ("adu", "electron")


class InjectedCosmicRays(NamedTuple):
    """A frame with injected cosmic rays and its labels.

    Attributes
    ----------
    image : ndarray
        The frame with the cosmic rays added, in the input's units.
    truth : ndarray of bool
        Undilated CR mask (False wherever ``ignore`` is True).
    objects : dict of str to ndarray
        Per-CR connected components of ``truth``
        (:func:`~crbench.simulate.labels.cr_objects`).
    cosmic_rays : CosmicRayField
        The injected charge (electrons) and the event table.
    """

    image: np.ndarray
    truth: np.ndarray
    objects: dict
    cosmic_rays: object


def local_noise_sigma(image_e, *, ignore=None):
    """Per-pixel noise sigma (electrons) of a frame, measured from its pixels (see the module docstring).

    Parameters
    ----------
    image_e : ndarray, shape (ny, nx)
        The frame in electrons (sky-subtracted or not).
    ignore : ndarray of bool, optional
        Pixels left out of the background estimate (True = excluded).

    Returns
    -------
    ndarray of float64
    """
    image_e = np.asarray(image_e, dtype=np.float64)
    valid = np.isfinite(image_e) if ignore is None else np.isfinite(image_e) & ~np.asarray(ignore, dtype=bool)
    if not valid.any():
        raise ValueError("no pixel is left to measure the background noise (all ignored or not finite)")
    background = float(np.median(image_e[valid]))
    mad = float(np.median(np.abs(image_e[valid] - background)))
    filled = np.where(valid, image_e, background)
    source = ndimage.median_filter(filled - background, size=3, mode="nearest")
    return np.sqrt((_MAD_TO_SIGMA * mad) ** 2 + np.maximum(source, 0.0))


def inject_real_cosmic_rays(image, *, units, gain, exposure_time, profile, rng, library=None, rate_scale=1.0,
                            ignore=None, noise_sigma=None, k_sigma=K_SIGMA):
    """Add real cosmic-ray footprints to a frame and return it with its exact truth.

    Parameters
    ----------
    image : ndarray, shape (ny, nx)
        A frame without cosmic rays (e.g. a real frame whose CR pixels were
        replaced from a stack), in ``units``.
    units : {"adu", "electron"}
    gain : float
        Electrons per ADU (used when ``units`` is ``"adu"``).
    exposure_time : float
        Seconds; sets the expected number of events.
    profile : InstrumentProfile
        Target sensor: event rate and the footprints' geometry
        (:func:`~crbench.simulate.real_cosmics.draw_real_cosmic_rays`).
    rng : numpy.random.Generator
        The only source of randomness.
    library : FootprintLibrary, optional
        Default: the ITL catalogue rescaled to ``profile``.
    rate_scale : float, optional
        Multiplies the event rate.
    ignore : ndarray of bool, optional
        Pixels excluded from scoring: they receive charge like any other
        pixel but are never truth, and are left out of the noise estimate.
    noise_sigma : float or ndarray, optional
        Local noise sigma in electrons; default :func:`local_noise_sigma`.
    k_sigma : float, optional
        Truth threshold in local noise sigmas (the simulator's 2.5).

    Returns
    -------
    InjectedCosmicRays
        ``image`` keeps the input's floating dtype (float64 for integer
        input); no saturation is applied.
    """
    if units not in _UNITS:
        raise ValueError(f"units must be one of {_UNITS}, not {units!r}")
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"image must be 2-D, got shape {image.shape}")
    to_electrons = float(gain) if units == "adu" else 1.0
    if not to_electrons > 0:
        raise ValueError(f"gain must be > 0 electrons per ADU, got {gain!r}")
    if ignore is not None and np.shape(ignore) != image.shape:
        raise ValueError(f"ignore has shape {np.shape(ignore)}, the image {image.shape}")
    if noise_sigma is None:
        noise_sigma = local_noise_sigma(image * to_electrons, ignore=ignore)
    field = draw_real_cosmic_rays(image.shape, profile=profile, exposure_time=exposure_time, rng=rng,
                                  rate_scale=rate_scale, library=library)
    # truth_mask's sigma is sqrt(expected + read_noise^2): give it the measured variance as ``expected``
    truth = truth_mask(field.charge, np.square(noise_sigma), read_noise=0.0, k_sigma=k_sigma)
    if ignore is not None:
        truth &= ~np.asarray(ignore, dtype=bool)
    dtype = image.dtype if np.issubdtype(image.dtype, np.floating) else np.float64
    injected = (image + field.charge / to_electrons).astype(dtype)
    objects = cr_objects(truth, field.charge, field.kind_charge)
    return InjectedCosmicRays(image=injected, truth=truth, objects=objects, cosmic_rays=field)
