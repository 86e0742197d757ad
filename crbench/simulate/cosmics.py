"""Ground-level cosmic-ray events ray-traced through a 3-D pixel volume.

Three kinds of event are simulated, each deposited as charge (electrons)
into a float64 image:

``muon``
    A straight track. Events arrive as a Poisson process (rate x area x
    exposure). The muon flux per solid angle goes as cos^2(zenith); the
    rate through a horizontal surface adds one more cos factor, so mu =
    cos(theta) has density 4 mu^3 and is drawn as mu = U**(1/4). The
    azimuth and entry point are uniform. The track crosses the full
    thickness; its projected length in pixels is
    ``thickness * tan(theta) / pixel_size``. Charge is deposited along the
    path in short steps, each drawing its ionisation from the Landau
    distribution of its length (PDG Eqs. 34.11-34.12). The Landau law is
    stable, so the steps add up to the Landau distribution of the whole
    path, with the most probable value of that path length and the long
    tail of energetic delta electrons; a step keeps at most what a delta
    electron whose range is the sensor thickness can leave. Each step's
    charge diffuses laterally with a Gaussian whose sigma grows as the
    square root of the drift distance to the collecting gates, so a track
    is sharp at one end and fuzzy at the other.
``worm``
    An electron of tens of keV to a few MeV (Compton electrons of
    environmental gamma rays, mostly made in the material around the
    sensor), entering through either surface with an isotropic flux. It
    slows down continuously along its CSDA range (3.6 eV per electron-hole
    pair, rising towards its end: the Bragg peak), scatters by Highland's
    angle for its current energy (slow electrons curl, fast ones run nearly
    straight) and leaves the sensor when it reaches a surface.
``spot``
    A compact, high-charge deposit (low-energy electron or nuclear
    fragment stopping within a pixel or two).

The undilated CR pixel fraction (truth pixels / all pixels) is the quantity
calibrated against published figures; the rate in
:class:`~crbench.simulate.profiles.CosmicRayModel` is the calibration knob.
"""

from dataclasses import dataclass

import numpy as np
from scipy import special

from . import libm

__all__ = ["CosmicRayField", "EVENT_KINDS", "simulate_cosmic_rays", "draw_muon_directions", "deposit_steps",
           "muon_most_probable_charge", "MPV_REFERENCE_PATH_UM"]

EVENT_KINDS = ("muon", "worm", "spot")
_EV_PER_PAIR = 3.6  # mean energy per electron-hole pair in silicon at ~170 K
_MAX_STEP_UM = 2.0
_MAX_TAN_THETA = libm.tan(np.radians(85.0))
#: Path over which ``CosmicRayModel.mpv_e_per_um`` is the most probable ionisation (PDG Fig. 34.8, 300 um Si).
MPV_REFERENCE_PATH_UM = 300.0
_I_SILICON_E = 173.0 / _EV_PER_PAIR  # mean excitation energy of silicon (PDG), in electron-hole pairs
_LANDAU_MODE = -0.22278  # mode of the standard Landau density phi(lambda)


@dataclass
class CosmicRayField:
    """Cosmic-ray charge of one exposure.

    Attributes
    ----------
    charge : ndarray of float64, shape (ny, nx)
        Deposited charge in electrons.
    kind_charge : ndarray of float32, shape (3, ny, nx)
        The same charge split by event kind (order of :data:`EVENT_KINDS`).
    events : dict of str to ndarray
        One entry per event: ``kind`` (index into :data:`EVENT_KINDS`),
        ``x``, ``y`` (entry point, pixels), ``projected_length`` (pixels;
        straight-line extent in the image plane), ``charge`` (electrons
        deposited inside the image), ``zenith_deg``.
    """

    charge: np.ndarray
    kind_charge: np.ndarray
    events: dict


