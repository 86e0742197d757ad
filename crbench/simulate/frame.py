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
from .masks import (
    DECAM_CP_BITS,
    LCO_IGNORE_BITS,
    MEDIAN_OF_3_VARIANCE,
    border_mask,
    decam_cp_bits,
    lco_ignore_bits,
    lco_source_mask,
    single_pixel_objects,
)
from .noise import read_out
from .real_cosmics import CR_SOURCES, draw_real_cosmic_rays
from .scene import draw_scene

__all__ = ["PROTOCOLS", "SimulatedFrame", "simulate_frame"]

#: how a frame is read out and which pixels are ignored (see :func:`simulate_frame`)
PROTOCOLS = ("v1", "decam_cp", "lco_cr", "unmasked")
_BIT_NAMES = {"decam_cp": DECAM_CP_BITS, "unmasked": DECAM_CP_BITS, "lco_cr": LCO_IGNORE_BITS}


@dataclass
class SimulatedFrame:
    """A simulated exposure and its exact labels.

    Attributes
    ----------
    image : ndarray of float32
        The frame in ``profile.units``, sky-subtracted if
        ``profile.sky_subtracted``.
    truth : ndarray of bool
        Undilated CR mask (charge > ``k_sigma`` local sigmas); outside
        protocol ``v1`` it is zero wherever a pixel is ignored, as in both
        real data sets.
    ignore : ndarray of bool
        Pixels excluded from scoring (any bit of ``ignore_bits``; protocol
        ``v1``: saturated pixels and the border).
    ignore_bits : ndarray of uint8 or None
        Why each pixel is ignored (bit names in ``info["ignore_bits"]``);
        None for protocol ``v1``.
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
    ignore_bits: np.ndarray | None = None


def simulate_frame(
    profile, *, shape, band, rng, k_sigma=K_SIGMA, border=2, exposure_time=None, cr_rate_scale=1.0, protocol="v1",
    bright_star=None, cr_source="physics", cr_library=None,
):
    """Simulate one exposure of ``profile``.

    ``protocol`` decides the read-out and the ignore mask:

    - ``"v1"``: charge clipped at full well before read noise; ignore =
      saturated pixels and the border (version 1 of the data sets).
    - ``"decam_cp"``: saturation after read noise; ignore = the DECam
      Community Pipeline's mask (:func:`~crbench.simulate.masks.decam_cp_bits`).
    - ``"lco_cr"``: saturation after read noise; ignore = the LCO CR data
      set's IGNORE bits (:func:`~crbench.simulate.masks.lco_ignore_bits`),
      with ``border`` as its boundary width.
    - ``"unmasked"``: saturation after read noise; ignore = saturated pixels
      and the border only, so hot pixels, warm columns and bleed trails are
      scored (what a badly reduced frame looks like; a stress variant).

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
    protocol : {"v1", "decam_cp", "lco_cr", "unmasked"}, optional
    bright_star : bool, optional
        Force (True) or forbid (False) one extra saturated star (default:
        ``profile.bright_star_probability``).
    cr_source : {"physics", "itl_footprints"}, optional
        Ray-traced events (:func:`~crbench.simulate.simulate_cosmic_rays`)
        or real LSST ITL footprints
        (:func:`~crbench.simulate.real_cosmics.draw_real_cosmic_rays`, from
        a generator spawned off ``rng``). The physics events are drawn in
        both cases, so that every later draw (Poisson and read noise, masks)
        and hence every pixel without cosmic-ray charge is the same for both
        sources.
    cr_library : FootprintLibrary, optional
        Footprints of ``"itl_footprints"`` (default: the ITL catalogue
        rescaled to ``profile``).

    Returns
    -------
    SimulatedFrame
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, not {protocol!r}")
    if cr_source not in CR_SOURCES:
        raise ValueError(f"cr_source must be one of {CR_SOURCES}, not {cr_source!r}")
    if band not in profile.bands:
        raise ValueError(f"profile {profile.name!r} has bands {profile.bands}, not {band!r}")
    if exposure_time is None:
        exposure_time = float(rng.uniform(*profile.exposure_range_s))
    scene = draw_scene(shape, profile=profile, band=band, exposure_time=exposure_time, rng=rng, bright_star=bright_star)
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
    if cr_source == "itl_footprints":
        # spawning leaves rng's stream untouched: the noise below is drawn as for the physics events
        cosmic_rays = draw_real_cosmic_rays(shape, profile=profile, exposure_time=exposure_time, rng=rng.spawn(1)[0],
                                            rate_scale=cr_rate_scale, library=cr_library)
    electrons, saturated = read_out(
        expected, cosmic_rays.charge, read_noise=profile.read_noise_e, full_well=profile.full_well_e, rng=rng,
        saturate_after_noise=protocol != "v1",
    )
    truth = truth_mask(cosmic_rays.charge, expected, read_noise=profile.read_noise_e, k_sigma=k_sigma)
    electrons -= master_dark  # dark calibration, as in the reduced frames of both real data sets
    if protocol == "v1":
        ignore_bits = None
        ignore = ignore_mask(saturated, border=border)
    else:
        ignore_bits, truth = _pipeline_ignore(
            protocol, profile=profile, scene=scene, expected=expected, master_dark=master_dark,
            electrons=electrons, saturated=saturated, classes=classes, truth=truth, border=border, rng=rng,
        )
        ignore = ignore_bits != 0
    objects = cr_objects(truth, cosmic_rays.charge, cosmic_rays.kind_charge)
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
        "protocol": protocol,
    }
    if cr_source != "physics":
        # only then: the physics frames' metadata (and so their sample hashes) stay as they were
        info["cr_source"] = cr_source
        info["n_cr_footprints_inside"] = int(np.count_nonzero(cosmic_rays.events["charge"] > 0))
    if ignore_bits is not None:
        info["ignore_bits"] = dict(_BIT_NAMES[protocol])
        info["n_ignored_by_bit"] = {
            name: int(np.count_nonzero(ignore_bits & value)) for name, value in _BIT_NAMES[protocol].items()
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
        ignore_bits=ignore_bits,
    )


