"""Seeded toy frames: Gaussian stars on a flat sky with short straight cosmic-ray tracks.

The one toy-frame maker behind the ``tiny`` data set, the detector contract
suite (:mod:`crbench.testing.contract`) and ``crbench bench``'s timing
frame. It is not a benchmark (that is the ``sim_*`` simulator): it only has
to look like a sky frame to a detector, cost time linear in the number of
pixels, and be exactly reproducible from its seed.
"""

import numpy as np

from .base import Sample, SampleMeta

__all__ = ["make_toy_sample"]

#: stars are rendered on a (2 * 7 + 1)^2 stamp: > 2.8 sigma for the widest (sigma 2.5 px)
_STAR_HALF_WIDTH = 7
#: a CR pixel is labelled when its charge exceeds this many sigma of the local noise
_TRUTH_SIGMA = 2.5


def make_toy_sample(shape, *, seed, n_stars, n_crs, sample_id=None, gain=1.0, read_noise=5.0, sky=200.0,
                    ignore_border=0, instrument="toy"):
    """Return one seeded toy :class:`~crbench.datasets.Sample` in electrons.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    seed : int
        Seed of the ``numpy.random.Generator`` that draws everything.
    n_stars, n_crs : int
        Number of Gaussian stars (sigma 1.2-2.5 px, 10^3-10^5 e-) and of
        cosmic-ray tracks (1-7 px long, 300-3000 e- per step).
    sample_id : str, optional
        Default ``"toy-<ny>x<nx>-seed<seed>"``.
    gain : float
        e-/ADU stated in the metadata (the pixels are electrons either way).
    read_noise, sky : float
        Electrons.
    ignore_border : int
        Width of the border marked ignored.
    instrument : str
        Stored in the metadata.

    Returns
    -------
    Sample
        Truth marks the CR pixels whose charge exceeds 2.5 sigma of the
        sky + star + read noise there.
    """
    rng = np.random.default_rng(seed)
    ny, nx = shape
    scene = np.full(shape, float(sky))
    offsets = np.arange(-_STAR_HALF_WIDTH, _STAR_HALF_WIDTH + 1)
    for y0, x0, sigma, flux in zip(rng.uniform(0, ny, n_stars), rng.uniform(0, nx, n_stars),
                                   rng.uniform(1.2, 2.5, n_stars), 10 ** rng.uniform(3.0, 5.0, n_stars)):
        ys = np.clip(int(y0) + offsets, 0, ny - 1)
        xs = np.clip(int(x0) + offsets, 0, nx - 1)
        profile = np.exp(-((ys[:, None] - y0) ** 2 + (xs[None, :] - x0) ** 2) / (2 * sigma**2))
        np.add.at(scene, (ys[:, None], xs[None, :]), flux / (2 * np.pi * sigma**2) * profile)
    cr_charge = np.zeros(shape)
    for y0, x0, length, angle in zip(rng.uniform(2, ny - 2, n_crs), rng.uniform(2, nx - 2, n_crs),
                                     rng.integers(1, 8, n_crs), rng.uniform(0, np.pi, n_crs)):
        steps = np.linspace(0, length, 2 * int(length) + 1)
        ys = np.clip(np.round(y0 + steps * np.sin(angle)).astype(int), 0, ny - 1)
        xs = np.clip(np.round(x0 + steps * np.cos(angle)).astype(int), 0, nx - 1)
        np.add.at(cr_charge, (ys, xs), rng.uniform(300, 3000, ys.size))
    image = rng.poisson(scene + cr_charge) + rng.normal(0, read_noise, shape)
    truth = cr_charge > _TRUTH_SIGMA * np.sqrt(scene + read_noise**2)
    ignore = np.zeros(shape, dtype=bool)
    if ignore_border:
        ignore[:ignore_border, :] = ignore[-ignore_border:, :] = True
        ignore[:, :ignore_border] = ignore[:, -ignore_border:] = True
    meta = SampleMeta(instrument=instrument, units="electron", gain=gain, read_noise=read_noise,
                      saturation=65535.0 * gain, exposure_time=60.0, sky_level=sky)
    return Sample(sample_id or f"toy-{ny}x{nx}-seed{seed}", image.astype(np.float32), truth, ignore, meta)
