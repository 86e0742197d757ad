"""Simulated cosmic-ray footprints against 11,986 real ones from LSST ITL dark frames.

The reference is the cosmic-ray catalogue that LSST DESC imSim paints into
its images (``data/cosmic_rays_itl_2017.fits.gz``, reference set
``imsim_cr_catalog``): footprints harvested from dark frames of an LSST ITL
sensor (STA3800/3900: 10 um pixels, 100 um thick fully depleted silicon) on
the camera team's Tucson test stand. imSim's extraction script
(``bin/extract_cosmic_rays.py`` of LSSTDESC/imSim, the 2017 version) works on
each 509 x 2000 amplifier of a dark: subtract a 10 x 10-bin background model,
set the threshold to ``median + nsig * STDEVCLIP`` (``nsig`` = 7 by default;
afw's 3-sigma, 3-iteration clipped standard deviation) and take the
footprints of ``afw.detection.FootprintSet`` (8-connected, no minimum size,
no grow) that do not touch bright pixels or columns; each footprint is
stored as row spans of ``int(gain * ADU)`` electrons. Only pixels above the
threshold are stored. The catalogue's own numbers agree: its smallest pixel
value is 49 e-, the pixel-value histogram reaches its plateau at 52 e-
(a few amplifiers have a slightly lower threshold), and 48 footprints are
connected only through a diagonal.

This module reads the catalogue into per-footprint statistics, simulates
the same measurement on ITL-like amplifiers with
:func:`crbench.simulate.simulate_cosmic_rays`, and compares the two
distributions (two-sample Kolmogorov-Smirnov distance and quantiles).
"""

from dataclasses import dataclass

import numpy as np
from scipy import ndimage, stats

from ..simulate.cosmics import simulate_cosmic_rays
from ..simulate.profiles import CosmicRayModel, InstrumentProfile

__all__ = [
    "CATALOG_FILE",
    "CATALOG_SET",
    "EXTRACTION_NSIG",
    "FootprintStatistics",
    "ITL_AMP_SHAPE",
    "ITL_PROFILE",
    "CR_LIKE_MIN_CHARGE_E",
    "QUANTILES",
    "STATISTICS",
    "compare_footprints",
    "extract_footprints",
    "footprints_from_spans",
    "read_itl_catalog",
    "read_itl_catalog_spans",
    "span_pixels",
    "simulate_itl_footprints",
]

CATALOG_SET = "imsim_cr_catalog"
CATALOG_FILE = "cosmic_rays_itl_2017.fits.gz"

#: imSim's extraction threshold in units of the amplifier's clipped noise sigma.
EXTRACTION_NSIG = 7.0
#: Imaging section of one ITL amplifier (rows, columns): 16 of them make the 4000 x 4072 sensor.
ITL_AMP_SHAPE = (2000, 509)
#: Per-footprint quantities compared between real and simulated footprints.
STATISTICS = ("n_pixels", "extent", "charge")
#: Footprints with less charge are mostly not cosmic rays: in the catalogue they pile up at the
#: threshold (single pixels, median 58 e-), 75 single-pixel positions recur up to 6 times (warm
#: pixels under imSim's 0.1 e-/s mask cut; chance would give 0.1) and they crowd one corner of
#: the amplifier (glow). The catalogue's charge histogram has its minimum at 300-1000 e-, and a
#: minimum-ionising particle crossing 100 um leaves ~8000 e-.
CR_LIKE_MIN_CHARGE_E = 1000.0
#: Quantiles reported for each quantity.
QUANTILES = (0.10, 0.25, 0.50, 0.75, 0.90)

# Sensor noise of the simulated darks. With nsig = 7, the catalogue's threshold edge (52 e-,
# see the module docstring) is a clipped sigma of 52 / 7 = 7.4 e-: read noise plus the dark
# shot noise of long test-stand darks, inside the LSST requirement of < 9 e- read noise.
_ITL_NOISE_E = 52.0 / EXTRACTION_NSIG

