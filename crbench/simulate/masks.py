"""Ignore masks built the way the real pipelines build them.

Two protocols, one per real data set family, each a bit-coded ``uint8``
mask so that every reason a pixel is ignored stays visible:

``decam_cp`` -- the DECam Community Pipeline's data-quality mask
    The CP flags, per InstCal pixel, the static bad-pixel mask (hot pixels,
    bad and warm columns), saturated pixels and the bleed-trail mask
    (CP bit masks, V3.5.0 on: 1 = bad in the static bad pixel mask,
    3 = saturated, 4 = bleed mask; NOAO Data Handbook p. 97, as quoted in
    https://community.lsst.org/t/decam-data-quality-masks/133). The CP
    stores one integer per pixel; crbench keeps bits instead
    (:data:`DECAM_CP_BITS`) so that overlapping reasons are not lost. The
    saturated and bleed region is grown by one pixel (8-connectivity): the
    CP grows its saturation/bleed mask, but the width of its growth is not
    documented in a source we could read, so one pixel is crbench's choice.
    Satellite trails are not in the CP InstCal mask of that version and stay
    scored negatives.

``lco_cr`` -- the LCO CR data set's IGNORE extension (Xu et al. 2023)
    Read from cosmic-conn's ``cr_pipeline/lco_cr_reduction.py`` and
    ``utils_sep.py`` (no code taken): bit 1 a 100-pixel boundary, bit 2 no
    data after reprojection, bit 4 sources (SEP on the median of the
    aligned frames, threshold 3.5 x global rms, minimum area 9, background
    mesh 32 with a 3 x 3 filter; sources with flag >= 8 or FWHM <= 1 px
    dropped; per source and frame its ``r = 2`` ellipse plus the region
    connected to its peak that stays above the local background median +
    2 robust sigma in a window 1.5 x its extent; the union grown by 2
    pixels), bit 8 "hot pixels": the isolated pixels the multi-frame CR
    labelling drops (its candidates of fewer than ``min_cr_size = 2``
    pixels). The CR mask is zeroed wherever any bit is set. Bits are
    :data:`LCO_IGNORE_BITS`, equal to :data:`crbench.datasets.lco.IGNORE_BITS`.
    The simulator puts the instrument's known hot pixels and bad columns
    (what BANZAI's bad-pixel mask holds) under bit 8 as well: whether the
    real set's IGNORE carries BANZAI's bad-pixel mask was not verified, and
    a known bad column is not a negative any real reduction would score.
"""

import numpy as np
from astropy.stats import mad_std
from scipy import ndimage

__all__ = [
    "DECAM_CP_BITS",
    "LCO_IGNORE_BITS",
    "LCO_BOUNDARY_PX",
    "MEDIAN_OF_3_VARIANCE",
    "border_mask",
    "decam_cp_bits",
    "lco_ignore_bits",
    "lco_source_mask",
    "single_pixel_objects",
]

DECAM_CP_BITS = {"border": 1, "bad_pixel": 2, "saturated": 4, "bleed_trail": 8}
LCO_IGNORE_BITS = {"boundary": 1, "no_data": 2, "source": 4, "hot_pixel": 8}
#: width of the LCO CR data set's ignored boundary (lco_cr_reduction.py: ``ignore_boundary = 100``)
LCO_BOUNDARY_PX = 100
#: variance of the median of 3 unit-variance Gaussian draws (order statistics of n = 3)
MEDIAN_OF_3_VARIANCE = 0.4487

_EIGHT = np.ones((3, 3), dtype=bool)


def border_mask(shape, width):
    """Return a boolean mask of the ``width``-pixel frame of an image of ``shape``."""
    mask = np.zeros(shape, dtype=bool)
    if width > 0:
        mask[:width, :] = True
        mask[-width:, :] = True
        mask[:, :width] = True
        mask[:, -width:] = True
    return mask


def single_pixel_objects(truth):
    """Return the pixels of ``truth`` that form 1-pixel connected components (8-connectivity)."""
    labels, n_objects = ndimage.label(truth, structure=_EIGHT)
    if n_objects == 0:
        return np.zeros_like(truth, dtype=bool)
    sizes = np.bincount(labels.ravel(), minlength=n_objects + 1)
    return (sizes[labels] == 1) & truth


