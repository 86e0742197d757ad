"""Input hygiene shared by the adapters of upstream detectors.

Upstream packages differ in what they do to the array they are given (some
modify it in place, some propagate NaN). Adapters therefore hand upstream
code a private float32 copy and deal with non-finite pixels in one
documented way.
"""

import numpy as np

from ..errors import InputError

__all__ = ["private_copy", "log_spaced_grid", "with_operating_point"]


def private_copy(image, *, detector_name, fill_value=0.0):
    """Return a float32 copy of ``image`` with non-finite pixels filled.

    Parameters
    ----------
    image : array_like, shape (ny, nx)
        The caller's image; never modified.
    detector_name : str
        Named in the error message.
    fill_value : float
        Value given to NaN/inf pixels in the copy.

    Returns
    -------
    data : ndarray of float32
        The copy (a new array even when no pixel needed filling).
    bad : ndarray of bool
        True where the input was not finite.

    Raises
    ------
    InputError
        If ``image`` is not 2-D or is empty.
    """
    data = np.array(image, dtype=np.float32, copy=True)
    if data.ndim != 2 or data.size == 0:
        raise InputError(
            f"detector {detector_name!r} needs a non-empty 2-D image, got shape {data.shape}; "
            "split cubes into planes"
        )
    bad = ~np.isfinite(data)
    if bad.any():
        data[bad] = np.float32(fill_value)
    return data, bad


def log_spaced_grid(low, high, n_points, *, digits=4):
    """Return ``n_points`` log-spaced values from ``low`` to ``high`` (rounded)."""
    return tuple(float(round(value, digits)) for value in np.geomspace(low, high, n_points))


def with_operating_point(values, operating_point):
    """Return the sorted sweep ``values`` with ``operating_point`` added if missing.

    Mask detectors report metrics at their operating point from the swept
    counts, so that point must be one of the sweep values (measured, not
    interpolated between neighbours).
    """
    merged = {float(value) for value in values}
    merged.add(float(operating_point))
    return sorted(merged)
