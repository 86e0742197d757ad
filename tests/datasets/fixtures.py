"""Writers of tiny files in exactly the published formats of the real data sets.

- :func:`write_lco_sequence`: one LCO CR ``*_3frms_masks.fits`` file: PRIMARY
  (``FRMTOTAL``), n x SCI (RICE-compressed float32 with BANZAI-like headers),
  VALID_MASK (compressed uint8), CAT (binary table source catalogue),
  n x CR (compressed uint8), n x IGNORE (compressed uint8, bit-coded
  1 boundary / 2 no data / 4 sources / 8 isolated hot pixels), with the CR
  mask zeroed wherever an ignore bit is set (as the upstream pipeline does).
- :func:`write_lco_tree`: an ``LCO_CR_dataset/`` folder with both splits.
- :func:`write_decam_stacks`: ``decam_{b}_{image,mask,sky}_wd.npy`` stacks.

The content is a small seeded scene (Gaussian stars on a sky, CR tracks,
Poisson and read noise), the same star field in every frame of a sequence
and different CRs per frame. The boundary is 4 pixels wide instead of 100 so
that the frames can stay small.
"""

from pathlib import Path

import numpy as np
from astropy.io import fits
from scipy import ndimage

from crbench.datasets.decam import BANDS, band_file

__all__ = [
    "LCO_NAMES",
    "write_lco_sequence",
    "write_lco_tree",
    "write_decam_stacks",
    "make_decam_patch",
    "lco_file_name",
]

BOUNDARY = 4
# (site + telescope, camera) per class, as in real LCO frame names
LCO_NAMES = {"0m4": ("coj0m403", "kb24"), "1m0": ("cpt1m010", "fa16"), "2m0": ("ogg2m001", "fs02")}
_READ_NOISE = {"0m4": 14.0, "1m0": 7.3, "2m0": 9.5}


def _stars(rng, shape, n_stars):
    ny, nx = shape
    yy, xx = np.mgrid[0:ny, 0:nx]
    scene = np.zeros(shape)
    catalogue = []
    for _ in range(n_stars):
        y0, x0 = rng.uniform(BOUNDARY, ny - BOUNDARY), rng.uniform(BOUNDARY, nx - BOUNDARY)
        sigma, flux = rng.uniform(1.2, 2.0), 10 ** rng.uniform(3.5, 5.0)
        scene += flux / (2 * np.pi * sigma**2) * np.exp(-((yy - y0) ** 2 + (xx - x0) ** 2) / (2 * sigma**2))
        catalogue.append((x0, y0, flux, sigma))
    return scene, catalogue


def _cr_tracks(rng, shape, n_crs):
    ny, nx = shape
    charge = np.zeros(shape)
    for _ in range(n_crs):
        length, angle = rng.integers(1, 7), rng.uniform(0, np.pi)
        y0, x0 = rng.uniform(1, ny - 1), rng.uniform(1, nx - 1)
        for step in np.linspace(0, length, 2 * int(length) + 1):
            y = int(np.clip(round(y0 + step * np.sin(angle)), 0, ny - 1))
            x = int(np.clip(round(x0 + step * np.cos(angle)), 0, nx - 1))
            charge[y, x] += rng.uniform(400, 4000)
    return charge


def write_lco_sequence(
    path,
    *,
    seed,
    telescope_class="1m0",
    shape=(48, 64),
    n_frames=3,
    sky=150.0,
    headers=True,
):
    """Write one LCO CR sequence file and return what was put in it.

    Parameters
    ----------
    path : path-like
        Output file (the name should follow LCO naming).
    seed : int
        Seed of the ``numpy.random.Generator`` drawing the scene.
    telescope_class : {"0m4", "1m0", "2m0"}
    shape : tuple of int
    n_frames : int
    sky : float
        Sky level in electrons.
    headers : bool
        Write the BANZAI keywords RDNOISE, SATURATE, L1MEDIAN (False tests the fallbacks).

    Returns
    -------
    dict
        ``"images"`` (float32, before compression), ``"cr"``, ``"ignore_bits"``,
        ``"valid_mask"`` (lists/arrays per frame) and ``"read_noise"``.
    """
    rng = np.random.default_rng(seed)
    read_noise = _READ_NOISE[telescope_class]
    star_flux, catalogue = _stars(rng, shape, n_stars=5)
    valid = np.ones(shape, dtype=np.uint8)
    valid[:, -6:] = 0  # reprojection left no data in the last columns
    boundary = np.ones(shape, dtype=np.uint8)
    boundary[BOUNDARY:-BOUNDARY, BOUNDARY:-BOUNDARY] = 0
    source = (star_flux > 3 * np.sqrt(sky + read_noise**2)).astype(np.uint8)
    source = ndimage.binary_dilation(source, iterations=1).astype(np.uint8)
    frame_name = Path(path).name.split("_3frms")[0]
    hdul = fits.HDUList([fits.PrimaryHDU()])
    hdul[0].header["ALIGNED"] = False  # as written by the upstream pipeline (never updated)
    hdul[0].header["FRMTOTAL"] = n_frames
    images, crs, ignores = [], [], []
    for frame in range(n_frames):
        charge = _cr_tracks(rng, shape, n_crs=6)
        hot = np.zeros(shape, dtype=np.uint8)
        hot[tuple(rng.integers(BOUNDARY, min(shape) - BOUNDARY, size=(2, 2)))] = 1
        image = rng.poisson(sky + star_flux + charge) + rng.normal(0, read_noise, shape)
        image = np.where(valid == 1, image, 0.0).astype(np.float32)
        bits = (boundary * 1 + (1 - valid) * 2 + source * 4 + hot * 8).astype(np.uint8)
        cr = (charge > 3 * np.sqrt(sky + read_noise**2)).astype(np.uint8) * (bits == 0)
        images.append(image)
        crs.append(cr.astype(np.uint8))
        ignores.append(bits)
        header = fits.Header()
        parts = frame_name.split("-")  # consecutive frames have consecutive numbers
        if len(parts) == 5 and parts[3].isdigit():
            parts[3] = f"{int(parts[3]) + frame:04d}"
        header["FILENAME"] = "-".join(parts)
        header["INSTRUME"] = LCO_NAMES[telescope_class][1]
        header["SITEID"] = LCO_NAMES[telescope_class][0][:3]
        header["TELESCOP"] = LCO_NAMES[telescope_class][0][3:]
        header["EXPTIME"] = 120.0
        header["FILTER"] = "rp"
        header["GAIN"] = 1.0 if telescope_class != "0m4" else 1.12  # 0m4: the CR pipeline's estimate
        if headers:
            header["RDNOISE"] = read_noise
            header["SATURATE"] = 120000.0
            header["L1MEDIAN"] = sky
        sci = fits.CompImageHDU(image, header=header, name="SCI", compression_type="RICE_1")
        sci.ver = frame
        hdul.append(sci)
    hdul.append(fits.CompImageHDU(valid, name="VALID_MASK"))
    columns = np.array(catalogue)
    hdul.append(
        fits.BinTableHDU.from_columns(
            [
                fits.Column(name="x", format="D", array=columns[:, 0]),
                fits.Column(name="y", format="D", array=columns[:, 1]),
                fits.Column(name="flux", format="D", array=columns[:, 2]),
                fits.Column(name="a", format="D", array=columns[:, 3]),
            ],
            name="CAT",
        )
    )
    for label, arrays in (("CR", crs), ("IGNORE", ignores)):
        for frame, array in enumerate(arrays):
            hdu = fits.CompImageHDU(array, header=hdul[1 + frame].header.copy(), name=label)
            hdu.ver = frame
            hdul.append(hdu)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    hdul.writeto(path, overwrite=True)
    return {"images": images, "cr": crs, "ignore_bits": ignores, "valid_mask": valid, "read_noise": read_noise}


