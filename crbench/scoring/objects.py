"""Object-level and stratified scores at a detector's operating point.

Pixel metrics say how many CR *pixels* a detector flags; a user also asks
how many cosmic rays it misses, how many spurious blobs it makes per
megapixel, which kinds of cosmic ray escape it, whether it fails next to
stars, and how much starlight its false positives would mask. This module
answers from one image's truth, ignore mask, binary prediction at the
operating point (:func:`operating_mask`) and, when the data set has them,
the simulator's CR object table and noiseless source model.

Definitions
-----------
- **CR objects** are the 8-connected components of the stored (undilated)
  truth mask, as in :func:`crbench.simulate.labels.cr_objects`; the stored
  object table (same components, same raster order) gives each object's
  event kind and charge. An object's pixels that are ignored are left out;
  an object wholly inside the ignore mask is not counted.
- An object is **found** when the fraction of its non-ignored pixels that
  are flagged is at least ``found_fraction`` (default 0.5: most of its
  pixels, so a detector that clips one end of a long track is credited
  while one that touches a worm's tail is not); "any pixel flagged" is
  recorded beside it.
- **False-positive objects** are the 8-connected components of the flagged
  mask that touch no pixel of the truth dilated 3x3 and are not wholly
  ignored (under the ``"negative"`` ignore policy, ignored pixels count
  like any other, so no component is dropped for them).
- **Strata** (each a set of bins of CR objects, with objects and found
  objects per bin): event ``kind``; ``length`` and ``charge`` (bin edges in
  :class:`ObjectOptions`); ``star_distance``: the smallest distance from
  any pixel of the object to the nearest source peak
  (:func:`crbench.scoring.stars.source_peaks`) in PSF FWHMs;
  ``star_peak``: the peak of that nearest source, in sky-noise sigmas, for
  objects within ``near_star_fwhm`` of it; ``source_level``: the largest
  source-model value under the object in sky-noise sigmas (the regions
  "above k x background RMS" of the CSST deepCR study).
- **Photometric damage**: the source-model flux under the pixel protocol's
  false-positive pixels (flagged, outside the dilated truth, scored) and
  the source flux of all scored pixels, in image units and electrons.

Every count is additive over images: :func:`object_counts` returns flat
``{name: number}`` counters, :func:`sum_object_counts` adds them (with
optional per-image weights, e.g. bootstrap multiplicities) and
:func:`object_metrics` turns a sum into ratios.
"""

import dataclasses
import math

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from ..errors import InputError
from .pixels import check_shapes, dilate_mask, scored_positive_mask, validate_masks, validate_scores
from .protocol import PixelProtocol
from .stars import DEFAULT_PEAK_NSIGMA, sky_noise_sigma, source_peaks

__all__ = [
    "OBJECTS_SPEC_VERSION",
    "STRATA",
    "ObjectOptions",
    "DEFAULT_OBJECT_OPTIONS",
    "ObjectExtras",
    "operating_mask",
    "ObjectComponents",
    "object_components",
    "object_counts",
    "sum_object_counts",
    "object_metrics",
]

#: Bumped whenever a definition or a default of this module changes.
OBJECTS_SPEC_VERSION = "1"

#: Strata of CR objects, in report order.
STRATA = ("kind", "length", "charge", "star_distance", "star_peak", "source_level")

_EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)
_FP_TOUCH_DILATION = 3


def _check_edges(name, edges):
    edges = tuple(float(edge) for edge in edges)
    if len(edges) < 2 or any(not math.isfinite(edge) for edge in edges) or list(edges) != sorted(set(edges)):
        raise InputError(f"{name} must be at least two increasing finite numbers, got {edges!r}")
    return edges


