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
    path in short steps, each step drawing its ionisation from a Moyal
    (Landau approximation) distribution with most probable value ``mpv *
    step`` and width ``xi * step``. Each step's charge diffuses laterally
    with a Gaussian whose sigma grows as the square root of the drift
    distance to the collecting gates, so a track is sharp at one end and
    fuzzy at the other.
``worm``
    A multiply scattered low-energy electron (tens to hundreds of keV): a
    correlated random walk in the plane and in depth, with the energy
    (3.6 eV per electron-hole pair) spread along the walk and rising
    towards its end (Bragg-like).
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

__all__ = ["CosmicRayField", "EVENT_KINDS", "simulate_cosmic_rays", "draw_muon_directions", "deposit_steps"]

EVENT_KINDS = ("muon", "worm", "spot")
_EV_PER_PAIR = 3.6  # mean energy per electron-hole pair in silicon at ~170 K
_MAX_STEP_UM = 2.0
_MAX_TAN_THETA = libm.tan(np.radians(85.0))


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
    charge = _moyal(loc=model.mpv_e_per_um * ds, scale=model.landau_width_e_per_um * ds, rng=rng)
    charge = np.maximum(charge, 0.0)
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


def _worm_steps(n, *, model, profile, padded_origin, padded_shape, rng):
    """Correlated random walks of ``n`` low-energy electrons."""
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
    step_px = step_um / pixel
    cos_elevation = libm.cos(elevation)
    dx = libm.cos(heading) * cos_elevation * step_px
    dy = libm.sin(heading) * cos_elevation * step_px
    dz = libm.sin(elevation) * step_um
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
    return {
        "x_entry": x_entry,
        "y_entry": y_entry,
        "zenith": np.full(n, np.nan),
        "projected_px": extent,
        "event": event,
        "x": x,
        "y": y,
        "charge": charge,
        "sigma": sigma,
    }


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
        steps = _STEP_MAKERS[kind](
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