def lco_file_name(telescope_class, index):
    """Return an LCO-style ``*_3frms_masks.fits`` name for a class and running index."""
    telescope, camera = LCO_NAMES[telescope_class]
    return f"{telescope}-{camera}-20190101-{147 + 3 * index:04d}-e91_3frms_masks.fits"


def write_lco_tree(root, *, test_counts=None, train_counts=None, seed=0, shape=(48, 64)):
    """Write ``root/LCO_CR_dataset`` with the published folder layout.

    Parameters
    ----------
    root : path-like
        Parent folder.
    test_counts, train_counts : dict of str to int
        Sequence files per telescope class (defaults: test 2/1/1, train 1/1/1).

    Returns
    -------
    dict
        ``{(split, file name): contents}`` as returned by :func:`write_lco_sequence`.
    """
    test_counts = test_counts or {"0m4": 2, "1m0": 1, "2m0": 1}
    train_counts = train_counts or {"0m4": 1, "1m0": 1, "2m0": 1}
    base = Path(root) / "LCO_CR_dataset"
    train_folders = {"0m4": "0m4_2019", "1m0": "1m0_2019_2018", "2m0": "2m0_2019"}
    written = {}
    counter = seed
    for split, counts in (("test", test_counts), ("train", train_counts)):
        for telescope_class, count in counts.items():
            for index in range(count):
                name = lco_file_name(telescope_class, index)
                if split == "test":
                    folder = base / "test_set" / "masked_fits"
                else:
                    folder = base / "train_set" / train_folders[telescope_class] / "masked_fits"
                counter += 1
                written[(split, name)] = write_lco_sequence(
                    folder / name, seed=counter, telescope_class=telescope_class, shape=shape
                )
    (base / "test_set" / "CR_reduction_log.txt").write_text("fixture\n")
    (base / "test_set" / "aligned_fits").mkdir(exist_ok=True)
    return written


def make_decam_patch(rng, width, sky):
    """Return ``(image, mask)``: a sky-subtracted ADU patch and its 3x3-dilated CR mask."""
    star_flux, _ = _stars(rng, (width, width), n_stars=2)
    charge = _cr_tracks(rng, (width, width), n_crs=3)
    gain = 4.0
    electrons = rng.poisson((sky + star_flux / 4) * gain + charge) + rng.normal(0, 7.0, (width, width))
    image = (electrons / gain - sky).astype(np.float32)
    mask = ndimage.binary_dilation(charge > 0, structure=np.ones((3, 3), dtype=bool))
    return image, mask.astype(np.uint8)


def write_decam_stacks(folder, *, n_per_band=6, width=32, bands=BANDS, seed=0, mask_dtype=np.uint8):
    """Write ``decam_{b}_{image,mask,sky}_wd.npy`` for ``bands`` into ``folder``.

    Returns
    -------
    dict of str to dict
        Per band: ``"image"`` (N, W, W) float32, ``"mask"`` (N, W, W), ``"sky"`` (N,).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for offset, band in enumerate(bands):
        rng = np.random.default_rng(seed * 100 + offset)
        skies = rng.uniform(200, 900, n_per_band)
        patches = [make_decam_patch(rng, width, sky) for sky in skies]
        stacks = {
            "image": np.stack([image for image, _ in patches]).astype(np.float32),
            "mask": np.stack([mask for _, mask in patches]).astype(mask_dtype),
            "sky": skies.astype(np.float32),
        }
        for kind, array in stacks.items():
            np.save(band_file(folder, band, kind), array, allow_pickle=False)
        written[band] = stacks
    return written