@dataclasses.dataclass(frozen=True)
class ObjectOptions:
    """The conventions of object-level scores (all stored in run records).

    Parameters
    ----------
    found_fraction : float
        An object is found when at least this fraction of its non-ignored
        pixels is flagged; in (0, 1].
    length_edges_px : tuple of float
        Bin edges of the object length (pixels, ``hypot(h - 1, w - 1) + 1``
        of the bounding box); the last bin is open-ended.
    charge_edges_e : tuple of float
        Bin edges of the deposited charge above threshold (electrons).
    star_distance_edges_fwhm : tuple of float
        Bin edges of the distance to the nearest source peak (PSF FWHMs);
        objects in an image without source peaks fall in the last bin.
    near_star_fwhm : float
        "Near a star" radius (FWHMs) of the ``star_peak`` stratum and of
        ``recall_near_star``; must be one of ``star_distance_edges_fwhm``.
    star_peak_nsigma : float
        Minimum source peak, in sky-noise sigmas, of the derived catalogue.
    star_peak_edges_nsigma : tuple of float
        Bin edges of the nearest source's peak (sky-noise sigmas).
    source_level_edges_nsigma : tuple of float
        Bin edges of the largest source-model value under an object
        (sky-noise sigmas).
    """

    found_fraction: float = 0.5
    length_edges_px: tuple = (1.0, 2.0, 3.0, 5.0, 10.0, 20.0)
    charge_edges_e: tuple = (0.0, 1e3, 3e3, 1e4, 3e4, 1e5)
    star_distance_edges_fwhm: tuple = (0.0, 1.0, 2.0, 4.0)
    near_star_fwhm: float = 2.0
    star_peak_nsigma: float = DEFAULT_PEAK_NSIGMA
    star_peak_edges_nsigma: tuple = (DEFAULT_PEAK_NSIGMA, 20.0, 100.0, 1000.0)
    source_level_edges_nsigma: tuple = (0.0, 3.0, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0)

    def __post_init__(self):
        if not 0 < self.found_fraction <= 1:
            raise InputError(f"found_fraction must be in (0, 1], got {self.found_fraction!r}")
        for name in ("length_edges_px", "charge_edges_e", "star_distance_edges_fwhm", "star_peak_edges_nsigma",
                     "source_level_edges_nsigma"):
            object.__setattr__(self, name, _check_edges(name, getattr(self, name)))
        if float(self.near_star_fwhm) not in self.star_distance_edges_fwhm[1:]:
            raise InputError(f"near_star_fwhm {self.near_star_fwhm!r} must be one of the star distance edges "
                             f"{self.star_distance_edges_fwhm[1:]}")
        if not self.star_peak_nsigma > 0:
            raise InputError(f"star_peak_nsigma must be positive, got {self.star_peak_nsigma!r}")

    def bin_labels(self, stratum):
        """The bin labels of a binned stratum (``"lo-hi"``, last ``">=lo"``)."""
        return _bin_labels(self._edges(stratum))

    def _edges(self, stratum):
        return {
            "length": self.length_edges_px,
            "charge": self.charge_edges_e,
            "star_distance": self.star_distance_edges_fwhm,
            "star_peak": self.star_peak_edges_nsigma,
            "source_level": self.source_level_edges_nsigma,
        }[stratum]

    def to_dict(self):
        """The JSON form (tuples as lists)."""
        return {key: list(value) if isinstance(value, tuple) else value
                for key, value in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, data):
        """The inverse of :meth:`to_dict`."""
        return cls(**{key: tuple(value) if isinstance(value, list) else value for key, value in data.items()})


DEFAULT_OBJECT_OPTIONS = ObjectOptions()


def _bin_labels(edges):
    labels = [f"{low:g}-{high:g}" for low, high in zip(edges[:-1], edges[1:])]
    return labels + [f">={edges[-1]:g}"]


def _bin_index(values, edges):
    """Bin of each value (-1 below the first edge; the last bin is open-ended)."""
    return np.searchsorted(np.asarray(edges), values, side="right") - 1