_CODE = {name: code for code, name in DEFECT_CLASSES.items()}


def _pipeline_ignore(protocol, *, profile, scene, expected, master_dark, electrons, saturated, classes, truth,
                     border, rng):
    """Return ``(ignore_bits, truth)`` of a version-2 protocol; truth is zeroed where ignored."""
    shape = expected.shape
    bleed = classes == _CODE["bleed_trail"]
    if protocol == "unmasked":
        bits = np.zeros(shape, dtype=np.uint8)
        bits[border_mask(shape, border)] |= DECAM_CP_BITS["border"]
        bits[saturated] |= DECAM_CP_BITS["saturated"]
    elif protocol == "decam_cp":
        bad_pixel = (classes == _CODE["hot_pixel"]) | (classes == _CODE["bad_column"])
        bits = decam_cp_bits(shape=shape, border=border, bad_pixel=bad_pixel, saturated=saturated, bleed_trail=bleed)
    else:
        sigma = np.sqrt(np.maximum(expected, 0.0) + profile.read_noise_e**2)
        # the median of the sequence's aligned frames: no CRs, the stable defects' calibrated residuals, and
        # the noise of a median of three frames
        median_frame = np.minimum(expected, profile.full_well_e) - master_dark
        median_frame = median_frame + np.sqrt(MEDIAN_OF_3_VARIANCE) * sigma * rng.normal(0.0, 1.0, shape)
        source = lco_source_mask(electrons, median_frame) | saturated | bleed
        boundary = border_mask(shape, border)
        # the instrument's known hot pixels and bad columns (BANZAI's bad-pixel mask) and the isolated pixels
        # the labelling drops (CR candidates under 2 pixels)
        isolated = (classes == _CODE["hot_pixel"]) | (classes == _CODE["bad_column"])
        isolated |= single_pixel_objects(truth & ~boundary & ~source)
        bits = lco_ignore_bits(shape=shape, source=source, isolated=isolated, boundary=border)
    return bits, truth & (bits == 0)
