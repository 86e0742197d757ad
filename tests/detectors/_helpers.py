"""Shared toy scenes for the adapter tests."""

import dataclasses

import numpy as np

from crbench.datasets.tiny import make_tiny_sample


def scene(shape=(96, 128), *, seed=0, gain=1.0, units="electron", n_crs=12):
    """Return a seeded toy sample expressed in ``units`` with ``gain`` e-/ADU."""
    sample = make_tiny_sample(seed=seed, shape=shape, n_stars=max(2, shape[0] * shape[1] // 3000), n_crs=n_crs)
    meta = dataclasses.replace(sample.meta, gain=gain)
    if units == "adu":
        sample.image = (sample.image / np.float32(gain)).astype(np.float32)
        meta = dataclasses.replace(meta, units="adu", saturation=meta.saturation / gain, sky_level=meta.sky_level / gain)
    sample.meta = meta
    return sample