def decam_cp_bits(*, shape, border, bad_pixel, saturated, bleed_trail, grow=1):
    """Return the DECam Community Pipeline-style ignore bits (:data:`DECAM_CP_BITS`).

    Parameters
    ----------
    shape : tuple of int
    border : int
        Width of the ignored frame border, pixels.
    bad_pixel : ndarray of bool
        Static bad-pixel mask (hot pixels, bad and warm columns).
    saturated : ndarray of bool
        Pixels at or above full well after read-out.
    bleed_trail : ndarray of bool
        Pixels the bleed (blooming) filled.
    grow : int, optional
        Pixels by which the saturated and bleed region grows (8-connectivity);
        the ring gets the ``saturated`` bit.

    Returns
    -------
    ndarray of uint8
    """
    bits = np.zeros(shape, dtype=np.uint8)
    bits[border_mask(shape, border)] |= DECAM_CP_BITS["border"]
    bits[bad_pixel] |= DECAM_CP_BITS["bad_pixel"]
    saturated_region = saturated | bleed_trail
    if grow > 0 and saturated_region.any():
        saturated_region = ndimage.binary_dilation(saturated_region, structure=_EIGHT, iterations=grow)
    bits[saturated_region & ~bleed_trail] |= DECAM_CP_BITS["saturated"]
    bits[bleed_trail] |= DECAM_CP_BITS["bleed_trail"]
    return bits


def lco_source_mask(frame, median_frame, *, threshold=3.5, min_area=9, mesh=32, grow=2):
    """Return the LCO CR data set's source mask of one frame (see the module docstring).

    Parameters
    ----------
    frame : ndarray
        The frame whose mask is made (any linear unit; sky not subtracted).
    median_frame : ndarray
        The median of the aligned frames of its sequence, same unit.
    threshold : float
        SEP detection threshold in global background rms.
    min_area : int
        Minimum pixels of a detection.
    mesh : int
        SEP background mesh size (box and filter 3 x 3).
    grow : int
        Final dilation of the mask (8-connectivity), pixels.

    Returns
    -------
    ndarray of bool
    """
    import sep

    median = np.ascontiguousarray(median_frame, dtype=np.float64)
    median = median - np.median(median)
    background = sep.Background(median, bw=mesh, bh=mesh, fw=3, fh=3)
    detection = median - background.back()
    sep.set_extract_pixstack(max(300000, int(detection.size * 0.10)))
    sources = sep.extract(detection, threshold, err=background.globalrms, minarea=min_area)
    keep = (sources["flag"] < 8) & np.isfinite(sources["a"]) & np.isfinite(sources["b"]) & (sources["b"] > 0)
    sources = sources[keep]
    fwhm = 2.0 * np.sqrt(np.log(2.0) * (sources["a"] ** 2 + sources["b"] ** 2))
    sources = sources[fwhm > 1.0]

    image = np.asarray(frame, dtype=np.float64)
    image = image - np.median(image)
    ny, nx = image.shape
    mask = np.zeros((ny, nx), dtype=bool)
    for source in sources:
        x_expand = int((source["xmax"] - source["xmin"]) * 0.25)
        y_expand = int((source["ymax"] - source["ymin"]) * 0.25)
        y0, y1 = max(0, source["ymin"] - y_expand), min(source["ymax"] + y_expand, ny)
        x0, x1 = max(0, source["xmin"] - x_expand), min(source["xmax"] + x_expand, nx)
        window = image[y0:y1, x0:x1]
        ellipse = np.zeros(window.shape, dtype=np.uint8)
        sep.mask_ellipse(ellipse, source["x"] - x0, source["y"] - y0, source["a"], source["b"], source["theta"], r=2)
        ellipse = ellipse.astype(bool)
        region = mask[y0:y1, x0:x1]
        background_pixels = window[~ellipse]
        if background_pixels.size == 0:
            region |= ellipse
            continue
        upper_bound = np.median(background_pixels) + 2.0 * mad_std(background_pixels)
        peak = np.unravel_index(np.argmax(window), window.shape)
        if upper_bound >= window[peak]:
            region |= ellipse
            continue
        # the pixels connected to the peak that stay above the local background bound
        labels, _ = ndimage.label(window >= upper_bound, structure=_EIGHT)
        region |= ellipse | (labels == labels[peak])
    if grow > 0 and mask.any():
        mask = ndimage.binary_dilation(mask, structure=_EIGHT, iterations=grow)
    return mask


def lco_ignore_bits(*, shape, source, isolated, boundary=LCO_BOUNDARY_PX, no_data=None):
    """Return the LCO CR data set's IGNORE bits (:data:`LCO_IGNORE_BITS`).

    Parameters
    ----------
    shape : tuple of int
    source : ndarray of bool
        Source mask (:func:`lco_source_mask`, plus saturated and bleed pixels).
    isolated : ndarray of bool
        Bit 8: known hot pixels and bad columns, and the 1-pixel CR
        candidates the multi-frame labelling drops.
    boundary : int
        Width of the ignored boundary, pixels.
    no_data : ndarray of bool, optional
        Pixels without data after reprojection (none in a simulated frame).

    Returns
    -------
    ndarray of uint8
    """
    bits = np.zeros(shape, dtype=np.uint8)
    bits[border_mask(shape, boundary)] |= LCO_IGNORE_BITS["boundary"]
    if no_data is not None:
        bits[no_data] |= LCO_IGNORE_BITS["no_data"]
    bits[source] |= LCO_IGNORE_BITS["source"]
    bits[isolated] |= LCO_IGNORE_BITS["hot_pixel"]
    return bits