def draw_muon_directions(n_events, *, rng):
    """Draw zenith and azimuth angles of muons crossing a horizontal sensor.

    Parameters
    ----------
    n_events : int
    rng : numpy.random.Generator

    Returns
    -------
    zenith, azimuth : ndarray of float64
        Radians. ``cos(zenith) = U**(1/4)`` (cos^2 flux times the cos
        projection of a horizontal surface), capped at 85 degrees.
    """
    mu = libm.power(rng.random(n_events), 0.25)
    zenith = np.minimum(libm.arccos(mu), np.radians(85.0))
    azimuth = rng.uniform(0.0, 2.0 * np.pi, n_events)
    return zenith, azimuth


def _axis_weights(centres, sigmas, radius):
    """Fraction of a 1-D Gaussian falling in each of ``2 radius + 1`` pixels.

    Pixel ``i`` spans ``[i - 0.5, i + 0.5)``. Returns the first pixel index
    and the weights, shape (n, 2 radius + 1).
    """
    first = np.floor(centres + 0.5).astype(np.int64) - radius
    edges = first[:, None] - 0.5 + np.arange(2 * radius + 2)[None, :]
    cdf = special.ndtr((edges - centres[:, None]) / sigmas[:, None])
    return first, np.diff(cdf, axis=1)


def deposit_steps(shape, *, x, y, charge, sigma):
    """Spread point charges into an image with Gaussian diffusion.

    Parameters
    ----------
    shape : tuple of int
        Image shape (ny, nx).
    x, y : ndarray of float
        Step positions in pixels (pixel ``i`` is centred on ``i``).
    charge : ndarray of float
        Electrons per step.
    sigma : ndarray of float
        Diffusion sigma per step, pixels (> 0).

    Returns
    -------
    ndarray of float64
        The deposited charge; charge landing outside the image is lost.
    """
    ny, nx = shape
    image = np.zeros(ny * nx)
    if len(x) == 0:
        return image.reshape(shape)
    sigma = np.maximum(np.asarray(sigma, dtype=float), 1e-3)
    radius = int(np.ceil(4.0 * sigma.max())) + 1
    x0, wx = _axis_weights(np.asarray(x, float), sigma, radius)
    y0, wy = _axis_weights(np.asarray(y, float), sigma, radius)
    offsets = np.arange(2 * radius + 1)
    cols = x0[:, None] + offsets[None, :]
    rows = y0[:, None] + offsets[None, :]
    weights = charge[:, None, None] * wy[:, :, None] * wx[:, None, :]
    rows3 = np.broadcast_to(rows[:, :, None], weights.shape)
    cols3 = np.broadcast_to(cols[:, None, :], weights.shape)
    inside = (rows3 >= 0) & (rows3 < ny) & (cols3 >= 0) & (cols3 < nx)
    # scatter only the touched pixels (a full-frame bincount would cost O(ny nx) per call)
    np.add.at(image, rows3[inside] * nx + cols3[inside], weights[inside])
    return image.reshape(shape)


def _standard_landau(size, *, rng):
    """Draw standard Landau variates (density phi(lambda) of PDG Eq. 34.11, mode at -0.2228).

    The Landau distribution is the totally skewed (beta = 1) stable law of index 1. Chambers,
    Mallows & Stuck (1976) draw it from a uniform angle and an exponential variate (Weron 1996,
    Eq. 3.4); ``x`` is then ``scipy.stats.landau``, and phi's variable is ``pi/2 x + ln(pi/2)``.
    The transcendental functions come from :mod:`.libm` so that the draws do not depend on the CPU.
    """
    half_pi = 0.5 * np.pi
    angle = rng.uniform(-half_pi, half_pi, size)
    exponential = rng.standard_exponential(size)
    stretched = half_pi + angle
    x = (stretched * libm.tan(angle) - libm.log(half_pi * exponential * libm.cos(angle) / stretched)) / half_pi
    return half_pi * x + libm.log(half_pi)


