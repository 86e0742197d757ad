"""Detector noise and units: Poisson, read noise, full-well clipping, gain."""

import numpy as np

__all__ = ["read_out"]


def read_out(expected, cr_charge, *, read_noise, full_well, rng, saturate_after_noise=False):
    """Turn expected charge and cosmic-ray charge into a read-out frame.

    Photon and dark charge is Poisson; cosmic-ray charge is added as
    deposited (its fluctuations are already the Landau/Moyal draws, and the
    electron-hole pair count has a Fano factor of ~0.1, so a second Poisson
    draw would double count).

    Version 1 of the simulated data sets clips the charge at full well and
    then adds Gaussian read noise, so about half of the pixels that reached
    full well read out just below it and were not flagged. With
    ``saturate_after_noise`` the read noise is added first and every pixel
    whose read-out value reaches full well is flagged and set to full well,
    as a saturated ADC/full-well readout is (the default of version 2).

    Parameters
    ----------
    expected : ndarray of float64
        Expected photon + dark charge, electrons.
    cr_charge : ndarray of float64
        Deposited cosmic-ray charge, electrons.
    read_noise, full_well : float
        Electrons.
    rng : numpy.random.Generator
    saturate_after_noise : bool, optional
        Saturate the read-out value (True) or the collected charge (False,
        version 1).

    Returns
    -------
    electrons : ndarray of float64
        The frame in electrons.
    saturated : ndarray of bool
        Pixels whose charge (version 1) or read-out value reached full well.
    """
    charge = rng.poisson(expected).astype(np.float64) + cr_charge
    if saturate_after_noise:
        value = charge + rng.normal(0.0, read_noise, charge.shape)
        saturated = value >= full_well
        return np.minimum(value, full_well), saturated
    saturated = charge >= full_well
    charge = np.minimum(charge, full_well)
    return charge + rng.normal(0.0, read_noise, charge.shape), saturated
