"""A small seeded FITS frame with known cosmic rays, for ``crbench detect``'s quick start and tests."""

import numpy as np

from ..datasets.toy import make_toy_sample

__all__ = ["EXAMPLE_GAIN", "EXAMPLE_READ_NOISE", "EXAMPLE_SATURATION", "make_example_frame", "write_example_fits"]

#: e-/ADU of the example frame: not 1, so a unit mistake shows
EXAMPLE_GAIN = 2.0
EXAMPLE_READ_NOISE = 5.0
EXAMPLE_SATURATION = 65535.0


def make_example_frame(*, shape=(128, 128), seed=0, n_stars=4, n_crs=6):
    """Return ``(image in ADU as float32, truth mask)`` of a seeded toy frame (:func:`crbench.datasets.toy.make_toy_sample`).

    The frame has a 200 e- sky, Gaussian stars and ``n_crs`` short straight
    cosmic-ray tracks; the truth marks CR pixels above 2.5 sigma of the noise.
    """
    sample = make_toy_sample(shape, seed=seed, n_stars=n_stars, n_crs=n_crs, gain=EXAMPLE_GAIN,
                             read_noise=EXAMPLE_READ_NOISE, instrument="example")
    return (sample.image / np.float32(EXAMPLE_GAIN)).astype(np.float32), sample.truth


def write_example_fits(path, *, shape=(128, 128), seed=0, n_crs=6):
    """Write the example frame to ``path`` with ``GAIN``, ``RDNOISE`` and ``SATURATE`` keywords; return its truth.

    Examples
    --------
    ``python -c "from crbench.testing.example_fits import write_example_fits; write_example_fits('frame.fits')"``
    """
    from astropy.io import fits

    image, truth = make_example_frame(shape=shape, seed=seed, n_crs=n_crs)
    header = fits.Header()
    header["GAIN"] = (EXAMPLE_GAIN, "e-/ADU")
    header["RDNOISE"] = (EXAMPLE_READ_NOISE, "read noise, e-")
    header["SATURATE"] = (EXAMPLE_SATURATION, "saturation, ADU")
    header["BUNIT"] = "adu"
    fits.PrimaryHDU(data=image, header=header).writeto(path, overwrite=False)
    return truth