@dataclasses.dataclass(frozen=True)
class ObjectExtras:
    """What a data set may know beyond truth and ignore (every field optional).

    Attributes
    ----------
    objects : dict of str to ndarray, optional
        The simulator's CR object table (``n_pixels``, ``length``,
        ``charge``, ``kind``, ...) for the 8-connected truth components.
    event_kinds : sequence of str, optional
        Names of the ``kind`` indices (``meta.extra["event_kinds"]``).
    source_model : ndarray, optional
        Noiseless stars and galaxies, image units.
    psf_fwhm_px : float, optional
        PSF FWHM in pixels (``meta.extra["psf_fwhm_px"]``).
    noise_sigma : float, optional
        Sky noise sigma, image units (:func:`crbench.scoring.stars.sky_noise_sigma`).
    image_to_electrons : float
        Electrons per image unit.
    """

    objects: dict | None = None
    event_kinds: tuple | None = None
    source_model: np.ndarray | None = None
    psf_fwhm_px: float | None = None
    noise_sigma: float | None = None
    image_to_electrons: float = 1.0

    @classmethod
    def from_sample(cls, sample):
        """Collect what a :class:`~crbench.datasets.Sample` holds (sim data sets: everything)."""
        extra = sample.meta.extra or {}
        objects = sample.extras.get("objects")
        kinds = extra.get("event_kinds")
        return cls(
            objects=objects if objects and "n_pixels" in objects else None,
            event_kinds=tuple(kinds) if kinds else None,
            source_model=sample.extras.get("source_model"),
            psf_fwhm_px=extra.get("psf_fwhm_px"),
            noise_sigma=sky_noise_sigma(sample.meta),
            image_to_electrons=float(sample.meta.gain) if sample.meta.units == "adu" else 1.0,
        )

    @property
    def has_sources(self):
        """True when the source model, the PSF FWHM and the noise are all known."""
        return self.source_model is not None and self.psf_fwhm_px is not None and self.noise_sigma is not None


NO_EXTRAS = ObjectExtras()


def operating_mask(prediction, *, protocol, kind="score", operating_point, values=None, sample_id="?"):
    """Return the flagged pixels at the operating point, after output dilation.

    Parameters
    ----------
    prediction : ndarray
        Score map (ny, nx) in [0, 1] (``kind="score"``) or mask stack
        (n_values, ny, nx) (``kind="mask"``), as the detector returned it.
    protocol : PixelProtocol
        Its output dilation is applied, as in pixel scoring (thresholding a
        grey-dilated map equals dilating the thresholded mask).
    kind : {"score", "mask"}
    operating_point : float
        Threshold (``score >= threshold`` is flagged) or sweep value.
    values : sequence of float, optional
        Sweep values in the order of the stack (mask detectors; None or a
        single mask: the stack's only mask).
    sample_id : str
        Image id used in error messages.

    Returns
    -------
    ndarray of bool, shape (ny, nx)
    """
    if not isinstance(protocol, PixelProtocol):
        raise TypeError(f"protocol must be a PixelProtocol, got {type(protocol).__name__}")
    prediction = np.asarray(prediction)
    if kind == "score":
        flagged = validate_scores(prediction, sample_id=sample_id) >= operating_point
    elif kind == "mask":
        masks = validate_masks(prediction, sample_id=sample_id)
        if masks.ndim == 2:
            masks = masks[np.newaxis]
        values = list(values) if values is not None else [operating_point]
        if len(values) != masks.shape[0]:
            raise InputError(f"image {sample_id!r}: {masks.shape[0]} masks for {len(values)} sweep values")
        if operating_point not in values:
            raise InputError(f"operating value {operating_point!r} is not one of the sweep values {values}")
        flagged = masks[values.index(operating_point)]
    else:
        raise ValueError(f"kind must be 'score' or 'mask', got {kind!r}")
    return dilate_mask(flagged, size=protocol.output_dilation)


def _add_stratum(counts, stratum, labels, bins, found, found_any, valid):
    """Add per-bin object and found counts of one stratum (objects with bin -1 are left out)."""
    n_bins = len(labels)
    keep = valid & (bins >= 0) & (bins < n_bins)
    per_bin = np.bincount(bins[keep], minlength=n_bins)
    per_bin_found = np.bincount(bins[keep & found], minlength=n_bins)
    per_bin_any = np.bincount(bins[keep & found_any], minlength=n_bins)
    for index, label in enumerate(labels):
        counts[f"{stratum}:{label}:n"] = int(per_bin[index])
        counts[f"{stratum}:{label}:found"] = int(per_bin_found[index])
        counts[f"{stratum}:{label}:found_any"] = int(per_bin_any[index])


