"""Small labelled FITS files for the user data set tests (``crbench datasets add``)."""

import numpy as np
from astropy.io import fits

#: header numbers of the synthetic images
HEADER = {"GAIN": 2.0, "RDNOISE": 5.0, "SATURATE": 60000.0, "EXPTIME": 30.0, "FILTER": "r"}


def write_labelled_images(folder, *, n_images=3, shape=(64, 64), header=None, ignore=False, seed=5):
    """Write ``frameK.fits`` with ``frameK_crmask.fits`` (and ``frameK_bpm.fits``) into ``folder``.

    Each image is sky (100 ADU) and noise with two CRs (a 5-pixel track and a
    single hot pixel, +500 ADU); returns ``{stem: truth mask}``.
    """
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    truths = {}
    for index in range(n_images):
        image = rng.normal(100.0, 5.0, shape).astype(np.float32)
        truth = np.zeros(shape, dtype=np.uint8)
        truth[10 + index, 20:25] = 1
        truth[40, 40 + index] = 1
        image[truth > 0] += 500.0
        values = {**HEADER, **(header or {})}
        hdu = fits.PrimaryHDU(image)
        for key, value in values.items():
            if value is not None:
                hdu.header[key] = value
        hdu.writeto(folder / f"frame{index}.fits")
        fits.writeto(folder / f"frame{index}_crmask.fits", truth)
        if ignore:
            bpm = np.zeros(shape, dtype=np.int16)
            bpm[:, 0] = 4  # a bit-flagged bad column: nonzero = ignored
            fits.writeto(folder / f"frame{index}_bpm.fits", bpm)
        truths[f"frame{index}"] = truth.astype(bool)
    return truths
