"""Training data from any crbench :class:`~crbench.datasets.Dataset`.

A split's samples are loaded once, converted to what the UNet-3-32 family
expects (ADU, sky-subtracted; see :mod:`crbench.detectors.decam_unets`),
and served as square stamps:

- :class:`RandomStampSet` draws random crops with random 90-degree rotation,
  flips and sky-level augmentation (``image + a * sky``, ``a`` uniform in
  ``sky_range``, -0.9 to 3 as in the attention paper) for training;
- :func:`grid_stamps` cuts fixed, non-random stamps for validation.

Targets are the truth masks dilated by the card's ``truth_dilation`` (the
published models were trained on 3x3-dilated masks); ignored pixels get no
loss. Images smaller than a stamp are reflect-padded and the padding is
ignored.

For Cosmic-CoNN's median-weighted loss every stamp also carries a weight
map computed from the cosmic-ray-free image (``sample.extras["clean"]``
when the data set provides it, else the image with the dilated cosmic-ray
pixels replaced by a 5x5 median filter).
"""

from dataclasses import dataclass

import numpy as np
import torch
from astropy.stats import mad_std
from scipy import ndimage

from ..datasets.base import sample_sha256
from ..inputs import convert_units, subtract_sky
from ..tiling import tile_starts

__all__ = [
    "PreparedImage",
    "prepare_split",
    "median_weight_base",
    "RandomStampSet",
    "grid_stamps",
    "SKY_AUGMENTATION_RANGE",
]

SKY_AUGMENTATION_RANGE = (-0.9, 3.0)
INPUT_UNITS = "adu"


@dataclass
class PreparedImage:
    """One training or validation image in network units.

    Attributes
    ----------
    sample_id : str
    image : ndarray of float32
        Sky-subtracted, in ADU.
    target : ndarray of float32
        Dilated truth (0 or 1).
    valid : ndarray of bool
        True where the loss is computed (not ignored, not padding).
    sky : float
        Sky level in ADU (0 when unknown: no sky augmentation).
    clean : ndarray of float32
        Cosmic-ray-free image in the same units (for the median-weighted loss).
    sha256 : str
        :func:`~crbench.datasets.sample_sha256` of the source sample.
    """

    sample_id: str
    image: np.ndarray
    target: np.ndarray
    valid: np.ndarray
    sky: float
    clean: np.ndarray
    sha256: str


def _dilate(mask, size):
    if size <= 1:
        return mask.copy()
    return ndimage.binary_dilation(mask, structure=np.ones((size, size), dtype=bool))


def prepare_split(dataset, split, *, limit=None):
    """Load a split and convert every sample to network units.

    Parameters
    ----------
    dataset : crbench.datasets.Dataset
    split : str
    limit : int, optional
        Use at most this many samples.

    Returns
    -------
    list of PreparedImage
    """
    dilation = dataset.card.truth_dilation
    prepared = []
    for sample in dataset.iter_samples(split, limit=limit):
        meta = sample.meta
        image = convert_units(sample.image, from_units=meta.units, to_units=INPUT_UNITS, gain=meta.gain)
        meta_adu = meta.in_units(INPUT_UNITS)
        network_image = subtract_sky(image, meta=meta_adu)
        target = _dilate(sample.truth, dilation)
        clean = sample.extras.get("clean")
        if clean is not None:
            clean = convert_units(clean, from_units=meta.units, to_units=INPUT_UNITS, gain=meta.gain)
            clean = subtract_sky(clean, meta=meta_adu)
        else:
            # no CR-free frame: fill the (dilated, once more) CR pixels from their surroundings
            filled = ndimage.median_filter(network_image, size=5)
            clean = np.where(_dilate(target, 3), filled, network_image)
        prepared.append(
            PreparedImage(
                sample_id=sample.sample_id,
                image=network_image.astype(np.float32),
                target=target.astype(np.float32),
                valid=~sample.ignore,
                sky=float(meta_adu.sky_level) if meta_adu.sky_level is not None else 0.0,
                clean=np.asarray(clean, dtype=np.float32),
                sha256=sample_sha256(sample),
            )
        )
    if not prepared:
        raise ValueError(f"split {split!r} of data set {dataset.name!r} has no samples to train on")
    return prepared


def _pad_to(prepared, stamp):
    """Reflect-pad an image smaller than ``stamp``; the padding is invalid."""
    ny, nx = prepared.image.shape
    pad_y, pad_x = max(0, stamp - ny), max(0, stamp - nx)
    if not pad_y and not pad_x:
        return prepared
    pad = ((0, pad_y), (0, pad_x))
    mode = "reflect" if pad_y < ny and pad_x < nx else "symmetric"
    return PreparedImage(
        sample_id=prepared.sample_id,
        image=np.pad(prepared.image, pad, mode=mode),
        target=np.pad(prepared.target, pad, mode=mode),
        valid=np.pad(prepared.valid, pad, mode="constant", constant_values=False),
        sky=prepared.sky,
        clean=np.pad(prepared.clean, pad, mode=mode),
        sha256=prepared.sha256,
    )


