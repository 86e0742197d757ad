"""Real cosmic-ray footprints (LSST ITL dark frames) as a cosmic-ray source.

The physics model of :mod:`.cosmics` ray-traces events; this module instead
paints footprints measured on a real sensor: the 1764 footprints of imSim's
ITL catalogue (:mod:`crbench.realism.itl_footprints`), of which the 1109
"CR-like" ones (at least :data:`~crbench.realism.itl_footprints.CR_LIKE_MIN_CHARGE_E`
electrons) are kept: the fainter ones are mostly warm pixels and amplifier
glow, not cosmic rays.

Each footprint is a set of pixel offsets and electrons. A draw places
footprints at uniformly random integer positions (a footprint may cross the
image edge and is cut there), each under one of the 8 rotations by 90
degrees and reflections of the pixel grid. These keep the pixel pattern
exact, and they are allowed because the arrival directions are isotropic in
azimuth (muons and environmental gammas alike), so a footprint population
is statistically unchanged by them; the only read-out direction effects
(charge-transfer inefficiency, ~1e-6 per transfer on ITL sensors) are far
below the stored 7-sigma threshold.

Sensor geometry. A straight track crossing a sensor of thickness ``T`` at
zenith angle ``theta`` is ``T tan(theta) / p`` pixels long (pixel pitch
``p``) and holds charge in proportion to its silicon path ``T / cos(theta)``.
:func:`rescale_footprints` turns a track footprint of the source sensor into
the one the same muon leaves in the target sensor: it stretches the
footprint along its principal axis by ``(T_t / p_t) / (T_s / p_s)`` (1.67
from ITL to DECam, 0.05-0.11 to the thin LCO sensors), keeps its width, and
multiplies its charge by ``T_t / T_s`` (same charge per micron of silicon
path). Spots and worms (electrons stopping in the silicon, range-limited)
are left as they are: see docs/real_cosmic_rays.md for the bias this leaves.

Every draw uses integer random numbers and IEEE arithmetic only (no
transcendental functions), so the result does not depend on the CPU.
"""

import functools
from dataclasses import dataclass

import numpy as np

from .cosmics import EVENT_KINDS, CosmicRayField

__all__ = [
    "CR_SOURCES",
    "FootprintLibrary",
    "RATE_FACTORS",
    "TRACK_MAX_WIDTH_PX",
    "TRACK_MIN_EXTENT_PX",
    "draw_real_cosmic_rays",
    "itl_footprint_library",
    "real_event_rate",
    "rescale_footprints",
]

#: Cosmic-ray sources of :func:`crbench.simulate.simulate_frame`.
CR_SOURCES = ("physics", "itl_footprints")
#: A footprint whose bounding-box diagonal (``hypot(h - 1, w - 1) + 1``) is shorter than this is a spot.
TRACK_MIN_EXTENT_PX = 3.0
#: A longer footprint is a straight track when its charge-weighted minor-axis sigma is at most this (pixels);
#: catalogue tracks have 0.3-0.6 px (ITL diffusion, ~0.4 px), curled electrons ("worms") more.
TRACK_MAX_WIDTH_PX = 0.7
#: Event rate of the ITL footprints rescaled to each profile, as a multiple of the profile's (physics model's)
#: event rate, so that a frame's undilated CR pixel fraction matches the physics model's on the same profile, which
#: is calibrated to the published fraction (Desai et al. 2016 for DECam). Measured with
#: ``python benchmarks/real_cosmic_rays.py --profile decam --n-exposures 1000`` (LCO: ``--n-exposures 300``) on
#: blank sky: at the profile's rate the rescaled footprints give decam 3.996e-4 against the physics model's
#: 2.875e-4; lco_0m4 3.191e-4 / 1.012e-4; lco_1m 3.318e-4 / 1.002e-4; lco_2m 4.669e-4 / 0.949e-4. Real
#: footprints are larger than the physics model's (docs/real_cosmic_rays.md), so fewer of them fill the same
#: pixel fraction. Profiles not listed (e.g. the ITL dark profile) keep their own rate.
RATE_FACTORS = {"decam": 0.72, "lco_0m4": 0.32, "lco_1m": 0.30, "lco_2m": 0.20}
#: Sub-pixel sampling per axis used when a footprint is stretched (each pixel becomes 4 x 4 charge points).
_SUBSAMPLE = 4
_MUON, _WORM, _SPOT = (EVENT_KINDS.index(kind) for kind in ("muon", "worm", "spot"))
# the 8 symmetries of the pixel grid: (transpose, flip rows, flip columns)
_ORIENTATIONS = tuple((t, r, c) for t in (False, True) for r in (False, True) for c in (False, True))


