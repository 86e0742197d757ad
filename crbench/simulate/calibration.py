"""Measurements of simulated cosmic rays used to calibrate and check the simulator.

These run the CR generator on blank sky (no sources) so that many exposures
can be measured in a second; the truth threshold is the same as in
:func:`~crbench.simulate.frame.simulate_frame`.
"""

import numpy as np

from .cosmics import simulate_cosmic_rays
from .labels import K_SIGMA, cr_objects, truth_mask
from .real_cosmics import CR_SOURCES, draw_real_cosmic_rays

__all__ = ["CR_PIXEL_FRACTION_TARGETS", "measure_cosmic_rays"]

#: Published undilated CR pixel fractions the event rates are calibrated to.
CR_PIXEL_FRACTION_TARGETS = {
    "decam": 2.7e-4,  # Desai et al. 2016, 90 s DECam exposures
    "lco_0m4": 1.0e-4,  # LCO frames (issue #3)
    "lco_1m": 1.0e-4,
    "lco_2m": 1.0e-4,
}


def measure_cosmic_rays(profile, *, n_exposures, shape, rng, rate_scale=1.0, k_sigma=K_SIGMA, cr_source="physics",
                        library=None):
    """Simulate CRs on blank sky and measure pixel fraction and object statistics.

    Parameters
    ----------
    profile : InstrumentProfile
    n_exposures : int
    shape : tuple of int
    rng : numpy.random.Generator
    rate_scale : float, optional
        Multiplies the profile's event rate.
    k_sigma : float, optional
    cr_source : {"physics", "itl_footprints"}, optional
        The ray-traced events (:func:`~crbench.simulate.simulate_cosmic_rays`)
        or real footprints (:func:`~crbench.simulate.real_cosmics.draw_real_cosmic_rays`).
    library : FootprintLibrary, optional
        Footprints of ``"itl_footprints"`` (default: the ITL catalogue rescaled to ``profile``).

    Returns
    -------
    dict
        ``pixel_fraction`` (truth pixels / pixels over all exposures),
        ``object_length`` and ``object_n_pixels`` (all CR objects),
        ``object_charge`` (electrons), ``muon_projected_length`` (geometric, every muon event),
        ``object_kind``.
        Exposures cycle through ``profile.bands``.
    """
    n_truth = 0
    lengths, n_pixels, charges, kinds, muon_lengths = [], [], [], [], []
    for exposure in range(n_exposures):
        # cycle through the bands: the truth threshold depends on the band's sky level
        band = profile.bands[exposure % len(profile.bands)]
        exposure_time = float(rng.uniform(*profile.exposure_range_s))
        sky = profile.sky_e_per_pix_s[band] * exposure_time + profile.dark_e_per_s * exposure_time
        if cr_source == "physics":
            field = simulate_cosmic_rays(
                shape, profile=profile, exposure_time=exposure_time, rng=rng, rate_scale=rate_scale
            )
        elif cr_source == "itl_footprints":
            field = draw_real_cosmic_rays(shape, profile=profile, exposure_time=exposure_time, rng=rng,
                                          rate_scale=rate_scale, library=library)
        else:
            raise ValueError(f"cr_source must be one of {CR_SOURCES}, not {cr_source!r}")
        expected = np.full(shape, sky)
        truth = truth_mask(field.charge, expected, read_noise=profile.read_noise_e, k_sigma=k_sigma)
        n_truth += int(truth.sum())
        objects = cr_objects(truth, field.charge, field.kind_charge)
        lengths.append(objects["length"])
        n_pixels.append(objects["n_pixels"])
        charges.append(objects["charge"])
        kinds.append(objects["kind"])
        muon_lengths.append(field.events["projected_length"][field.events["kind"] == 0])
    return {
        "pixel_fraction": n_truth / (n_exposures * shape[0] * shape[1]),
        "object_length": np.concatenate(lengths),
        "object_n_pixels": np.concatenate(n_pixels),
        "object_charge": np.concatenate(charges),
        "object_kind": np.concatenate(kinds),
        "muon_projected_length": np.concatenate(muon_lengths),
    }