_ITL_SOURCES = {
    "geometry": "ITL STA3800/3900 CCDs of LSSTCam: 10 um pixels, 100 um thick fully depleted silicon, "
    "16 amplifiers of 509 x 2000 imaging pixels (O'Connor et al. 2016, SPIE 9915, 99150X; "
    "Doherty et al. 2014, SPIE 9154, 915418)",
    "noise": "clipped noise sigma 7.4 e- = the catalogue's 52 e- threshold edge / nsig 7 "
    "(imSim extract_cosmic_rays.py); LSST requirement read noise < 9 e-",
    "diffusion": "LSST sensor requirement: diffusion sigma < 5 um for 100 um thick fully depleted "
    "silicon; measured ITL values about 3.5-4.5 um (Snyder et al. 2021; O'Connor et al. 2016). "
    "Uniform-field estimate sqrt(2 kT/q z L / V) is ~2 um at 70 V; the low-field region near the "
    "back surface makes the measured value larger",
    "cosmic_rays": "PDG muon MPV and Landau width (crbench.simulate.profiles); event rate = the "
    "catalogue's rate of CR-like footprints (1109 with >= 1000 e- / 16.288 cm^2 / 1500 s); muon share "
    "= sea-level muon flux through a horizontal surface, ~1 cm^-2 min^-1 (PDG Review 'Cosmic rays'), "
    "~10 % more at Tucson's 730 m, over that rate; the rest are environmental-gamma electrons and spots",
}

# Events per cm^2 per s: the catalogue's CR-like footprints (see CR_LIKE_MIN_CHARGE_E) over its
# 16.288 cm^2 x 1500 s, and the muons among them (PDG: ~1 cm^-2 min^-1 at sea level, +10 % at 730 m).
_ITL_EVENT_RATE = 1109 / (16_288_000 * 1e-6) / 1500.0
_TUCSON_MUON_RATE = 1.1 / 60.0
_ITL_SPOT_FRACTION = CosmicRayModel.spot_fraction

#: An ITL-like sensor read out without sky: only what a dark frame of one amplifier needs.
ITL_PROFILE = InstrumentProfile(
    name="itl_dark",
    instrument="LSSTCam ITL CCD (test-stand dark frames)",
    telescope_class=None,
    pixel_scale_arcsec=0.2,
    pixel_size_um=10.0,
    thickness_um=100.0,
    bands=("dark",),
    seeing_median_arcsec={"dark": 0.7},
    exposure_range_s=(1500.0, 1500.0),
    read_noise_e=_ITL_NOISE_E,
    gain_e_per_adu=1.0,
    full_well_e=100000.0,
    units="electron",
    sky_subtracted=True,
    sky_e_per_pix_s={"dark": 0.0},
    zero_point={"dark": 0.0},
    cosmic_rays=CosmicRayModel(
        rate_per_cm2_s=_ITL_EVENT_RATE,
        diffusion_sigma_max_um=4.0,
        worm_fraction=1.0 - _TUCSON_MUON_RATE / _ITL_EVENT_RATE - _ITL_SPOT_FRACTION,
        spot_fraction=_ITL_SPOT_FRACTION,
    ),
    sources=_ITL_SOURCES,
)


