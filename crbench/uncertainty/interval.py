"""Percentile intervals of bootstrap replicates that may be undefined.

A metric can be undefined (None) in some resamples, e.g. TPR when a
resample happens to hold no cosmic-ray pixel. Dropping those replicates
would narrow the interval silently. Instead an undefined replicate is
treated as lying *beyond both ends*: below every value for the lower bound
and above every value for the upper bound. A bound is reported only when
the percentile it needs does not reach into those undefined replicates;
otherwise it is None. With a level of 95 % that means a bound exists while
at most about 2.5 % of the replicates are undefined. When every replicate
is defined the bounds are ``numpy.percentile(replicates, [2.5, 97.5])``
(the default "linear" method).
"""

import math

import numpy as np

from ..errors import InputError

__all__ = ["DEFAULT_LEVEL", "percentile_interval", "as_float_array"]

#: Default confidence level of the intervals.
DEFAULT_LEVEL = 0.95


def as_float_array(replicates):
    """Replicates as float64 with NaN for None."""
    return np.asarray([np.nan if value is None else float(value) for value in replicates], dtype=np.float64)


def _bound(values, percent, *, undefined_below):
    """Linear-interpolation percentile with undefined (NaN) values at one end, or None."""
    n = values.size
    quantile = percent / 100
    defined = np.sort(values[~np.isnan(values)])
    n_undefined = n - defined.size
    position = quantile * (n - 1)
    lower, upper = math.floor(position), math.ceil(position)
    if undefined_below:
        needed_ok = lower >= n_undefined  # positions 0 .. n_undefined-1 hold the undefined
        filler = defined[0] if defined.size else 0.0
        full = np.r_[np.full(n_undefined, filler), defined]
    else:
        needed_ok = upper <= n - 1 - n_undefined
        filler = defined[-1] if defined.size else 0.0
        full = np.r_[defined, np.full(n_undefined, filler)]
    if not needed_ok:
        return None
    # the positions used hold defined values only, so the filler never enters the result
    return float(np.percentile(full, percent))


def percentile_interval(replicates, *, level=DEFAULT_LEVEL):
    """Return ``(low, high, n_undefined)``: the percentile interval of bootstrap replicates.

    Parameters
    ----------
    replicates : sequence of float or None
        One value per resample; None = undefined in that resample.
    level : float
        Confidence level in (0, 1).

    Returns
    -------
    low, high : float or None
        None when the undefined replicates reach into that tail (see the
        module docstring).
    n_undefined : int
    """
    if not 0 < level < 1:
        raise InputError(f"confidence level must be in (0, 1), got {level!r}")
    values = as_float_array(replicates)
    if values.size == 0:
        raise InputError("a percentile interval needs at least one replicate")
    n_undefined = int(np.count_nonzero(np.isnan(values)))
    # tails in percent, rounded so that level 0.95 gives exactly 2.5 and 97.5 (as numpy users write them)
    tail = round((100 - 100 * level) / 2, 10)
    low = _bound(values, tail, undefined_below=True)
    high = _bound(values, 100 - tail, undefined_below=False)
    return low, high, n_undefined
