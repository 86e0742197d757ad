"""One simulated exposure: scene + defects + cosmic rays + noise + labels."""

from dataclasses import dataclass, field

import numpy as np

from .cosmics import EVENT_KINDS, simulate_cosmic_rays
from .defects import (
    DEFECT_CLASSES,
    add_bad_columns,
    add_hot_pixels,
    add_satellite_trail,
    bleed_saturated_columns,
)
from .labels import K_SIGMA, cr_objects, ignore_mask, truth_mask
from .noise import read_out
from .scene import draw_scene

__all__ = ["SimulatedFrame", "simulate_frame"]


@dataclass
class SimulatedFrame:
    """A simulated exposure and its exact labels.

    Attributes
    ----------
    image : ndarray of float32
        The frame in ``profile.units``, sky-subtracted if
        ``profile.sky_subtracted``.
    truth : ndarray of bool
        Undilated CR mask (charge > ``k_sigma`` local sigmas).
    ignore : ndarray of bool
        Saturated pixels and the border.
    source_model : ndarray of float32
        Noiseless stars and galaxies in image units (no sky).
    cr_model : ndarray of float32
        Deposited CR charge in image units.
    defects : ndarray of uint8
        Defect class map (:data:`~crbench.simulate.defects.DEFECT_CLASSES`).
    objects : dict of str to ndarray
        Per-CR connected components (:func:`~crbench.simulate.labels.cr_objects`).
    events : dict of str to ndarray
        Every simulated CR event (entry point, kind, projected length, charge).
    info : dict
        Exposure time, band, sky level (image units), PSF, counts.
    """

    image: np.ndarray
    truth: np.ndarray
    ignore: np.ndarray
    source_model: np.ndarray
    cr_model: np.ndarray
    defects: np.ndarray
    objects: dict
    events: dict
    info: dict = field(default_factory=dict)


def simulate_frame(profile, *, shape, band, rng, k_sigma=K_SIGMA, border=2, exposure_time=None, cr_rate_scale=1.0):
    """Simulate one exposure of ``profile``.

    Parameters
    ----------
    profile : InstrumentProfile
    shape : tuple of int
        (ny, nx).
    band : str
        One of ``profile.bands``.
    rng : numpy.random.Generator
        The only source of randomness.
    k_sigma : float, optional
        Truth threshold in local noise sigmas.
    border : int, optional
        Width of the ignored frame border, pixels.
    exposure_time : float, optional
        Seconds; drawn uniformly in ``profile.exposure_range_s`` if omitted.
    cr_rate_scale : float, optional
        Multiplies the CR event rate (calibration).

    Returns
    -------
    SimulatedFrame
    """
    if band not in profile.bands:
        raise ValueError(f"profile {profile.name!r} has bands {profile.bands}, not {band!r}")
    if exposure_time is None:
        exposure_time = float(rng.uniform(*profile.exposure_range_s))
    scene = draw_scene(shape, profile=profile, band=band, exposure_time=exposure_time, rng=rng)
    sky_mean = float(scene.sky.mean())
    noise_sigma = np.sqrt(sky_mean + profile.read_noise_e**2)

    expected = scene.sky + scene.sources + profile.dark_e_per_s * exposure_time
    # what calibration subtracts: the mean dark plus each hot pixel's and warm column's master-dark level
    master_dark = np.full(shape, profile.dark_e_per_s * exposure_time)
    classes = np.zeros(shape, dtype=np.uint8)
    n_hot = add_hot_pixels(
        expected, master_dark, classes, fraction=profile.hot_pixel_fraction, exposure_time=exposure_time, rng=rng
    )
    n_bad_columns = add_bad_columns(
        expected, master_dark, classes, per_1000=profile.bad_columns_per_1000, noise_sigma=noise_sigma, rng=rng
    )
    has_satellite = bool(rng.random() < profile.satellite_probability)
    if has_satellite:
        add_satellite_trail(expected, classes, psf_fwhm_px=scene.psf.fwhm_px, noise_sigma=noise_sigma, rng=rng)
    n_bleeding = bleed_saturated_columns(expected, classes, full_well=profile.full_well_e)

    cosmic_rays = simulate_cosmic_rays(
        shape, profile=profile, exposure_time=exposure_time, rng=rng, rate_scale=cr_rate_scale
    )
    electrons, saturated = read_out(
        expected, cosmic_rays.charge, read_noise=profile.read_noise_e, full_well=profile.full_well_e, rng=rng
    )
    truth = truth_mask(cosmic_rays.charge, expected, read_noise=profile.read_noise_e, k_sigma=k_sigma)
    ignore = ignore_mask(saturated, border=border)
    objects = cr_objects(truth, cosmic_rays.charge, cosmic_rays.kind_charge)

    electrons -= master_dark  # dark calibration, as in the reduced frames of both real data sets
    to_units = 1.0 / profile.gain_e_per_adu if profile.units == "adu" else 1.0
    if profile.sky_subtracted:
        electrons = electrons - scene.sky
    image = (electrons * to_units).astype(np.float32)
    sky_level = sky_mean * to_units
    saturation = (profile.full_well_e - (sky_mean if profile.sky_subtracted else 0.0)) * to_units
    info = {
        "band": band,
        "exposure_time": exposure_time,
        "sky_level": sky_level,
        "saturation": saturation,
        "psf_fwhm_px": scene.psf.fwhm_px,
        "psf_beta": scene.psf.beta,
        "n_stars": int(scene.stars["flux"].size),
        "n_galaxies": int(scene.galaxies["flux"].size),
        "n_saturated_pixels": int(saturated.sum()),
        "n_bleeding_columns": int(n_bleeding),
        "n_hot_pixels": int(n_hot),
        "n_bad_columns": int(n_bad_columns),
        "has_satellite": has_satellite,
        "n_cr_events": int(cosmic_rays.events["kind"].size),
        "n_cr_objects": int(objects["n_pixels"].size),
        "k_sigma": k_sigma,
        "border": border,
        "event_kinds": list(EVENT_KINDS),
        "defect_classes": {str(code): name for code, name in DEFECT_CLASSES.items()},
        "image_to_electrons": 1.0 / to_units,
    }
    return SimulatedFrame(
        image=image,
        truth=truth,
        ignore=ignore,
        source_model=(scene.sources * to_units).astype(np.float32),
        cr_model=(cosmic_rays.charge * to_units).astype(np.float32),
        defects=classes,
        objects=objects,
        events=cosmic_rays.events,
        info=info,
    )