def median_weight_base(clean):
    """Return Cosmic-CoNN's median-weight map of a CR-free stamp, before the alpha floor.

    The stamp's median is subtracted, values are clipped to [1, 5] robust
    standard deviations (MAD-based) and shifted to start at 0, smoothed with
    a 5x5 Gaussian of sigma 2 and divided by their maximum, so that bright
    sources weigh up to 1 and empty sky 0. The loss raises the floor to
    ``alpha`` (ramped from 0 to 1 during training).

    Parameters
    ----------
    clean : ndarray, shape (ny, nx)

    Returns
    -------
    ndarray of float32 in [0, 1]
    """
    clean = np.asarray(clean, dtype=np.float64)
    centred = clean - np.median(clean)
    robust_sigma = float(mad_std(clean)) + 1e-7
    floor = robust_sigma
    ceiling = max(floor, min(float(centred.max()), 5.0 * robust_sigma))
    weights = np.clip(centred, floor, ceiling) - floor
    # truncate=1.0 with sigma=2 gives a radius-2 (5x5) kernel
    weights = ndimage.gaussian_filter(weights, sigma=2.0, truncate=1.0, mode="nearest")
    peak = weights.max()
    if peak > 0:
        weights /= peak
    return weights.astype(np.float32)


def _stamp_tensors(image, target, valid, clean):
    return (
        torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))[None],
        torch.from_numpy(np.ascontiguousarray(target, dtype=np.float32))[None],
        torch.from_numpy(np.ascontiguousarray(valid, dtype=np.float32))[None],
        torch.from_numpy(median_weight_base(clean))[None],
    )


class RandomStampSet(torch.utils.data.Dataset):
    """Random augmented training stamps.

    Parameters
    ----------
    images : list of PreparedImage
    stamp : int
        Stamp side (a multiple of 4).
    n_stamps : int
        Stamps per epoch.
    seed : int
        Seed; stamp ``i`` of epoch ``e`` is drawn from ``default_rng([seed, e, i])``.
    sky_range : tuple of float
        Range of the sky-level augmentation factor; ``(0, 0)`` disables it.
    augment : bool
        Random rotations and flips.

    Items are ``(image, target, valid, weight_base)`` float32 tensors of
    shape ``(1, stamp, stamp)``.
    """

    def __init__(self, images, *, stamp, n_stamps, seed, sky_range=SKY_AUGMENTATION_RANGE, augment=True):
        self.images = [_pad_to(image, stamp) for image in images]
        self.stamp = stamp
        self.n_stamps = int(n_stamps)
        self.seed = int(seed)
        self.sky_range = tuple(sky_range)
        self.augment = augment
        self.epoch = 0
        # pick images in proportion to their area, so that every pixel is equally likely
        areas = np.array([image.image.size for image in self.images], dtype=float)
        self._image_probability = areas / areas.sum()

    def set_epoch(self, epoch):
        """Select the random stream of ``epoch``."""
        self.epoch = int(epoch)

    def __len__(self):
        return self.n_stamps

    def __getitem__(self, index):
        rng = np.random.default_rng([self.seed, self.epoch, int(index)])
        source = self.images[rng.choice(len(self.images), p=self._image_probability)]
        ny, nx = source.image.shape
        y0 = int(rng.integers(0, ny - self.stamp + 1))
        x0 = int(rng.integers(0, nx - self.stamp + 1))
        window = np.s_[y0 : y0 + self.stamp, x0 : x0 + self.stamp]
        image, target = source.image[window], source.target[window]
        valid, clean = source.valid[window], source.clean[window]
        low, high = self.sky_range
        sky_offset = np.float32(rng.uniform(low, high) * source.sky) if high > low else np.float32(0)
        image = image + sky_offset
        if self.augment:
            turns = int(rng.integers(0, 4))
            flip = bool(rng.integers(0, 2))
            arrays = []
            for array in (image, target, valid, clean):
                array = np.rot90(array, turns)
                arrays.append(array[:, ::-1] if flip else array)
            image, target, valid, clean = arrays
        return _stamp_tensors(image, target, valid, clean)


def grid_stamps(images, *, stamp):
    """Cut every image into a fixed grid of stamps (for validation).

    Returns
    -------
    tuple of Tensor
        ``(image, target, valid, weight_base)`` stacked on a batch axis,
        each of shape ``(n, 1, stamp, stamp)``.
    """
    items = []
    for prepared in images:
        padded = _pad_to(prepared, stamp)
        ny, nx = padded.image.shape
        for y0 in tile_starts(ny, stamp=stamp, margin=0):
            for x0 in tile_starts(nx, stamp=stamp, margin=0):
                window = np.s_[y0 : y0 + stamp, x0 : x0 + stamp]
                items.append(
                    _stamp_tensors(
                        padded.image[window], padded.target[window], padded.valid[window], padded.clean[window]
                    )
                )
    return tuple(torch.stack(column) for column in zip(*items))