def _moyal(*, loc, scale, rng):
    """Draw Moyal variates, the draws of ``scipy.stats.moyal.rvs(loc, scale, random_state=rng)``.

    scipy takes ``-log`` of a Gamma(1/2, scale 2) draw with numpy's
    CPU-dispatched ``log``; the same draw with :func:`libm.log` keeps the
    charge independent of the CPU's SIMD width.
    """
    loc, scale = np.broadcast_arrays(np.asarray(loc, dtype=float), np.asarray(scale, dtype=float))
    gamma = rng.standard_gamma(0.5, size=loc.shape) * 2.0
    # scipy's operation order (standardised variate * scale + loc), so the draws keep their bytes
    return -libm.log(gamma) * scale + loc


def _electron_energy_for_range_kev(range_um):
    """Inverse of the Katz & Penfold (1952) range-energy relation of electrons in silicon.

    ``R = 412 E^(1.265 - 0.0954 ln E)`` mg/cm^2 (E in MeV, 0.01-3 MeV) is quadratic in ln E.
    """
    log_range = libm.log(np.asarray(range_um, dtype=float) * 2330.0 / 1e4 / 412.0)
    log_energy = (1.265 - np.sqrt(1.265**2 - 4.0 * 0.0954 * log_range)) / (2.0 * 0.0954)
    return libm.exp(log_energy) * 1e3


def muon_most_probable_charge(path_um, *, model):
    """Most probable charge (electrons) a minimum-ionising muon leaves along ``path_um`` of silicon.

    PDG Eq. 34.12: ``Delta_p = xi [ln(2 m c^2 beta^2 gamma^2 / I) + ln(xi / I) + j - beta^2 - delta]``
    with ``xi`` proportional to the path. The bracket's path-independent part is fixed by
    ``model.mpv_e_per_um``, the MPV per micron of :data:`MPV_REFERENCE_PATH_UM` of silicon, so
    the MPV per micron falls with the path (about 75 e-/um over 100 um, 65 e-/um over 15 um).
    """
    xi_ref = model.landau_width_e_per_um * MPV_REFERENCE_PATH_UM
    constant = model.mpv_e_per_um * MPV_REFERENCE_PATH_UM / xi_ref - libm.log(xi_ref / _I_SILICON_E)
    xi = model.landau_width_e_per_um * np.asarray(path_um, dtype=float)
    return xi * (constant + libm.log(xi / _I_SILICON_E))


def _diffusion_sigma_px(depth_um, *, model, thickness_um, pixel_size_um):
    """Diffusion sigma (pixels) for charge created ``depth_um`` from the gates."""
    fraction = np.clip(depth_um / thickness_um, 0.0, 1.0)
    return model.diffusion_sigma_max_um * np.sqrt(fraction) / pixel_size_um + 0.05