def _object_table(table, n_objects, n_pixels, sample_id):
    """Check that a stored object table describes these truth components."""
    stored = np.asarray(table["n_pixels"])
    if stored.shape != (n_objects,) or not np.array_equal(stored, n_pixels):
        raise InputError(
            f"image {sample_id!r}: the stored CR object table ({stored.size} objects) does not match the "
            f"8-connected components of the truth mask ({n_objects}); regenerate the sample"
        )
    return table


@dataclasses.dataclass(frozen=True)
class ObjectComponents:
    """The CR objects and false-positive objects of one image, as :func:`object_counts` counts them.

    Attributes
    ----------
    truth_labels : ndarray of int, shape (ny, nx)
        8-connected components of the undilated truth: object ``i`` is
        label ``i + 1`` (raster order, as the simulator's object table); 0 =
        no CR.
    n_pixels : ndarray of int, shape (n_objects,)
        Pixels per object (ignored ones included).
    valid : ndarray of bool, shape (n_objects,)
        Objects not wholly ignored (the ones counted).
    found, found_any : ndarray of bool, shape (n_objects,)
        Valid objects with at least the found fraction, or any, of their
        non-ignored pixels flagged.
    flagged_labels : ndarray of int, shape (ny, nx)
        8-connected components of the flagged mask: component ``j`` is label
        ``j + 1``.
    false_positive : ndarray of bool, shape (n_components,)
        Components that touch no pixel of the truth dilated 3x3 and are
        counted (not wholly ignored under the ``"exclude"`` policy).
    """

    truth_labels: np.ndarray
    n_pixels: np.ndarray
    valid: np.ndarray
    found: np.ndarray
    found_any: np.ndarray
    flagged_labels: np.ndarray
    false_positive: np.ndarray

    @property
    def missed(self):
        """Valid objects that are not found, shape (n_objects,)."""
        return self.valid & ~self.found


def object_components(truth, ignore, flagged, *, excludes_ignored=True, found_fraction=0.5, sample_id="?"):
    """Return the :class:`ObjectComponents` of one image (the definitions of the module docstring).

    Parameters
    ----------
    truth : ndarray of bool, shape (ny, nx)
        Truth as stored (undilated).
    ignore : ndarray of bool, shape (ny, nx), or None
        True = ignored.
    flagged : ndarray of bool, shape (ny, nx)
        The detector's pixels at the operating point, after output
        dilation (:func:`operating_mask`).
    excludes_ignored : bool
        The pixel protocol's ignore policy is ``"exclude"`` (see :func:`object_counts`).
    found_fraction : float
        :attr:`ObjectOptions.found_fraction`.
    sample_id : str
        Image id used in error messages.

    Returns
    -------
    ObjectComponents

    Examples
    --------
    >>> truth = np.zeros((8, 8), bool); truth[2, 2:5] = True
    >>> flagged = np.zeros((8, 8), bool); flagged[7, 7] = True
    >>> components = object_components(truth, None, flagged)
    >>> components.missed.tolist(), components.false_positive.tolist()
    ([True], [True])
    """
    truth, ignore, flagged = check_shapes(truth, ignore, flagged, sample_id=sample_id)
    flagged = validate_masks(flagged, sample_id=sample_id)
    not_ignored = np.ones(truth.shape, bool) if ignore is None else ~ignore
    return _components(truth, not_ignored, flagged, excludes_ignored=excludes_ignored, found_fraction=found_fraction)