@dataclass(frozen=True)
class FootprintLibrary:
    """Cosmic-ray footprints as pixel offsets and charge, ready to paint.

    Footprint ``i`` owns pixels ``start[i]:start[i + 1]``; offsets are
    relative to the pixel holding its charge centroid.

    Attributes
    ----------
    rows, cols : ndarray of int64
        Pixel offsets.
    electrons : ndarray of float64
        Charge of each pixel.
    start : ndarray of int64, shape (n + 1,)
    kind : ndarray of int8, shape (n,)
        Index into :data:`~crbench.simulate.cosmics.EVENT_KINDS` (track =
        ``"muon"``, see :data:`TRACK_MIN_EXTENT_PX` and :data:`TRACK_MAX_WIDTH_PX`).
    pixel_size_um, thickness_um : float
        Sensor the footprints are shaped for.
    source : str
        Where the footprints come from.
    """

    rows: np.ndarray
    cols: np.ndarray
    electrons: np.ndarray
    start: np.ndarray
    kind: np.ndarray
    pixel_size_um: float
    thickness_um: float
    source: str = ""

    def __len__(self):
        return len(self.start) - 1

    @property
    def footprint_of_pixel(self):
        """Index of each pixel's footprint."""
        return np.repeat(np.arange(len(self)), self.n_pixels)

    @property
    def n_pixels(self):
        """Pixels per footprint."""
        return np.diff(self.start)

    @property
    def charge(self):
        """Total electrons per footprint."""
        return np.bincount(self.footprint_of_pixel, weights=self.electrons, minlength=len(self))

    @property
    def length(self):
        """Straight-line extent per footprint, ``hypot(h - 1, w - 1)`` of the bounding box, pixels."""
        index = self.footprint_of_pixel
        spans = []
        for offsets in (self.rows, self.cols):
            low = np.full(len(self), np.iinfo(np.int64).max)
            high = np.full(len(self), np.iinfo(np.int64).min)
            np.minimum.at(low, index, offsets)
            np.maximum.at(high, index, offsets)
            spans.append(high - low)
        return np.hypot(spans[0], spans[1])

    @property
    def radius(self):
        """Largest offset (rows or columns) of any pixel from its footprint's anchor."""
        return int(max(np.abs(self.rows).max(initial=0), np.abs(self.cols).max(initial=0)))

    def footprint(self, index):
        """Return ``(rows, cols, electrons)`` of footprint ``index``."""
        part = slice(self.start[index], self.start[index + 1])
        return self.rows[part], self.cols[part], self.electrons[part]

    def statistics(self, *, exposure_s=0.0, area_cm2=0.0):
        """Per-footprint :class:`~crbench.realism.itl_footprints.FootprintStatistics` (all pixels)."""
        from ..realism.itl_footprints import FootprintStatistics

        index = self.footprint_of_pixel
        peak = np.full(len(self), -np.inf)
        np.maximum.at(peak, index, self.electrons)
        return FootprintStatistics(n_pixels=self.n_pixels.astype(np.int64), extent=self.length + 1.0,
                                   charge=self.charge, peak=peak, exposure_s=exposure_s, area_cm2=area_cm2)

    @classmethod
    def from_pixels(cls, footprint, rows, cols, electrons, *, pixel_size_um, thickness_um, source=""):
        """Build a library from per-pixel footprint indices, absolute coordinates and charge.

        Footprints keep their order (``footprint`` values ``0 .. n - 1``, each
        present); offsets are taken from the pixel nearest each charge centroid
        and the kind is classified from the pixel pattern.
        """
        footprint = np.asarray(footprint, dtype=np.int64)
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        electrons = np.asarray(electrons, dtype=np.float64)
        order = np.argsort(footprint, kind="stable")
        footprint, rows, cols, electrons = footprint[order], rows[order], cols[order], electrons[order]
        n = int(footprint.max()) + 1 if footprint.size else 0
        counts = np.bincount(footprint, minlength=n)
        if np.any(counts == 0):
            raise ValueError("every footprint index 0 .. n - 1 must own at least one pixel")
        centroid_row, centroid_col, _, _, _ = _moments(footprint, rows, cols, electrons, n)
        anchor_row = np.floor(centroid_row + 0.5).astype(np.int64)
        anchor_col = np.floor(centroid_col + 0.5).astype(np.int64)
        start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        library = cls(rows=rows - anchor_row[footprint], cols=cols - anchor_col[footprint], electrons=electrons,
                      start=start, kind=np.zeros(n, dtype=np.int8), pixel_size_um=float(pixel_size_um),
                      thickness_um=float(thickness_um), source=source)
        return _with_kinds(library)