def _muon_steps(n, *, model, profile, padded_origin, padded_shape, rng):
    """Entry points, directions and charge steps of ``n`` muons."""
    pixel = profile.pixel_size_um
    thickness = profile.thickness_um
    x_entry = padded_origin[1] + rng.random(n) * padded_shape[1]
    y_entry = padded_origin[0] + rng.random(n) * padded_shape[0]
    zenith, azimuth = draw_muon_directions(n, rng=rng)
    tan_theta = libm.tan(zenith)
    path_um = thickness / libm.cos(zenith)
    step_um = min(_MAX_STEP_UM, pixel / 4.0, thickness / 4.0)
    n_steps = np.maximum(np.ceil(path_um / step_um).astype(np.int64), 1)
    event = np.repeat(np.arange(n), n_steps)
    # fraction along the path at the middle of each step
    start = np.cumsum(n_steps) - n_steps
    t = (np.arange(n_steps.sum()) - start[event] + 0.5) / n_steps[event]
    ds = path_um[event] / n_steps[event]
    projected_px = thickness * tan_theta / pixel
    x = x_entry[event] + t * projected_px[event] * libm.cos(azimuth[event])
    y = y_entry[event] + t * projected_px[event] * libm.sin(azimuth[event])
    # the muon enters at the back (depth = thickness from the gates) or the front with equal odds
    from_back = rng.random(n) < 0.5
    depth = np.where(from_back[event], (1.0 - t), t) * thickness
    # Landau straggling per step: the Landau law is stable, so the steps add up to the Landau of
    # the whole path (PDG MPV and width of the full thickness, with its delta-ray tail). A step
    # cannot keep more than a delta electron can leave inside the sensor: one whose range equals
    # the thickness deposits at most that; a more energetic one escapes with the rest.
    if model.physics == "v1":
        # version 1: Moyal per step around the same MPV per micron for every path (no Landau tail)
        charge = _moyal(loc=model.mpv_e_per_um * ds, scale=model.landau_width_e_per_um * ds, rng=rng)
        charge = np.maximum(charge, 0.0)
    else:
        xi = model.landau_width_e_per_um * ds
        charge = muon_most_probable_charge(ds, model=model) + xi * (
            _standard_landau(event.size, rng=rng) - _LANDAU_MODE
        )
        delta_cap_e = _electron_energy_for_range_kev(thickness) * 1e3 / _EV_PER_PAIR
        charge = np.clip(charge, 0.0, delta_cap_e)
    sigma = _diffusion_sigma_px(depth, model=model, thickness_um=thickness, pixel_size_um=pixel)
    return {
        "x_entry": x_entry,
        "y_entry": y_entry,
        "zenith": zenith,
        "projected_px": projected_px,
        "event": event,
        "x": x,
        "y": y,
        "charge": charge,
        "sigma": sigma,
    }


def _electron_range_um(energy_kev):
    """CSDA range of electrons in silicon (Katz & Penfold 1952), microns.

    ``R = 412 E^(1.265 - 0.0954 ln E)`` mg/cm^2 for E in MeV (0.01-3 MeV), divided by the
    density of silicon (2.33 g/cm^3).
    """
    energy_mev = np.asarray(energy_kev, dtype=float) / 1e3
    range_mg_cm2 = 412.0 * libm.power(energy_mev, 1.265 - 0.0954 * libm.log(energy_mev))
    return range_mg_cm2 / 2330.0 * 1e4


def _highland_angle(energy_kev, step_um):
    """RMS projected multiple-scattering angle (radians) of an electron over ``step_um`` of silicon.

    Highland's formula (PDG Eq. 34.16), ``13.6 MeV / (beta c p) sqrt(x/X0) (1 + 0.038 ln(x/X0))``,
    with the radiation length of silicon X0 = 9.37 cm. A 1 MeV electron turns by ~0.03 rad per
    2.5 um and a 30 keV one by ~0.7 rad, so fast electrons leave nearly straight tracks and slow
    ones curl (the "worms"). Capped at 1 rad, where the direction is random anyway.
    """
    electron_mass_mev = 0.51099895
    kinetic_mev = np.maximum(np.asarray(energy_kev, dtype=float), 1e-3) / 1e3
    pc = np.sqrt(kinetic_mev * (kinetic_mev + 2.0 * electron_mass_mev))
    beta_pc = pc * pc / (kinetic_mev + electron_mass_mev)
    thickness_x0 = step_um / 9.37e4
    angle = 13.6 / beta_pc * np.sqrt(thickness_x0) * (1.0 + 0.038 * libm.log(thickness_x0))
    return np.minimum(angle, 1.0)


def _walk_steps(heading, elevation, *, step_um, pixel_um):
    """Step vectors of a walk: ``dx``, ``dy`` in pixels and ``dz`` in microns."""
    step_px = step_um / pixel_um
    cos_elevation = libm.cos(elevation)
    return (libm.cos(heading) * cos_elevation * step_px, libm.sin(heading) * cos_elevation * step_px,
            libm.sin(elevation) * step_um)