def _components(truth, not_ignored, flagged, *, excludes_ignored, found_fraction):
    # ---- CR objects: 8-connected truth components
    labels, n_objects = ndimage.label(truth, structure=_EIGHT_CONNECTED)
    flat = np.flatnonzero(truth)
    object_of = labels.reshape(-1)[flat] - 1
    scored = not_ignored.reshape(-1)[flat]
    hit = flagged.reshape(-1)[flat] & scored
    n_pixels = np.bincount(object_of, minlength=n_objects)
    n_scored = np.bincount(object_of, weights=scored, minlength=n_objects).astype(np.int64)
    n_hit = np.bincount(object_of, weights=hit, minlength=n_objects).astype(np.int64)
    valid = n_scored > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.where(valid, n_hit / np.maximum(n_scored, 1), 0.0)
    # a correctly rounded division meets a fraction like 0.3 exactly at 3 of 10 pixels
    found = valid & (fraction >= found_fraction)
    found_any = valid & (n_hit > 0)

    # ---- false-positive objects: flagged components touching no 3x3-dilated truth pixel
    flagged_labels, n_components = ndimage.label(flagged, structure=_EIGHT_CONNECTED)
    touching = np.zeros(n_components + 1, bool)
    touching[flagged_labels[dilate_mask(truth, size=_FP_TOUCH_DILATION)]] = True
    flagged_flat = np.flatnonzero(flagged)
    component = flagged_labels.reshape(-1)[flagged_flat]
    if excludes_ignored:
        outside = np.bincount(component, weights=not_ignored.reshape(-1)[flagged_flat], minlength=n_components + 1)
        counted = outside[1:] > 0
    else:
        counted = np.ones(n_components, bool)
    return ObjectComponents(truth_labels=labels, n_pixels=n_pixels, valid=valid, found=found, found_any=found_any,
                            flagged_labels=flagged_labels, false_positive=counted & ~touching[1:])