def _moments(footprint, rows, cols, electrons, n):
    """Charge-weighted centroid, second central moments (row-row, col-col, row-col) per footprint."""
    charge = np.bincount(footprint, weights=electrons, minlength=n)
    row_c = np.bincount(footprint, weights=electrons * rows, minlength=n) / charge
    col_c = np.bincount(footprint, weights=electrons * cols, minlength=n) / charge
    d_row = rows - row_c[footprint]
    d_col = cols - col_c[footprint]
    m_rr = np.bincount(footprint, weights=electrons * d_row * d_row, minlength=n) / charge
    m_cc = np.bincount(footprint, weights=electrons * d_col * d_col, minlength=n) / charge
    m_rc = np.bincount(footprint, weights=electrons * d_row * d_col, minlength=n) / charge
    return row_c, col_c, m_rr, m_cc, m_rc


def _principal_axes(m_rr, m_cc, m_rc):
    """Major-axis unit vector (row, col) and minor-axis sigma of 2x2 moment matrices, in closed form."""
    half_difference = 0.5 * (m_rr - m_cc)
    root = np.sqrt(half_difference**2 + m_rc**2)
    major = 0.5 * (m_rr + m_cc) + root
    minor = np.maximum(0.5 * (m_rr + m_cc) - root, 0.0)
    # eigenvector of the larger eigenvalue; pick the better conditioned of the two closed forms
    use_row = m_rr >= m_cc
    v_row = np.where(use_row, major - m_cc, m_rc)
    v_col = np.where(use_row, m_rc, major - m_rr)
    norm = np.hypot(v_row, v_col)
    isotropic = norm == 0.0
    norm = np.where(isotropic, 1.0, norm)
    return np.where(isotropic, 1.0, v_row / norm), np.where(isotropic, 0.0, v_col / norm), np.sqrt(minor)


def _with_kinds(library):
    """Classify each footprint as track ("muon"), worm or spot from its pixel pattern."""
    index = library.footprint_of_pixel
    _, _, m_rr, m_cc, m_rc = _moments(index, library.rows, library.cols, library.electrons, len(library))
    _, _, minor_sigma = _principal_axes(m_rr, m_cc, m_rc)
    extent = library.length + 1.0
    kind = np.where(extent < TRACK_MIN_EXTENT_PX, _SPOT, np.where(minor_sigma <= TRACK_MAX_WIDTH_PX, _MUON, _WORM))
    return FootprintLibrary(rows=library.rows, cols=library.cols, electrons=library.electrons, start=library.start,
                            kind=kind.astype(np.int8), pixel_size_um=library.pixel_size_um,
                            thickness_um=library.thickness_um, source=library.source)