def _worm_result(x_entry, y_entry, extent, event, x, y, charge, sigma):
    """The step table of worm events (no zenith angle: they are not straight tracks)."""
    return {
        "x_entry": x_entry,
        "y_entry": y_entry,
        "zenith": np.full(x_entry.size, np.nan),
        "projected_px": extent,
        "event": event,
        "x": x,
        "y": y,
        "charge": charge,
        "sigma": sigma,
    }


def _worm_steps(n, *, model, profile, padded_origin, padded_shape, rng):
    """Multiply scattered electrons (Compton and delta electrons, tens of keV to MeV), ``n`` of them.

    Each electron starts at a uniform depth in an isotropic direction and slows down
    continuously: at path length ``s`` its energy is the one whose CSDA range is the range left,
    ``R(E0) - s``, so each step deposits the energy lost over it (rising towards the end, the
    Bragg peak). Its direction changes every step by Highland's multiple-scattering angle for the
    current energy. An electron that reaches either surface of the sensor leaves it with the
    energy it still has: a thin sensor keeps only part of a fast electron's energy.
    """
    pixel = profile.pixel_size_um
    thickness = profile.thickness_um
    low, high = libm.log(model.worm_energy_kev[0]), libm.log(model.worm_energy_kev[1])
    energy_kev = libm.exp(rng.uniform(low, high, n))
    range_um = _electron_range_um(energy_kev)
    step_um = min(pixel, thickness) / 4.0
    n_steps = np.clip(np.ceil(range_um / step_um).astype(np.int64), 2, 4000)
    event = np.repeat(np.arange(n), n_steps)
    start = np.cumsum(n_steps) - n_steps
    index_in_event = np.arange(n_steps.sum()) - start[event]
    # energy at both ends of each step from the range still to go (zero once the range is used up)
    remaining_before = range_um[event] - index_in_event * step_um
    remaining_after = remaining_before - step_um
    energy_before = np.zeros(event.size)
    energy_after = np.zeros(event.size)
    left = remaining_before > 0
    energy_before[left] = _electron_energy_for_range_kev(remaining_before[left])
    left = remaining_after > 0
    energy_after[left] = _electron_energy_for_range_kev(remaining_after[left])
    deposit_e = (energy_before - energy_after) * 1e3 / _EV_PER_PAIR
    angle = _highland_angle(0.5 * (energy_before + energy_after), step_um)
    turn = rng.normal(0.0, 1.0, event.size) * angle
    first = index_in_event == 0
    turn[first] = rng.uniform(0, 2 * np.pi, n)
    heading = _segmented_cumsum(turn, start, n_steps)
    dip = rng.normal(0.0, 1.0, event.size) * angle
    # an isotropic flux through a surface: cos(angle to the normal) = sqrt(U), pointing inwards
    from_front = rng.random(n) < 0.5
    sin_elevation = np.sqrt(rng.random(n))
    dip[first] = (0.5 * np.pi - libm.arccos(sin_elevation)) * np.where(from_front, 1.0, -1.0)
    elevation = _segmented_cumsum(dip, start, n_steps)
    dx, dy, dz = _walk_steps(heading, elevation, step_um=step_um, pixel_um=pixel)
    x_entry = padded_origin[1] + rng.random(n) * padded_shape[1]
    y_entry = padded_origin[0] + rng.random(n) * padded_shape[0]
    z_entry = np.where(from_front, 0.0, thickness)
    # positions at the middle of each step
    x = x_entry[event] + _segmented_cumsum(dx, start, n_steps) - 0.5 * dx
    y = y_entry[event] + _segmented_cumsum(dy, start, n_steps) - 0.5 * dy
    z = z_entry[event] + _segmented_cumsum(dz, start, n_steps) - 0.5 * dz
    # the electron leaves at the first surface it reaches and deposits nothing after that
    outside = ((z < 0.0) | (z > thickness)).astype(np.int64)
    inside = _segmented_cumsum(outside, start, n_steps) == 0
    charge = np.where(inside, deposit_e, 0.0)
    sigma = _diffusion_sigma_px(np.clip(z, 0.0, thickness), model=model, thickness_um=thickness, pixel_size_um=pixel)
    extent = np.hypot(
        np.bincount(event, weights=dx * inside, minlength=n), np.bincount(event, weights=dy * inside, minlength=n)
    )
    return _worm_result(x_entry, y_entry, extent, event, x, y, charge, sigma)