def object_counts(truth, ignore, flagged, *, extras=NO_EXTRAS, excludes_ignored=True,
                  options=DEFAULT_OBJECT_OPTIONS, truth_dilation=3, sample_id="?"):
    """Count CR objects, found objects, false-positive objects and flux of one image.

    Parameters
    ----------
    truth : ndarray of bool, shape (ny, nx)
        Truth as stored (undilated).
    ignore : ndarray of bool, shape (ny, nx), or None
        True = ignored.
    flagged : ndarray of bool, shape (ny, nx)
        The detector's pixels at the operating point, after output
        dilation (:func:`operating_mask`).
    extras : ObjectExtras
        Object table, source model, PSF and noise when known; strata whose
        inputs are missing are left out of the counts.
    excludes_ignored : bool
        The pixel protocol's ignore policy is ``"exclude"``: wholly ignored
        false-positive components are dropped and ignored pixels are not in
        the scored area (False: ``"negative"``, they are scored).
    options : ObjectOptions
    truth_dilation : int
        The pixel protocol's truth dilation, which defines the
        false-positive *pixels* of the photometric damage.
    sample_id : str
        Image id used in error messages.

    Returns
    -------
    dict of str to int or float
        Flat additive counters: ``n_objects``, ``n_found``,
        ``n_found_any``, ``n_objects_ignored`` (wholly ignored, not in
        ``n_objects``), ``n_fp_objects``, ``n_fp_pixels``,
        ``n_flagged_pixels``, ``n_scored_pixels``; per stratum bin
        ``"<stratum>:<bin>:n"``, ``":found"`` and ``":found_any"``; with a
        source model also ``n_source_peaks``, ``source_flux``,
        ``fp_source_flux`` (image units) and ``source_flux_e``,
        ``fp_source_flux_e`` (electrons).

    Examples
    --------
    >>> truth = np.zeros((8, 8), bool); truth[2, 2:5] = True
    >>> flagged = np.zeros((8, 8), bool); flagged[2, 2:4] = True; flagged[7, 7] = True
    >>> counts = object_counts(truth, None, flagged)
    >>> counts["n_objects"], counts["n_found"], counts["n_fp_objects"]
    (1, 1, 1)
    """
    truth, ignore, flagged = check_shapes(truth, ignore, flagged, sample_id=sample_id)
    flagged = validate_masks(flagged, sample_id=sample_id)
    nx = truth.shape[1]
    not_ignored = np.ones(truth.shape, bool) if ignore is None else ~ignore
    counts = {}

    # ---- CR objects (8-connected truth components) and false-positive objects
    components = _components(truth, not_ignored, flagged, excludes_ignored=excludes_ignored,
                             found_fraction=options.found_fraction)
    labels, n_pixels = components.truth_labels, components.n_pixels
    valid, found, found_any = components.valid, components.found, components.found_any
    n_objects = n_pixels.size
    flat = np.flatnonzero(truth)
    object_of = labels.reshape(-1)[flat] - 1
    counts["n_objects"] = int(valid.sum())
    counts["n_found"] = int(found.sum())
    counts["n_found_any"] = int(found_any.sum())
    counts["n_objects_ignored"] = int(n_objects - valid.sum())
    counts["n_fp_objects"] = int(np.count_nonzero(components.false_positive))
    flagged_flat = np.flatnonzero(flagged)

    # ---- pixel-level false positives and the scored area (the pixel protocol's)
    scored_pixels = not_ignored if excludes_ignored else np.ones(truth.shape, bool)
    positive = scored_positive_mask(truth, ignore, truth_dilation=truth_dilation)
    fp_pixels = flagged & ~positive & scored_pixels
    counts["n_fp_pixels"] = int(np.count_nonzero(fp_pixels))
    counts["n_flagged_pixels"] = int(flagged_flat.size)
    counts["n_scored_pixels"] = int(np.count_nonzero(scored_pixels))

    # ---- strata
    rows, cols = np.divmod(flat, nx)
    table = extras.objects
    if table is not None:
        table = _object_table(table, n_objects, n_pixels, sample_id)
        if extras.event_kinds is not None and "kind" in table:
            kinds = np.asarray(table["kind"], dtype=np.int64)
            _add_stratum(counts, "kind", list(extras.event_kinds), kinds, found, found_any, valid)
        if "charge" in table:
            bins = _bin_index(np.asarray(table["charge"], dtype=np.float64), options.charge_edges_e)
            _add_stratum(counts, "charge", options.bin_labels("charge"), bins, found, found_any, valid)
    if n_objects:
        slices = ndimage.find_objects(labels)
        heights = np.array([s[0].stop - s[0].start for s in slices])
        widths = np.array([s[1].stop - s[1].start for s in slices])
        length = np.hypot(heights - 1, widths - 1) + 1.0  # cr_objects' length
    else:
        length = np.zeros(0)
    _add_stratum(counts, "length", options.bin_labels("length"), _bin_index(length, options.length_edges_px),
                 found, found_any, valid)

    if extras.has_sources:
        source = np.asarray(extras.source_model)  # float32 as stored; sums below are float64
        if source.shape != truth.shape:
            raise InputError(f"image {sample_id!r}: source model shape {source.shape} differs from {truth.shape}")
        sigma = float(extras.noise_sigma)
        fwhm = float(extras.psf_fwhm_px)
        peaks = source_peaks(source, fwhm_px=fwhm, noise_sigma=sigma, peak_nsigma=options.star_peak_nsigma)
        counts["n_source_peaks"] = int(peaks["peak"].size)
        distance = np.full(n_objects, np.inf)
        nearest_peak = np.zeros(n_objects)
        if peaks["peak"].size and flat.size:
            pixel_distance, star = cKDTree(np.column_stack([peaks["y"], peaks["x"]])).query(
                np.column_stack([rows, cols]).astype(np.float64))
            # per object, its pixel closest to a peak (ties: the first pixel in raster order)
            order = np.lexsort((pixel_distance, object_of))
            first = order[np.r_[True, object_of[order][1:] != object_of[order][:-1]]]
            distance[object_of[first]] = pixel_distance[first]
            nearest_peak[object_of[first]] = peaks["peak_nsigma"][star[first]]
        in_fwhm = distance / fwhm
        star_bins = _bin_index(in_fwhm, options.star_distance_edges_fwhm)
        star_bins[~np.isfinite(in_fwhm)] = len(options.star_distance_edges_fwhm) - 1
        _add_stratum(counts, "star_distance", options.bin_labels("star_distance"), star_bins, found, found_any,
                     valid)
        near = in_fwhm < options.near_star_fwhm
        _add_stratum(counts, "star_peak", options.bin_labels("star_peak"),
                     _bin_index(nearest_peak, options.star_peak_edges_nsigma), found, found_any, valid & near)
        level = np.zeros(n_objects)
        if flat.size:
            np.maximum.at(level, object_of, source.reshape(-1)[flat].astype(np.float64) / sigma)
        _add_stratum(counts, "source_level", options.bin_labels("source_level"),
                     _bin_index(level, options.source_level_edges_nsigma), found, found_any, valid)
        total_flux = float(source[scored_pixels].sum(dtype=np.float64))
        fp_flux = float(source[fp_pixels].sum(dtype=np.float64))
        counts["source_flux"] = total_flux
        counts["fp_source_flux"] = fp_flux
        counts["source_flux_e"] = total_flux * extras.image_to_electrons
        counts["fp_source_flux_e"] = fp_flux * extras.image_to_electrons
    return counts


