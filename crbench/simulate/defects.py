"""Hard negatives: hot pixels, bad columns, bleed trails and satellite trails.

None of these is a cosmic ray; they are labelled non-CR and recorded in a
defect class map (:data:`DEFECT_CLASSES`) so that stratified metrics can ask
how often a detector mistakes them for cosmic rays. All work on expected
charge (electrons, before noise).

The simulated frames are *calibrated* frames, like both real data sets: the
pipeline subtracts a master dark. Hot pixels and warm columns therefore
add their dark charge to ``expected`` (its shot noise stays in the image)
and to ``master_dark`` (what calibration removes). Calibration is imperfect
where the dark current is unstable: 1 % of hot pixels (random telegraph
signal) keep 30-100 % of their dark charge, and warm columns keep 5-30 % of
theirs. Without this, every hot pixel would be a bright single-pixel spike
and hot pixels alone would put a floor of ~5e-3 under every detector's
false-positive rate (0.05 % of pixels, x9 after the 3x3 dilation).
"""

import numpy as np

from . import libm

__all__ = [
    "DEFECT_CLASSES",
    "add_hot_pixels",
    "add_bad_columns",
    "add_satellite_trail",
    "bleed_saturated_columns",
]

DEFECT_CLASSES = {
    0: "none",
    1: "hot_pixel",
    2: "bad_column",
    3: "bleed_trail",
    4: "satellite_trail",
    5: "saturated_star",
}
_CODE = {name: code for code, name in DEFECT_CLASSES.items()}


def add_hot_pixels(
    expected, master_dark, classes, *, fraction, exposure_time, rng, median_e_per_s=5.0, sigma_ln=1.2,
    unstable_fraction=0.01,
):
    """Add hot pixels (dark current far above the rest) in place.

    Parameters
    ----------
    expected : ndarray of float64
        Expected charge (electrons); modified in place.
    master_dark : ndarray of float64
        Dark charge that calibration subtracts; modified in place.
    classes : ndarray of uint8
        Defect class map; modified in place.
    fraction : float
        Fraction of pixels that are hot.
    exposure_time : float
        Seconds.
    rng : numpy.random.Generator
    median_e_per_s, sigma_ln : float
        Log-normal dark current of a hot pixel.
    unstable_fraction : float
        Fraction of hot pixels whose dark level changed since the master
        dark: calibration removes only 0-70 % of their charge.

    Returns
    -------
    int
        Number of hot pixels.
    """
    n_hot = rng.binomial(expected.size, fraction)
    flat = rng.choice(expected.size, size=n_hot, replace=False)
    dark = median_e_per_s * libm.exp(rng.normal(0.0, sigma_ln, n_hot)) * exposure_time
    unstable = rng.random(n_hot) < unstable_fraction
    kept = np.where(unstable, rng.uniform(0.3, 1.0, n_hot), 0.0)
    expected.flat[flat] += dark
    master_dark.flat[flat] += dark * (1.0 - kept)
    classes.flat[flat] = _CODE["hot_pixel"]
    return n_hot


def add_bad_columns(expected, master_dark, classes, *, per_1000, noise_sigma, rng):
    """Add warm columns in place: extra dark charge, imperfectly calibrated.

    Half are full columns, half start at a random row (a charge trap that
    affects every pixel read out through it) and run to the top. A column
    collects ~20 sky sigmas of extra dark charge (log-normal); calibration
    removes 70-95 % of it, so the column keeps a faint offset and the extra
    shot noise.

    Returns
    -------
    int
        Number of bad columns.
    """
    ny, nx = expected.shape
    n_columns = rng.poisson(per_1000 * nx / 1000.0)
    for _ in range(n_columns):
        column = rng.integers(0, nx)
        start = 0 if rng.random() < 0.5 else rng.integers(0, ny)
        rows = slice(start, ny)
        dark = 20.0 * noise_sigma * libm.exp(rng.normal(0.0, 0.5))
        expected[rows, column] += dark
        master_dark[rows, column] += dark * (1.0 - rng.uniform(0.05, 0.3))
        classes[rows, column] = _CODE["bad_column"]
    return n_columns


#: below this exponent the C library's exp returns exactly 0.0 (smallest subnormal double: exp(-744.44))
_EXP_UNDERFLOW = -746.0


def add_satellite_trail(expected, classes, *, psf_fwhm_px, noise_sigma, rng):
    """Add one satellite trail across the image in place.

    The trail is a line at a random position and angle with a Gaussian
    cross-section of the PSF's width and a peak of ~10 sky sigmas
    (log-normal). Pixels brighter than one sky sigma get the class.
    """
    ny, nx = expected.shape
    angle = rng.uniform(0, np.pi)
    x0, y0 = rng.uniform(0, nx), rng.uniform(0, ny)
    distance = np.abs(((np.arange(nx) - x0) * libm.sin(angle))[None, :] - ((np.arange(ny) - y0) * libm.cos(angle))[:, None])
    sigma = psf_fwhm_px / 2.3548
    peak = 10.0 * noise_sigma * libm.exp(rng.normal(0.0, 0.7))
    exponent = -0.5 * (distance / sigma) ** 2
    # exp underflows to exactly 0.0 below -745.2: evaluate only the pixels near the trail (libm.exp is a
    # scalar loop), the rest are the same zeros
    near = exponent > _EXP_UNDERFLOW
    trail = np.zeros_like(exponent)
    trail[near] = peak * libm.exp(exponent[near])
    expected += trail
    classes[(trail > noise_sigma) & (classes == 0)] = _CODE["satellite_trail"]


def bleed_saturated_columns(expected, classes, *, full_well):
    """Spill charge above full well along columns in place (blooming).

    In each column the charge above ``full_well`` is removed from the
    saturated pixels and shared equally up and down the column, filling
    pixels to full well; charge reaching the edge is lost. Saturated pixels
    get class ``saturated_star``; pixels filled by the spill get
    ``bleed_trail``.

    Returns
    -------
    int
        Number of columns that bled.
    """
    ny, _ = expected.shape
    over = expected > full_well
    columns = np.flatnonzero(over.any(axis=0))
    for column in columns:
        values = expected[:, column]
        saturated = values > full_well
        excess = float((values[saturated] - full_well).sum())
        values[saturated] = full_well
        classes[saturated, column] = _CODE["saturated_star"]
        rows = np.flatnonzero(saturated)
        for direction_rows in (np.arange(rows.max() + 1, ny), np.arange(rows.min() - 1, -1, -1)):
            if direction_rows.size == 0:
                continue
            capacity = np.maximum(full_well - values[direction_rows], 0.0)
            filled_to = np.cumsum(capacity)
            n_full = int(np.searchsorted(filled_to, excess / 2.0))
            values[direction_rows[:n_full]] = full_well
            if n_full < direction_rows.size:
                already = filled_to[n_full - 1] if n_full else 0.0
                values[direction_rows[n_full]] += excess / 2.0 - already
                touched = direction_rows[: n_full + 1]
            else:
                touched = direction_rows
            classes[touched, column] = np.where(
                classes[touched, column] == 0, _CODE["bleed_trail"], classes[touched, column]
            )
        expected[:, column] = values
    return columns.size