@dataclass(frozen=True)
class FootprintStatistics:
    """Per-footprint statistics of a set of cosmic-ray footprints.

    Attributes
    ----------
    n_pixels : ndarray of int64
        Pixels above the threshold.
    extent : ndarray of float64
        Bounding-box diagonal ``hypot(h - 1, w - 1) + 1`` in pixels, the
        length used by :func:`crbench.simulate.labels.cr_objects` (1 for a
        single pixel, ``n`` for a straight row or column of ``n`` pixels).
    charge : ndarray of float64
        Summed electrons of the pixels above the threshold.
    peak : ndarray of float64
        Brightest pixel, electrons.
    exposure_s : float
        Total exposure time surveyed.
    area_cm2 : float
        Sensor area surveyed (pixels x pixel area).
    """

    n_pixels: np.ndarray
    extent: np.ndarray
    charge: np.ndarray
    peak: np.ndarray
    exposure_s: float
    area_cm2: float

    def __len__(self):
        return len(self.n_pixels)

    def select(self, keep):
        """Return the footprints where ``keep`` (bool array) is True, same exposure and area."""
        return FootprintStatistics(n_pixels=self.n_pixels[keep], extent=self.extent[keep], charge=self.charge[keep],
                                   peak=self.peak[keep], exposure_s=self.exposure_s, area_cm2=self.area_cm2)

    def cr_like(self, *, min_charge=CR_LIKE_MIN_CHARGE_E):
        """Return the footprints with at least ``min_charge`` electrons (see :data:`CR_LIKE_MIN_CHARGE_E`)."""
        return self.select(self.charge >= min_charge)

    @property
    def rate_per_cm2_s(self):
        """Footprints per cm^2 of sensor per second of exposure."""
        return len(self) / (self.area_cm2 * self.exposure_s)


def _per_footprint(index, rows, cols, values, n_footprints):
    """Statistics of footprints given their pixels (``index`` names each pixel's footprint)."""
    n_pixels = np.bincount(index, minlength=n_footprints).astype(np.int64)
    charge = np.bincount(index, weights=values, minlength=n_footprints)
    peak = np.full(n_footprints, -np.inf)
    np.maximum.at(peak, index, values)
    bounds = []
    for coordinate in (rows, cols):
        low = np.full(n_footprints, np.iinfo(np.int64).max)
        high = np.full(n_footprints, np.iinfo(np.int64).min)
        np.minimum.at(low, index, coordinate)
        np.maximum.at(high, index, coordinate)
        bounds.append(high - low)
    extent = np.hypot(bounds[0], bounds[1]) + 1.0
    return n_pixels, extent, charge, peak


def span_pixels(fp_id, x0, y0, pixel_values):
    """Expand footprint row spans (imSim's catalogue layout) into one entry per pixel.

    Parameters
    ----------
    fp_id, x0, y0 : array_like of int
        Footprint id, first column and row of each span.
    pixel_values : sequence of array_like
        Electrons of the span's pixels, starting at ``x0``.

    Returns
    -------
    footprint : ndarray of int64
        Index of each pixel's footprint, ``0 .. n_footprints - 1`` in increasing ``fp_id`` order.
    rows, cols : ndarray of int64
        Pixel coordinates.
    electrons : ndarray of float64
    n_footprints : int
    """
    lengths = np.array([len(values) for values in pixel_values], dtype=np.int64)
    _, span_footprint = np.unique(np.asarray(fp_id), return_inverse=True)
    n_footprints = int(span_footprint.max()) + 1 if len(lengths) else 0
    span_of_pixel = np.repeat(np.arange(len(lengths)), lengths)
    offset_in_span = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    cols = np.asarray(x0, dtype=np.int64)[span_of_pixel] + offset_in_span
    rows = np.asarray(y0, dtype=np.int64)[span_of_pixel]
    values = np.concatenate([np.asarray(v, dtype=np.float64) for v in pixel_values]) if len(lengths) else np.zeros(0)
    footprint = span_footprint.ravel()[span_of_pixel].astype(np.int64)
    return footprint, rows, cols, values, n_footprints


def footprints_from_spans(fp_id, x0, y0, pixel_values, *, exposure_s, area_cm2):
    """Per-footprint statistics from footprint row spans (imSim's catalogue layout).

    Parameters
    ----------
    fp_id, x0, y0 : array_like of int
        Footprint id, first column and row of each span.
    pixel_values : sequence of array_like
        Electrons of the span's pixels, starting at ``x0``.
    exposure_s, area_cm2 : float
        Exposure time and sensor area the footprints were harvested from.

    Returns
    -------
    FootprintStatistics
        One entry per distinct ``fp_id``, in increasing id order.
    """
    footprint, rows, cols, values, n_footprints = span_pixels(fp_id, x0, y0, pixel_values)
    n_pixels, extent, charge, peak = _per_footprint(footprint, rows, cols, values, n_footprints)
    return FootprintStatistics(n_pixels=n_pixels, extent=extent, charge=charge, peak=peak,
                               exposure_s=float(exposure_s), area_cm2=float(area_cm2))


