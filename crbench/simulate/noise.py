"""Detector noise and units: Poisson, read noise, full-well clipping, gain."""

import numpy as np

__all__ = ["read_out"]


def read_out(expected, cr_charge, *, read_noise, full_well, rng):
    """Turn expected charge and cosmic-ray charge into a read-out frame.

    Photon and dark charge is Poisson; cosmic-ray charge is added as
    deposited (its fluctuations are already the Landau/Moyal draws, and the
    electron-hole pair count has a Fano factor of ~0.1, so a second Poisson
    draw would double count). Charge is clipped at full well, then Gaussian
    read noise is added.

    Parameters
    ----------
    expected : ndarray of float64
        Expected photon + dark charge, electrons.
    cr_charge : ndarray of float64
        Deposited cosmic-ray charge, electrons.
    read_noise, full_well : float
        Electrons.
    rng : numpy.random.Generator

    Returns
    -------
    electrons : ndarray of float64
        The frame in electrons.
    saturated : ndarray of bool
        Pixels whose charge reached full well.
    """
    charge = rng.poisson(expected).astype(np.float64) + cr_charge
    saturated = charge >= full_well
    charge = np.minimum(charge, full_well)
    return charge + rng.normal(0.0, read_noise, charge.shape), saturated