def sum_object_counts(per_image, *, weights=None):
    """Add per-image counters; a counter missing from any image is left out.

    Parameters
    ----------
    per_image : sequence of dict
        :func:`object_counts` results.
    weights : sequence of float, optional
        Per-image multiplicities (e.g. the number of times a bootstrap
        resample drew each image); default 1 each.

    Returns
    -------
    dict of str to int or float
        Integer counters stay integers under integer weights.
    """
    per_image = list(per_image)
    if not per_image:
        return {}
    weights = [1] * len(per_image) if weights is None else list(weights)
    if len(weights) != len(per_image):
        raise ValueError(f"{len(weights)} weights for {len(per_image)} images")
    common = [key for key in per_image[0] if all(key in counts for counts in per_image[1:])]
    return {key: sum(weight * counts[key] for weight, counts in zip(weights, per_image)) for key in common}


def _ratio(numerator, denominator):
    return None if not denominator else numerator / denominator


def _strata(summed):
    """``{stratum: {bin: {"n_objects", "recall", "recall_any"}}}`` in the counters' order."""
    strata = {}
    for key, value in summed.items():
        stratum, _, rest = key.partition(":")
        if not rest or not rest.endswith(":n"):
            continue
        label = rest[: -len(":n")]
        strata.setdefault(stratum, {})[label] = {
            "n_objects": value,
            "recall": _ratio(summed[f"{stratum}:{label}:found"], value),
            "recall_any": _ratio(summed[f"{stratum}:{label}:found_any"], value),
        }
    return {stratum: strata[stratum] for stratum in STRATA if stratum in strata}


def _near_star_recall(summed, options):
    edges = options.star_distance_edges_fwhm
    labels = [label for label, high in zip(options.bin_labels("star_distance"), edges[1:])
              if high <= options.near_star_fwhm]
    if not all(f"star_distance:{label}:n" in summed for label in labels):
        return None, None
    n = sum(summed[f"star_distance:{label}:n"] for label in labels)
    found = sum(summed[f"star_distance:{label}:found"] for label in labels)
    return _ratio(found, n), n


def object_metrics(summed, *, options=DEFAULT_OBJECT_OPTIONS):
    """Turn summed counters into object-level metrics (a pure function of the counts).

    Parameters
    ----------
    summed : dict
        :func:`sum_object_counts` of the images (or one image's counts).
    options : ObjectOptions
        The options the counts were made with (for ``recall_near_star``).

    Returns
    -------
    dict
        ``object_recall``, ``object_recall_any`` (None without objects),
        ``n_objects``, ``n_fp_objects``, ``fp_objects_per_megapixel`` (per
        scored megapixel), ``recall_near_star`` and ``n_objects_near_star``
        (objects within ``near_star_fwhm``), ``masked_source_flux_fraction``
        (source flux under false-positive pixels / source flux of the
        scored pixels), ``fp_source_flux_e`` (electrons), and ``strata``
        (``{stratum: {bin: {"n_objects", "recall", "recall_any"}}}``).
        Entries whose counters are absent are None.
    """
    n_objects = summed.get("n_objects")
    scored = summed.get("n_scored_pixels")
    near_recall, n_near = _near_star_recall(summed, options)
    has_flux = "source_flux" in summed
    return {
        "object_recall": _ratio(summed.get("n_found", 0), n_objects),
        "object_recall_any": _ratio(summed.get("n_found_any", 0), n_objects),
        "n_objects": n_objects,
        "n_fp_objects": summed.get("n_fp_objects"),
        "fp_objects_per_megapixel": _ratio(summed.get("n_fp_objects", 0) * 1e6, scored),
        "recall_near_star": near_recall,
        "n_objects_near_star": n_near,
        "masked_source_flux_fraction": _ratio(summed["fp_source_flux"], summed["source_flux"]) if has_flux else None,
        "fp_source_flux_e": summed["fp_source_flux_e"] if has_flux else None,
        "strata": _strata(summed),
    }