def read_itl_catalog_spans(path=None):
    """Read the raw span table of imSim's ITL cosmic-ray catalogue.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        Default: the verified copy of the reference set
        (:func:`crbench.reference_data.reference_path`).

    Returns
    -------
    spans : dict
        ``fp_id``, ``x0``, ``y0`` (int64 arrays) and ``pixel_values`` (list of arrays, electrons).
    exposure_s : float
        Header ``EXPTIME``.
    area_cm2 : float
        Header ``NUM_PIX`` pixels of 10 um (ITL).
    """
    from astropy.io import fits

    if path is None:
        from ..reference_data import reference_path

        path = reference_path(CATALOG_SET, CATALOG_FILE)
    from ..safe_files import check_fits_file

    check_fits_file(path)  # regular file, declared sizes within limits
    with fits.open(path) as hdus:
        table = hdus["COSMIC_RAYS"]
        header = table.header
        data = table.data
        pixel_area_cm2 = (ITL_PROFILE.pixel_size_um * 1e-4) ** 2
        spans = {name: np.asarray(data[name], dtype=np.int64) for name in ("fp_id", "x0", "y0")}
        spans["pixel_values"] = [np.asarray(values) for values in data["pixel_values"]]
        return spans, float(header["EXPTIME"]), int(header["NUM_PIX"]) * pixel_area_cm2


def read_itl_catalog(path=None):
    """Read imSim's ITL cosmic-ray catalogue into per-footprint statistics.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        A FITS file with a ``COSMIC_RAYS`` binary table (columns ``fp_id``,
        ``x0``, ``y0``, ``pixel_values``; header ``EXPTIME`` in seconds and
        ``NUM_PIX`` pixels per sensor). Default: the verified copy of the
        reference set (:func:`crbench.reference_data.reference_path`).

    Returns
    -------
    FootprintStatistics
        Area is ``NUM_PIX`` pixels of 10 um (ITL).
    """
    spans, exposure_s, area_cm2 = read_itl_catalog_spans(path)
    return footprints_from_spans(spans["fp_id"], spans["x0"], spans["y0"], spans["pixel_values"],
                                 exposure_s=exposure_s, area_cm2=area_cm2)


def extract_footprints(image, *, threshold, exposure_s=0.0, pixel_size_um=None):
    """8-connected footprints of the pixels above ``threshold`` and their statistics.

    Parameters
    ----------
    image : ndarray, shape (ny, nx)
        Background-subtracted pixels, electrons.
    threshold : float
        A pixel belongs to a footprint when its value exceeds this (electrons).
    exposure_s : float, optional
        Exposure time recorded with the statistics.
    pixel_size_um : float, optional
        Pixel pitch giving the recorded area; default ITL's 10 um.

    Returns
    -------
    FootprintStatistics
    """
    pixel = ITL_PROFILE.pixel_size_um if pixel_size_um is None else pixel_size_um
    above = image > threshold
    labels, n_footprints = ndimage.label(above, structure=np.ones((3, 3), dtype=bool))
    rows, cols = np.nonzero(above)
    n_pixels, extent, charge, peak = _per_footprint(
        labels[rows, cols] - 1, rows, cols, image[rows, cols].astype(np.float64), n_footprints
    )
    return FootprintStatistics(n_pixels=n_pixels, extent=extent, charge=charge, peak=peak,
                               exposure_s=float(exposure_s), area_cm2=image.size * (pixel * 1e-4) ** 2)