def _worm_steps_v1(n, *, model, profile, padded_origin, padded_shape, rng):
    """Version-1 worms: correlated random walks that keep all their energy, reflected at both surfaces."""
    pixel = profile.pixel_size_um
    thickness = profile.thickness_um
    low, high = libm.log(model.worm_energy_kev[0]), libm.log(model.worm_energy_kev[1])
    energy_kev = libm.exp(rng.uniform(low, high, n))
    total_charge = energy_kev * 1e3 / _EV_PER_PAIR
    # CSDA range of electrons (Katz & Penfold 1952): R = 412 E^(1.265 - 0.0954 ln E) mg/cm^2 for E in
    # MeV, divided by the density of silicon (2.33 g/cm^3); the walk's projected extent is shorter
    energy_mev = energy_kev / 1e3
    range_mg_cm2 = 412.0 * libm.power(energy_mev, 1.265 - 0.0954 * libm.log(energy_mev))
    path_um = range_mg_cm2 / 2330.0 * 1e4
    step_um = pixel / 4.0
    n_steps = np.clip(np.ceil(path_um / step_um).astype(np.int64), 2, 4000)
    event = np.repeat(np.arange(n), n_steps)
    start = np.cumsum(n_steps) - n_steps
    index_in_event = np.arange(n_steps.sum()) - start[event]
    turn = rng.normal(0.0, 0.35, event.size)
    turn[index_in_event == 0] = rng.uniform(0, 2 * np.pi, n)
    heading = _segmented_cumsum(turn, start, n_steps)
    dip = rng.normal(0.0, 0.15, event.size)
    dip[index_in_event == 0] = rng.uniform(-0.5, 0.5, n)
    elevation = _segmented_cumsum(dip, start, n_steps)
    dx, dy, dz = _walk_steps(heading, elevation, step_um=step_um, pixel_um=pixel)
    x_entry = padded_origin[1] + rng.random(n) * padded_shape[1]
    y_entry = padded_origin[0] + rng.random(n) * padded_shape[0]
    z_entry = rng.random(n) * thickness
    x = x_entry[event] + _segmented_cumsum(dx, start, n_steps)
    y = y_entry[event] + _segmented_cumsum(dy, start, n_steps)
    z = np.abs(z_entry[event] + _segmented_cumsum(dz, start, n_steps))
    z = thickness - np.abs(thickness - np.mod(z, 2 * thickness))  # reflect at both surfaces
    # energy loss rises towards the end of the walk (Bragg-like)
    remaining = 1.0 - (index_in_event + 0.5) / n_steps[event]
    weight = 1.0 / (remaining + 0.15)
    weight_sum = np.bincount(event, weights=weight, minlength=n)
    charge = total_charge[event] * weight / weight_sum[event]
    sigma = _diffusion_sigma_px(z, model=model, thickness_um=thickness, pixel_size_um=pixel)
    extent = np.hypot(
        np.bincount(event, weights=dx, minlength=n), np.bincount(event, weights=dy, minlength=n)
    )
    return _worm_result(x_entry, y_entry, extent, event, x, y, charge, sigma)


def _spot_steps(n, *, model, profile, padded_origin, padded_shape, rng):
    """Compact high-charge deposits."""
    pixel = profile.pixel_size_um
    x = padded_origin[1] + rng.random(n) * padded_shape[1]
    y = padded_origin[0] + rng.random(n) * padded_shape[0]
    depth = rng.random(n) * profile.thickness_um
    charge = model.spot_charge_median_e * libm.exp(rng.normal(0.0, model.spot_charge_sigma_ln, n))
    sigma = _diffusion_sigma_px(depth, model=model, thickness_um=profile.thickness_um, pixel_size_um=pixel)
    return {
        "x_entry": x,
        "y_entry": y,
        "zenith": np.full(n, np.nan),
        "projected_px": np.zeros(n),
        "event": np.arange(n),
        "x": x,
        "y": y,
        "charge": charge,
        "sigma": sigma,
    }


