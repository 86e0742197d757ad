"""Truth and ignore masks and per-CR object labels.

The truth mask marks pixels whose injected cosmic-ray charge exceeds
``k_sigma`` times the local noise sigma, ``sqrt(expected + read_noise^2)``
in electrons, where ``expected`` is everything else the pixel collects
(sky, sources, dark, defects). It is stored undilated; the protocol dilates
it 3x3 for scoring. Unlike real data sets, a CR on top of a star is labelled
whenever it stands ``k_sigma`` above the star's own noise.
"""

import numpy as np
from scipy import ndimage

from .masks import border_mask

__all__ = ["K_SIGMA", "truth_mask", "ignore_mask", "cr_objects"]

K_SIGMA = 2.5


def truth_mask(cr_charge, expected, *, read_noise, k_sigma=K_SIGMA):
    """Return pixels where CR charge exceeds ``k_sigma`` local noise sigmas (electrons)."""
    sigma = np.sqrt(np.maximum(expected, 0.0) + read_noise**2)
    return cr_charge > k_sigma * sigma


def ignore_mask(saturated, *, border):
    """Return saturated pixels plus a ``border``-pixel frame (True = excluded)."""
    return saturated | border_mask(saturated.shape, border)


def cr_objects(truth, cr_charge, kind_charge):
    """Connected components of the truth mask (8-connectivity) and their properties.

    Parameters
    ----------
    truth : ndarray of bool
    cr_charge : ndarray
        Deposited CR charge, electrons.
    kind_charge : ndarray, shape (n_kinds, ny, nx)
        Charge per event kind; an object's kind is the one with most charge.

    Returns
    -------
    dict of str to ndarray
        ``n_pixels``, ``length`` (pixels: ``hypot(h - 1, w - 1) + 1`` of the
        bounding box), ``charge`` (electrons), ``kind`` (index of the event
        kind), ``y``, ``x`` (charge-weighted centroid).
    """
    labels, n_objects = ndimage.label(truth, structure=np.ones((3, 3), dtype=bool))
    if n_objects == 0:
        empty = np.zeros(0)
        return {"n_pixels": empty.astype(np.int64), "length": empty, "charge": empty,
                "kind": empty.astype(np.int8), "y": empty, "x": empty}
    # per-object sums over the truth pixels only (O(n_truth), not O(image))
    rows, cols = np.nonzero(truth)
    index = labels[rows, cols] - 1
    charge_here = cr_charge[rows, cols].astype(np.float64)
    n_pixels = np.bincount(index, minlength=n_objects).astype(np.int64)
    charge = np.bincount(index, weights=charge_here, minlength=n_objects)
    slices = ndimage.find_objects(labels)
    heights = np.array([s[0].stop - s[0].start for s in slices])
    widths = np.array([s[1].stop - s[1].start for s in slices])
    length = np.hypot(heights - 1, widths - 1) + 1.0
    per_kind = np.stack(
        [np.bincount(index, weights=kc[rows, cols].astype(np.float64), minlength=n_objects) for kc in kind_charge]
    )
    safe_charge = np.where(charge > 0, charge, 1.0)
    return {
        "n_pixels": n_pixels,
        "length": length,
        "charge": charge,
        "kind": np.argmax(per_kind, axis=0).astype(np.int8),
        "y": np.bincount(index, weights=rows * charge_here, minlength=n_objects) / safe_charge,
        "x": np.bincount(index, weights=cols * charge_here, minlength=n_objects) / safe_charge,
    }