def _clipped_sigma(values, *, n_sigma=3.0, n_iterations=3):
    """Median and n_sigma-clipped standard deviation (afw's MEDIAN and STDEVCLIP defaults)."""
    kept = values.ravel()
    for _ in range(n_iterations):
        centre = np.median(kept)
        sigma = kept.std()
        kept = kept[np.abs(kept - centre) < n_sigma * sigma]
    return float(np.median(values)), float(kept.std())


def _concatenate(parts, *, exposure_s, area_cm2):
    return FootprintStatistics(
        n_pixels=np.concatenate([p.n_pixels for p in parts]),
        extent=np.concatenate([p.extent for p in parts]),
        charge=np.concatenate([p.charge for p in parts]),
        peak=np.concatenate([p.peak for p in parts]),
        exposure_s=exposure_s,
        area_cm2=area_cm2,
    )


def simulate_itl_footprints(*, n_amplifiers, exposure_time, rng, profile=ITL_PROFILE, nsig=EXTRACTION_NSIG,
                            shape=ITL_AMP_SHAPE):
    """Simulate ITL dark amplifiers and extract their CR footprints as imSim did.

    Each amplifier gets the cosmic rays of ``exposure_time`` seconds
    (:func:`~crbench.simulate.simulate_cosmic_rays` with ``profile``) plus
    Gaussian noise of ``profile.read_noise_e``; pixels above ``median + nsig
    x`` clipped sigma form 8-connected footprints, and their values are
    truncated to whole electrons as in the catalogue.

    Parameters
    ----------
    n_amplifiers : int
    exposure_time : float
        Seconds per amplifier.
    rng : numpy.random.Generator
    profile : InstrumentProfile, optional
    nsig : float, optional
    shape : tuple of int, optional
        Amplifier imaging section (rows, columns).

    Returns
    -------
    statistics : FootprintStatistics
        Area of all ``n_amplifiers`` amplifiers and the exposure of each,
        so ``statistics.rate_per_cm2_s`` compares with the catalogue's.
    n_events : int
        Simulated events (all kinds) whose entry point lies inside the
        amplifiers, for the footprints-per-event ratio.
    """
    parts = []
    n_events = 0
    for _ in range(n_amplifiers):
        field = simulate_cosmic_rays(shape, profile=profile, exposure_time=exposure_time, rng=rng)
        image = field.charge + rng.normal(0.0, profile.read_noise_e, shape)
        median, sigma = _clipped_sigma(image)
        footprints = extract_footprints(np.trunc(image - median), threshold=nsig * sigma,
                                        pixel_size_um=profile.pixel_size_um)
        parts.append(footprints)
        x, y = field.events["x"], field.events["y"]
        n_events += int(np.count_nonzero((x > -0.5) & (x < shape[1] - 0.5) & (y > -0.5) & (y < shape[0] - 0.5)))
    area_cm2 = n_amplifiers * shape[0] * shape[1] * (profile.pixel_size_um * 1e-4) ** 2
    return _concatenate(parts, exposure_s=float(exposure_time), area_cm2=area_cm2), n_events


def compare_footprints(real, simulated, *, statistics=STATISTICS, quantiles=QUANTILES):
    """Compare two sets of footprints quantity by quantity.

    Parameters
    ----------
    real, simulated : FootprintStatistics
    statistics : sequence of str, optional
        Attribute names of :class:`FootprintStatistics` to compare.
    quantiles : sequence of float, optional

    Returns
    -------
    dict of str to dict
        Per quantity: ``ks`` (two-sample Kolmogorov-Smirnov distance,
        :func:`scipy.stats.ks_2samp`), ``p_value``, ``real_quantiles`` and
        ``simulated_quantiles`` (arrays in the order of ``quantiles``).
    """
    result = {}
    for name in statistics:
        a, b = getattr(real, name), getattr(simulated, name)
        test = stats.ks_2samp(a, b)
        result[name] = {
            "ks": float(test.statistic),
            "p_value": float(test.pvalue),
            "real_quantiles": np.quantile(a, quantiles),
            "simulated_quantiles": np.quantile(b, quantiles),
        }
    return result
