"""Elementary functions that give the same bits whatever SIMD the CPU has.

numpy picks a SIMD implementation of its float64 ``exp``, ``log``,
``log10``, ``tan``, ``arccos`` and ``power`` ufuncs at import time from the
CPU's features. On a CPU with AVX-512 (numpy's ``X86_V4`` / ``AVX512_ICL``
dispatch targets) they are vectorised approximations; on an AVX2-only CPU
(AMD Zen 3, older Intel) they call the C math library one value at a time.
Both are accurate to about one unit in the last place, but not always the
*same* last place, and the simulator feeds these values into float64 sums
that are rounded to float32 pixels: a one-ulp difference in the sky level
flips a pixel's float32 rounding with a probability of ~1e-6, i.e. a few
images of every ``sim_decam`` split (issue 12).

Every transcendental function in :mod:`crbench.simulate` therefore goes
through this module, which evaluates Python's :mod:`math` functions (the C
library, never numpy's dispatched loops) element by element. The cost is a
Python-level loop over at most a few times 1e5 values per frame (cosmic-ray
steps, hot pixels, the pixels of a satellite trail), a few milliseconds.

Values for which the C library and numpy's non-AVX-512 loops agree are
unchanged, so frames generated on an AVX2 machine before this module existed
are reproduced exactly. The C library itself is the remaining platform
dependence: glibc selects FMA and non-FMA builds of these functions by CPU,
and every x86-64 CPU with AVX2 (Intel since Haswell, AMD since Zen 1) gets
the FMA build. See docs/simulated_datasets.md, "Determinism".
"""

import math

import numpy as np

__all__ = ["exp", "log", "log10", "sin", "cos", "tan", "arccos", "power"]


def _apply(function, *values):
    """Apply a scalar ``math`` function element by element.

    Returns a Python float when every input is a scalar, otherwise a float64
    array of the broadcast shape.
    """
    arrays = [np.asarray(value, dtype=np.float64) for value in values]
    if all(array.ndim == 0 for array in arrays):
        return function(*(float(array) for array in arrays))
    arrays = np.broadcast_arrays(*arrays)
    shape = arrays[0].shape
    columns = [array.ravel().tolist() for array in arrays]
    result = np.fromiter(map(function, *columns), dtype=np.float64, count=math.prod(shape))
    return result.reshape(shape)


def exp(values):
    """Return e**values (C library ``exp``)."""
    return _apply(math.exp, values)


def log(values):
    """Return the natural logarithm of ``values`` (> 0; C library ``log``)."""
    return _apply(math.log, values)


def log10(values):
    """Return the base-10 logarithm of ``values`` (> 0; C library ``log10``)."""
    return _apply(math.log10, values)


def sin(values):
    """Return sin(values), radians (C library ``sin``)."""
    return _apply(math.sin, values)


def cos(values):
    """Return cos(values), radians (C library ``cos``)."""
    return _apply(math.cos, values)


def tan(values):
    """Return tan(values), radians (C library ``tan``)."""
    return _apply(math.tan, values)


def arccos(values):
    """Return arccos(values) in radians, ``values`` in [-1, 1] (C library ``acos``)."""
    return _apply(math.acos, values)


def power(base, exponent):
    """Return base**exponent, broadcast (C library ``pow``)."""
    return _apply(math.pow, base, exponent)