def rescale_footprints(library, *, pixel_size_um, thickness_um):
    """Reshape track footprints for another sensor; spots and worms are kept as they are.

    A track is stretched along its principal axis (through its charge
    centroid) so that its centre-to-centre length ``L`` along the axis
    becomes ``stretch x L`` with ``stretch = (thickness_um / pixel_size_um)
    / (library.thickness_um / library.pixel_size_um)`` (the stored pixels
    are the track convolved with one pixel, so the footprint's ``L + 1``
    maps onto ``stretch L + 1``), its width is kept, and its charge is
    multiplied by ``thickness_um / library.thickness_um``: the same muon at
    the same angle crosses the target sensor's silicon, with the same charge
    per micron of path. The charge is resampled by splitting every pixel
    into 4 x 4 points, mapping the points and summing them in the pixel that
    holds each, so a track's total charge is exactly its old total times
    the thickness ratio (up to float rounding).

    Parameters
    ----------
    library : FootprintLibrary
    pixel_size_um, thickness_um : float
        The target sensor.

    Returns
    -------
    FootprintLibrary
        Same footprints in the same order, shaped for the target sensor.
    """
    stretch = (thickness_um / pixel_size_um) / (library.thickness_um / library.pixel_size_um)
    charge_ratio = thickness_um / library.thickness_um
    n = len(library)
    index = library.footprint_of_pixel
    rows = library.rows.astype(np.float64)
    cols = library.cols.astype(np.float64)
    row_c, col_c, m_rr, m_cc, m_rc = _moments(index, rows, cols, library.electrons, n)
    u_row, u_col, _ = _principal_axes(m_rr, m_cc, m_rc)
    # the stored pixels are the track convolved with a pixel: stretch the centre-to-centre length L along the
    # axis by `stretch` and keep the pixel's own width, i.e. map the footprint's L + 1 onto stretch L + 1
    projection = (rows - row_c[index]) * u_row[index] + (cols - col_c[index]) * u_col[index]
    low = np.full(n, np.inf)
    high = np.full(n, -np.inf)
    np.minimum.at(low, index, projection)
    np.maximum.at(high, index, projection)
    centre_length = high - low
    effective = (stretch * centre_length + 1.0) / (centre_length + 1.0)
    is_track = library.kind == _MUON
    if stretch == 1.0 and charge_ratio == 1.0:
        is_track = np.zeros(n, dtype=bool)
    # every pixel of a track becomes 4 x 4 charge points, mapped by p -> c + (I + (s - 1) u u^T)(p - c)
    track_pixel = is_track[index]
    sub = (np.arange(_SUBSAMPLE) + 0.5) / _SUBSAMPLE - 0.5
    sub_row = np.repeat(sub, _SUBSAMPLE)
    sub_col = np.tile(sub, _SUBSAMPLE)
    point_index = np.repeat(index[track_pixel], sub.size**2)
    point_row = (rows[track_pixel][:, None] + sub_row[None, :]).ravel()
    point_col = (cols[track_pixel][:, None] + sub_col[None, :]).ravel()
    point_charge = np.repeat(library.electrons[track_pixel] * charge_ratio / sub.size**2, sub.size**2)
    d_row = point_row - row_c[point_index]
    d_col = point_col - col_c[point_index]
    along = (d_row * u_row[point_index] + d_col * u_col[point_index]) * (effective[point_index] - 1.0)
    new_row = np.floor(row_c[point_index] + d_row + along * u_row[point_index] + 0.5).astype(np.int64)
    new_col = np.floor(col_c[point_index] + d_col + along * u_col[point_index] + 0.5).astype(np.int64)
    # sum the points per (footprint, pixel); untouched footprints keep their pixels
    keep = ~track_pixel
    all_index = np.concatenate([index[keep], point_index])
    all_row = np.concatenate([library.rows[keep], new_row])
    all_col = np.concatenate([library.cols[keep], new_col])
    all_charge = np.concatenate([library.electrons[keep], point_charge])
    span = int(max(np.abs(all_row).max(initial=0), np.abs(all_col).max(initial=0))) + 1
    key = (all_index * (2 * span + 1) + (all_row + span)) * (2 * span + 1) + (all_col + span)
    unique_key, inverse = np.unique(key, return_inverse=True)
    summed = np.bincount(inverse.ravel(), weights=all_charge, minlength=unique_key.size)
    pixel_col = unique_key % (2 * span + 1) - span
    pixel_row = (unique_key // (2 * span + 1)) % (2 * span + 1) - span
    pixel_footprint = unique_key // (2 * span + 1) ** 2
    counts = np.bincount(pixel_footprint, minlength=n)
    start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    # re-anchor: offsets relative to the pixel nearest the (unchanged) centroid; kinds keep their class
    anchor_row = np.floor(np.bincount(pixel_footprint, weights=summed * pixel_row, minlength=n)
                          / np.bincount(pixel_footprint, weights=summed, minlength=n) + 0.5).astype(np.int64)
    anchor_col = np.floor(np.bincount(pixel_footprint, weights=summed * pixel_col, minlength=n)
                          / np.bincount(pixel_footprint, weights=summed, minlength=n) + 0.5).astype(np.int64)
    return FootprintLibrary(
        rows=pixel_row - anchor_row[pixel_footprint], cols=pixel_col - anchor_col[pixel_footprint], electrons=summed,
        start=start, kind=library.kind.copy(), pixel_size_um=float(pixel_size_um), thickness_um=float(thickness_um),
        source=f"{library.source}, tracks rescaled to {pixel_size_um:g} um pixels / {thickness_um:g} um silicon",
    )


@functools.lru_cache(maxsize=8)
def _itl_library(pixel_size_um, thickness_um, min_charge):
    from ..realism.itl_footprints import ITL_PROFILE, read_itl_catalog_spans, span_pixels

    spans, _, _ = read_itl_catalog_spans()
    footprint, rows, cols, electrons, n = span_pixels(spans["fp_id"], spans["x0"], spans["y0"],
                                                      spans["pixel_values"])
    charge = np.bincount(footprint, weights=electrons, minlength=n)
    kept = charge >= min_charge
    renumber = np.cumsum(kept) - 1
    pixel_kept = kept[footprint]
    library = FootprintLibrary.from_pixels(
        renumber[footprint[pixel_kept]], rows[pixel_kept], cols[pixel_kept], electrons[pixel_kept],
        pixel_size_um=ITL_PROFILE.pixel_size_um, thickness_um=ITL_PROFILE.thickness_um,
        source="LSST DESC imSim cosmic_rays_itl_2017.fits.gz (ITL dark frames)",
    )
    if pixel_size_um is not None:
        library = rescale_footprints(library, pixel_size_um=pixel_size_um, thickness_um=thickness_um)
    # shared by every caller of the cache: freeze the arrays
    for array in (library.rows, library.cols, library.electrons, library.start, library.kind):
        array.flags.writeable = False
    return library


def itl_footprint_library(*, profile=None, min_charge=None):
    """The ITL catalogue's footprints, optionally reshaped for ``profile``'s sensor (cached per process).

    Parameters
    ----------
    profile : InstrumentProfile, optional
        Target sensor (:func:`rescale_footprints` with its pixel size and
        thickness); default: the footprints as measured (10 um, 100 um).
    min_charge : float, optional
        Keep footprints with at least this many electrons (as measured);
        default :data:`~crbench.realism.itl_footprints.CR_LIKE_MIN_CHARGE_E`
        (1109 of the catalogue's 1764 footprints).

    Returns
    -------
    FootprintLibrary
    """
    from ..realism.itl_footprints import CR_LIKE_MIN_CHARGE_E

    min_charge = CR_LIKE_MIN_CHARGE_E if min_charge is None else float(min_charge)
    if profile is None:
        return _itl_library(None, None, min_charge)
    return _itl_library(float(profile.pixel_size_um), float(profile.thickness_um), min_charge)


def _oriented(rows, cols, orientation):
    """Apply the symmetries of :data:`_ORIENTATIONS` (index per pixel) to pixel offsets."""
    transpose = np.array([o[0] for o in _ORIENTATIONS])[orientation]
    flip_rows = np.array([o[1] for o in _ORIENTATIONS])[orientation]
    flip_cols = np.array([o[2] for o in _ORIENTATIONS])[orientation]
    rows, cols = np.where(transpose, cols, rows), np.where(transpose, rows, cols)
    return np.where(flip_rows, -rows, rows), np.where(flip_cols, -cols, cols)


def real_event_rate(profile):
    """Footprint events per cm^2 per s for ``profile``: its CR event rate times :data:`RATE_FACTORS` (default 1)."""
    return profile.cosmic_rays.rate_per_cm2_s * RATE_FACTORS.get(profile.name, 1.0)


def draw_real_cosmic_rays(shape, *, profile, exposure_time, rng, rate_scale=1.0, library=None):
    """Paint real cosmic-ray footprints into an empty image at the profile's event rate.

    Events arrive as a Poisson process of :func:`real_event_rate` ``x
    rate_scale`` per cm^2 per second over the image padded by the largest
    footprint radius (so footprints centred outside may cross into it); each
    takes a uniformly drawn footprint of ``library``, one of the 8 grid
    symmetries and a uniform integer anchor position. Charge outside the
    image is cut.

    Parameters
    ----------
    shape : tuple of int
        Image shape (ny, nx).
    profile : InstrumentProfile
        Gives the event rate and pixel size (and the sensor for the default
        library). The rate factor of :data:`RATE_FACTORS` is calibrated for
        the default library; with another library, adjust ``rate_scale``.
    exposure_time : float
        Seconds.
    rng : numpy.random.Generator
    rate_scale : float, optional
        Multiplies the event rate.
    library : FootprintLibrary, optional
        Default: :func:`itl_footprint_library` for ``profile``.

    Returns
    -------
    CosmicRayField
        As :func:`~crbench.simulate.simulate_cosmic_rays` returns, with two
        more event columns: ``footprint`` (library index) and ``orientation``
        (0-7). ``x``, ``y`` are the anchor pixel, ``projected_length`` the
        footprint's straight-line extent, ``zenith_deg`` NaN.
    """
    if library is None:
        library = itl_footprint_library(profile=profile)
    ny, nx = shape
    pad = library.radius + 1
    area_cm2 = (ny + 2 * pad) * (nx + 2 * pad) * (profile.pixel_size_um * 1e-4) ** 2
    n_events = int(rng.poisson(real_event_rate(profile) * rate_scale * area_cm2 * exposure_time))
    chosen = rng.integers(0, len(library), n_events)
    orientation = rng.integers(0, len(_ORIENTATIONS), n_events)
    anchor_row = rng.integers(-pad, ny + pad, n_events)
    anchor_col = rng.integers(-pad, nx + pad, n_events)

    n_pixels = library.n_pixels[chosen]
    event = np.repeat(np.arange(n_events), n_pixels)
    first = np.repeat(library.start[chosen] - (np.cumsum(n_pixels) - n_pixels), n_pixels)
    pixel = first + np.arange(n_pixels.sum())
    d_row, d_col = _oriented(library.rows[pixel], library.cols[pixel], orientation[event])
    rows = anchor_row[event] + d_row
    cols = anchor_col[event] + d_col
    electrons = library.electrons[pixel]
    inside = (rows >= 0) & (rows < ny) & (cols >= 0) & (cols < nx)
    flat = rows[inside] * nx + cols[inside]
    kind = library.kind[chosen]
    charge = np.bincount(flat, weights=electrons[inside], minlength=ny * nx).reshape(shape)
    kind_charge = np.zeros((len(EVENT_KINDS), ny, nx), dtype=np.float32)
    for kind_index in range(len(EVENT_KINDS)):
        of_kind = kind[event[inside]] == kind_index
        kind_charge[kind_index] = np.bincount(flat[of_kind], weights=electrons[inside][of_kind],
                                              minlength=ny * nx).reshape(shape)
    events = {
        "kind": kind.astype(np.int8),
        "x": anchor_col.astype(np.float64),
        "y": anchor_row.astype(np.float64),
        "projected_length": library.length[chosen],
        "charge": np.bincount(event[inside], weights=electrons[inside], minlength=n_events),
        "zenith_deg": np.full(n_events, np.nan),
        "footprint": chosen.astype(np.int64),
        "orientation": orientation.astype(np.int8),
    }
    return CosmicRayField(charge=charge, kind_charge=kind_charge, events=events)