def _segmented_cumsum(values, start, lengths):
    """Cumulative sum restarting at each segment start."""
    total = np.cumsum(values)
    offset = np.repeat(total[start] - values[start], lengths)
    return total - offset


_STEP_MAKERS = {"muon": _muon_steps, "worm": _worm_steps, "spot": _spot_steps}
_STEP_MAKERS_V1 = {"muon": _muon_steps, "worm": _worm_steps_v1, "spot": _spot_steps}


def simulate_cosmic_rays(shape, *, profile, exposure_time, rng, rate_scale=1.0):
    """Simulate the cosmic-ray charge of one exposure.

    Parameters
    ----------
    shape : tuple of int
        Image shape (ny, nx).
    profile : InstrumentProfile
        Sensor geometry and :class:`~crbench.simulate.profiles.CosmicRayModel`.
    exposure_time : float
        Seconds.
    rng : numpy.random.Generator
    rate_scale : float, optional
        Multiplies the profile's event rate (calibration and tests).

    Returns
    -------
    CosmicRayField
    """
    model = profile.cosmic_rays
    ny, nx = shape
    # events may start outside the image and cross into it: pad by the longest track considered
    pad = int(min(np.ceil(profile.thickness_um * _MAX_TAN_THETA / profile.pixel_size_um), 64)) + 2
    padded_shape = (ny + 2 * pad, nx + 2 * pad)
    area_cm2 = padded_shape[0] * padded_shape[1] * (profile.pixel_size_um * 1e-4) ** 2
    n_total = rng.poisson(model.rate_per_cm2_s * rate_scale * area_cm2 * exposure_time)
    fractions = np.array([1.0 - model.worm_fraction - model.spot_fraction, model.worm_fraction, model.spot_fraction])
    counts = rng.multinomial(n_total, fractions)
    kind_charge = np.zeros((len(EVENT_KINDS), ny, nx), dtype=np.float32)
    charge = np.zeros(shape)
    events = {key: [] for key in ("kind", "x", "y", "projected_length", "charge", "zenith_deg")}
    for kind_index, (kind, n_kind) in enumerate(zip(EVENT_KINDS, counts)):
        if n_kind == 0:
            continue
        makers = _STEP_MAKERS_V1 if model.physics == "v1" else _STEP_MAKERS
        steps = makers[kind](
            int(n_kind), model=model, profile=profile, padded_origin=(-pad, -pad), padded_shape=padded_shape, rng=rng
        )
        deposit = deposit_steps(shape, x=steps["x"], y=steps["y"], charge=steps["charge"], sigma=steps["sigma"])
        charge += deposit
        kind_charge[kind_index] = deposit
        inside = (steps["x"] > -0.5) & (steps["x"] < nx - 0.5) & (steps["y"] > -0.5) & (steps["y"] < ny - 0.5)
        charge_inside = np.bincount(steps["event"], weights=steps["charge"] * inside, minlength=n_kind)
        events["kind"].append(np.full(n_kind, kind_index, dtype=np.int8))
        events["x"].append(steps["x_entry"])
        events["y"].append(steps["y_entry"])
        events["projected_length"].append(steps["projected_px"])
        events["charge"].append(charge_inside)
        events["zenith_deg"].append(np.degrees(steps["zenith"]))
    events = {
        key: (np.concatenate(parts) if parts else np.zeros(0, dtype=np.int8 if key == "kind" else float))
        for key, parts in events.items()
    }
    return CosmicRayField(charge=charge, kind_charge=kind_charge, events=events)
