"""Real DECam sky against simulated DECam frames: loading, masks and per-frame measurements.

The real material is the ``decam_stack_sfft`` reference set
(:mod:`crbench.reference_data`): ten 256 x 256 cut-outs of DECam CCD N6, i
band, 330 s, sky-subtracted ADU from the NOIRLab Community Pipeline. One
frame (``DEC-OBS04a``) is on its native pixel grid; nine were resampled with
LANCZOS3 onto it, which correlates their noise.

How each quantity is obtained (the same code runs on simulated frames):

- sky level: the frames are sky-subtracted, so the subtracted sky comes from
  the header: ``AVSKY`` (Community Pipeline average sky, ADU), else
  ``SATURATE - ESATUR`` (the cut-out tool's effective saturation after its
  sky subtraction), else the level that explains the measured noise with the
  header gain and read noise (:func:`~.sky_noise.sky_level_from_sigma`);
- background noise: robust sigma of pixels outside a deep source mask (from
  the median of the aligned stack for real frames, from the noiseless source
  model for simulated ones) and outside cosmic rays; on resampled frames the
  per-pixel sigma is too low, so the detector's noise is compared through
  the sigma of 4 x 4 block sums (:mod:`.sky_noise`);
- PSF FWHM: median of circular Moffat fits to isolated, unsaturated stars
  with aperture S/N >= 50 (:mod:`.psf_fwhm`);
- source counts: :func:`~.source_counts.detect_sources`, with cosmic rays
  masked (leave-one-out stack outliers for real frames, the simulator's CR
  charge for simulated ones) and a sharpness cut as a backstop.
"""

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from .psf_fwhm import measure_psf_fwhm, stellar_locus_fwhm
from .sky_noise import expected_sky_sigma, measure_noise_correlation, robust_sigma, sky_level_from_sigma
from .source_counts import detect_sources, select_psf_stars

__all__ = [
    "REFERENCE_SET",
    "NATIVE_FRAME",
    "DECAM_PIXEL_SCALE",
    "DecamFrame",
    "FrameMeasurement",
    "load_decam_stack",
    "stack_source_mask",
    "stack_cosmic_ray_mask",
    "real_frame_masks",
    "model_source_mask",
    "measure_frame",
    "measure_real_frames",
    "measure_simulated_frame",
]

REFERENCE_SET = "decam_stack_sfft"
#: the one frame on its own detector grid; the other nine were resampled onto it
NATIVE_FRAME = "DEC-OBS04a"
#: arcsec per pixel at the DECam focal plane centre (Flaugher et al. 2015)
DECAM_PIXEL_SCALE = 0.263
#: block size whose sums recover the detector noise of LANCZOS3-resampled frames (kernel 6 px wide)
NOISE_BLOCK = 4
#: fewer stars on the stellar locus leave the FWHM unmeasured (one "star" may be a compact galaxy)
MIN_PSF_STARS = 2
#: narrowest PSF the sharpness cut assumes when a frame's FWHM is unmeasured, pixels
SHARPEST_PSF_FWHM = 1.5


@dataclass(frozen=True)
class DecamFrame:
    """One real DECam cut-out with the header numbers the measurements need.

    Attributes
    ----------
    name : str
        File stem, e.g. ``"DEC-OBS04a"``.
    exposure : str
        Archive exposure name (header ``EXP_BN``).
    image : ndarray of float64
        Sky-subtracted pixels, ADU.
    gain, read_noise : float
        Header ``GAIN`` (e-/ADU) and ``RDNOISE`` (e-).
    sky_level : float
        Subtracted sky, ADU per pixel.
    sky_source : str
        Where ``sky_level`` comes from (header keyword or the noise).
    saturation : float
        Saturation above the subtracted sky, ADU.
    exposure_time : float
        Seconds (``EXPTIME``).
    header_fwhm : float or None
        Community Pipeline median FWHM of the native exposure (``FWHM``), pixels.
    airmass : float or None
    resampled : bool
        True for the nine frames resampled onto the native frame's grid.
    """

    name: str
    exposure: str
    image: np.ndarray
    gain: float
    read_noise: float
    sky_level: float
    sky_source: str
    saturation: float
    exposure_time: float
    header_fwhm: float | None
    airmass: float | None
    resampled: bool

    @property
    def night(self):
        """Observing night from the exposure name (``c4d_YYMMDD_hhmmss_...``), e.g. ``"180804"``."""
        return self.exposure.split("_")[1] if self.exposure.startswith("c4d_") else self.name


def load_decam_stack(paths=None):
    """Load the real DECam frames.

    Parameters
    ----------
    paths : sequence of path-like, optional
        FITS files; by default the verified ``decam_stack_sfft`` reference
        files (:func:`crbench.reference_data.reference_paths`).

    Returns
    -------
    list of DecamFrame
    """
    from astropy.io import fits

    if paths is None:
        from ..reference_data import reference_paths

        paths = reference_paths(REFERENCE_SET)
    from ..safe_files import check_fits_file

    frames = []
    for path in paths:
        check_fits_file(path)  # regular file, declared sizes within limits
        with fits.open(path) as hdus:
            header = hdus[0].header
            image = np.asarray(hdus[0].data, dtype=np.float64)
        name = str(path).rsplit("/", 1)[-1].split(".")[0]
        frames.append(_frame_from_header(name, image, header))
    return frames


def _frame_from_header(name, image, header):
    gain = float(header["GAIN"])
    read_noise = float(header["RDNOISE"])
    if "AVSKY" in header:
        sky_level, sky_source = float(header["AVSKY"]), "header AVSKY"
    elif "ESATUR" in header and "SATURATE" in header:
        sky_level, sky_source = float(header["SATURATE"]) - float(header["ESATUR"]), "header SATURATE - ESATUR"
    else:
        sigma = robust_sigma(image, mask=_sigma_clip_mask(image))
        sky_level, sky_source = sky_level_from_sigma(sigma, gain=gain, read_noise=read_noise), "noise and gain"
    if "ESATUR" in header:
        saturation = float(header["ESATUR"])
    else:
        saturation = float(header["SATURATE"]) - sky_level
    return DecamFrame(
        name=name,
        exposure=str(header.get("EXP_BN", name)),
        image=image,
        gain=gain,
        read_noise=read_noise,
        sky_level=sky_level,
        sky_source=sky_source,
        saturation=saturation,
        exposure_time=float(header["EXPTIME"]),
        header_fwhm=float(header["FWHM"]) if "FWHM" in header else None,
        airmass=float(header["AIRMASS"]) if "AIRMASS" in header else None,
        resampled=name != NATIVE_FRAME,
    )


def _sigma_clip_mask(image, nsigma=3.0):
    from astropy.stats import mad_std

    return np.abs(image - np.median(image)) > nsigma * mad_std(image)


def model_source_mask(model, *, level, smooth_sigma=1.5, min_area=5, dilate=3):
    """Mask pixels where a (noiseless or deep) source image exceeds ``level`` after smoothing.

    Parameters
    ----------
    model : ndarray
        Source light with the sky removed: a noiseless model, or the median
        of an aligned stack.
    level : float
        Threshold on the Gaussian-smoothed model, same units.
    smooth_sigma : float, optional
        Gaussian smoothing sigma, pixels.
    min_area : int, optional
        Connected groups of fewer pixels above ``level`` are dropped (noise
        peaks of a stack).
    dilate : int, optional
        Grow the mask by this many pixels (source wings).

    Returns
    -------
    ndarray of bool
        True on sources.
    """
    smoothed = ndimage.gaussian_filter(np.asarray(model, dtype=np.float64), smooth_sigma)
    labels, _ = ndimage.label(smoothed > level)
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    mask = sizes[labels] >= min_area
    return ndimage.binary_dilation(mask, iterations=dilate) if dilate else mask


def stack_source_mask(images, *, nsigma=2.0, smooth_sigma=1.5, dilate=3):
    """Deep source mask of an aligned stack of sky-subtracted frames.

    Each frame is divided by its robust sigma, the median over frames is
    smoothed, and pixels above ``nsigma`` times the smoothed median's own
    robust sigma are masked (then grown). Ten frames reach about 2.5 times
    deeper than one, so faint source wings leave the noise measurement.

    Returns
    -------
    ndarray of bool
        True on sources.
    """
    normalised = np.array([image / robust_sigma(image) for image in images])
    median = np.median(normalised, axis=0)
    smoothed_sigma = robust_sigma(ndimage.gaussian_filter(median, smooth_sigma))
    return model_source_mask(median, level=nsigma * smoothed_sigma, smooth_sigma=smooth_sigma, dilate=dilate)


def stack_cosmic_ray_mask(images, index, *, nsigma=5.0, min_excess_fraction=0.5, dilate=1):
    """Mask cosmic rays of frame ``index`` of an aligned stack by comparison with the others.

    A pixel is a cosmic ray if the frame exceeds the median of the other
    frames by more than ``nsigma`` robust sigmas of that difference *and*
    the excess is more than ``min_excess_fraction`` of the frame's value
    (so that a star's core in a frame of sharper seeing than the median,
    which exceeds it by at most a few tens of per cent, is not taken for a
    cosmic ray).

    Returns
    -------
    ndarray of bool
        True on cosmic-ray pixels (grown by ``dilate``).
    """
    images = np.asarray(images, dtype=np.float64)
    others = np.delete(images, index, axis=0)
    difference = images[index] - np.median(others, axis=0)
    sigma = robust_sigma(difference)
    mask = (difference > nsigma * sigma) & (difference > min_excess_fraction * images[index])
    return ndimage.binary_dilation(mask, iterations=dilate) if dilate else mask


def real_frame_masks(frames, *, cr_nsigma=5.0):
    """Deep source mask of the stack and one cosmic-ray mask per frame.

    Cosmic rays are found by comparing each frame with the median of the
    other frames *of the same night*: the field holds sources that vary
    between the 2016 and 2018 nights, and those must not be taken for
    cosmic rays.

    Parameters
    ----------
    frames : list of DecamFrame
        Aligned frames.
    cr_nsigma : float, optional
        Threshold of :func:`stack_cosmic_ray_mask`.

    Returns
    -------
    source_mask : ndarray of bool
    cosmic_ray_masks : list of ndarray of bool
    """
    images = np.array([frame.image for frame in frames])
    source_mask = stack_source_mask(images)
    cosmic_ray_masks = []
    for index, frame in enumerate(frames):
        same_night = [j for j, other in enumerate(frames) if other.night == frame.night]
        if len(same_night) < 3:
            same_night = list(range(len(frames)))
        cosmic_ray_masks.append(
            stack_cosmic_ray_mask(images[same_night], same_night.index(index), nsigma=cr_nsigma)
        )
    return source_mask, cosmic_ray_masks


@dataclass
class FrameMeasurement:
    """Everything measured on one frame (ADU unless stated).

    Attributes
    ----------
    label : str
        Frame name.
    kind : str
        ``"real native"``, ``"real resampled"``, or a simulated kind.
    exposure_time, gain, read_noise, sky_level : float
        Inputs (sky in ADU per pixel).
    expected_sigma : float
        ``sqrt(sky * gain + read_noise**2) / gain``.
    pixel_sigma : float
        Robust per-pixel sigma of the background.
    white_sigma : float
        Uncorrelated-equivalent per-pixel sigma from ``NOISE_BLOCK`` blocks.
    lag1_x, lag1_y : float
        Neighbour correlation of the background.
    block_variance_ratio : float
        ``(white_sigma / pixel_sigma)**2``.
    fwhm : float
        Median Moffat FWHM of the stellar locus, pixels
        (:func:`~.psf_fwhm.stellar_locus_fwhm`); NaN with fewer than
        ``MIN_PSF_STARS`` stars, and then the catalogue uses ``fwhm_guess``
        for its aperture and ``SHARPEST_PSF_FWHM`` for its sharpness cut.
    fwhm_spread : float
        Robust sigma of the locus FWHMs, pixels.
    n_psf_stars : int
    catalog : SourceCatalog
    truth : dict
        Simulation truth when known (``psf_fwhm_px``, ``n_stars``, ...).
    """

    label: str
    kind: str
    exposure_time: float
    gain: float
    read_noise: float
    sky_level: float
    expected_sigma: float
    pixel_sigma: float
    white_sigma: float
    lag1_x: float
    lag1_y: float
    block_variance_ratio: float
    fwhm: float
    fwhm_spread: float
    n_psf_stars: int
    catalog: object
    truth: dict = field(default_factory=dict)

    @property
    def sky_e_per_s(self):
        """Sky rate, electrons per pixel per second."""
        return self.sky_level * self.gain / self.exposure_time

    @property
    def noise_ratio(self):
        """Detector noise over expectation: ``white_sigma`` for resampled frames, else ``pixel_sigma``."""
        return self.white_sigma / self.expected_sigma

    def density(self, *, min_snr=10.0):
        """Sources per square arcminute with aperture S/N >= ``min_snr``."""
        return self.catalog.density(min_snr=min_snr)


def measure_frame(image, *, label, kind, gain, read_noise, sky_level, exposure_time, saturation,
                  source_mask, cosmic_ray_mask=None, pixel_scale=DECAM_PIXEL_SCALE, fwhm_guess=4.0,
                  truth=None):
    """Measure noise, PSF and source counts of one sky-subtracted frame in ADU.

    Parameters
    ----------
    image : ndarray
        Sky-subtracted ADU.
    label, kind : str
        Names carried into the result.
    gain, read_noise : float
        e-/ADU and e-.
    sky_level : float
        Subtracted sky, ADU per pixel.
    exposure_time : float
        Seconds.
    saturation : float
        Saturation above the subtracted sky, ADU.
    source_mask : ndarray of bool
        True on sources (left out of the noise measurement).
    cosmic_ray_mask : ndarray of bool, optional
        True on cosmic rays and defects (left out of everything).
    pixel_scale : float, optional
        Arcsec per pixel.
    fwhm_guess : float, optional
        Pixels; starts the first detection pass and the fits, and sets the
        aperture when the FWHM cannot be measured.
    truth : dict, optional
        Stored as is.

    Returns
    -------
    FrameMeasurement
    """
    data = np.asarray(image, dtype=np.float64)
    bad = np.zeros(data.shape, dtype=bool) if cosmic_ray_mask is None else np.asarray(cosmic_ray_mask, bool)
    noise = measure_noise_correlation(data, mask=source_mask | bad, block_sizes=(2, NOISE_BLOCK))
    white_sigma = noise.block_sigma[NOISE_BLOCK]
    common = dict(gain=gain, pixel_sigma=noise.pixel_sigma, white_sigma=white_sigma, pixel_scale=pixel_scale,
                  exposure_time=exposure_time, mask=bad)
    # first pass without the sharpness cut (the FWHM is not known yet): only to find PSF stars
    first = detect_sources(data, fwhm=fwhm_guess, max_sharpness=np.inf, **common)
    stars = select_psf_stars(first, saturation_e=saturation * gain)
    fits = measure_psf_fwhm(data, stars, sigma=noise.pixel_sigma, mask=bad, fwhm_guess=fwhm_guess)
    fwhm, fwhm_spread, n_psf_stars = stellar_locus_fwhm(fits)
    if n_psf_stars >= MIN_PSF_STARS:
        catalog = detect_sources(data, fwhm=fwhm, **common)
    else:
        fwhm = fwhm_spread = float("nan")
        catalog = detect_sources(data, fwhm=fwhm_guess, sharpness_fwhm=SHARPEST_PSF_FWHM, **common)
    return FrameMeasurement(
        label=label,
        kind=kind,
        exposure_time=float(exposure_time),
        gain=float(gain),
        read_noise=float(read_noise),
        sky_level=float(sky_level),
        expected_sigma=expected_sky_sigma(sky_level, gain=gain, read_noise=read_noise),
        pixel_sigma=noise.pixel_sigma,
        white_sigma=white_sigma,
        lag1_x=noise.lag1_x,
        lag1_y=noise.lag1_y,
        block_variance_ratio=noise.block_variance_ratio(NOISE_BLOCK),
        fwhm=fwhm,
        fwhm_spread=fwhm_spread,
        n_psf_stars=n_psf_stars,
        catalog=catalog,
        truth=dict(truth or {}),
    )


def measure_real_frames(frames=None):
    """Measure every real DECam frame (default: the verified reference set).

    Returns
    -------
    list of FrameMeasurement
        Kind ``"real native"`` or ``"real resampled"``; ``truth`` holds the
        header FWHM, airmass, night, cosmic-ray pixel count, where the sky
        came from and the saturation above the sky (ADU).
    """
    frames = load_decam_stack() if frames is None else frames
    source_mask, cosmic_ray_masks = real_frame_masks(frames)
    results = []
    for frame, cosmic_rays in zip(frames, cosmic_ray_masks):
        results.append(measure_frame(
            frame.image, label=frame.name, kind="real resampled" if frame.resampled else "real native",
            gain=frame.gain, read_noise=frame.read_noise, sky_level=frame.sky_level,
            exposure_time=frame.exposure_time, saturation=frame.saturation, source_mask=source_mask,
            cosmic_ray_mask=cosmic_rays,
            truth={"header_fwhm": frame.header_fwhm, "airmass": frame.airmass, "night": frame.night,
                   "n_cosmic_ray_pixels": int(cosmic_rays.sum()), "sky_source": frame.sky_source,
                   "saturation": frame.saturation},
        ))
    return results


#: source-mask threshold on the smoothed noiseless model, in per-pixel sigmas: the depth that
#: :func:`stack_source_mask` reaches on the ten-frame stack (2 sigma of a median 0.39 times a
#: frame's noise, smoothed by a sigma 1.5 px Gaussian, which leaves 0.19 of white noise)
MODEL_MASK_LEVEL = 0.15


def measure_simulated_frame(image, *, source_model, cr_model, defects, ignore, gain, read_noise, sky_level,
                            exposure_time, saturation, label, kind, truth=None):
    """Measure one simulated frame as :func:`measure_real_frames` measures a real one.

    The source mask comes from the noiseless source model at the depth of
    the real stack's mask (:data:`MODEL_MASK_LEVEL`); cosmic rays (charge
    above one sigma), defects and ignored pixels are masked from the
    simulator's truth, where the real frames use the same-night stack.

    Parameters
    ----------
    image, source_model, cr_model : ndarray
        ADU (sky-subtracted image; noiseless sources; deposited CR charge).
    defects : ndarray of int
        Defect class map (0 = none).
    ignore : ndarray of bool
        Saturated and border pixels.
    gain, read_noise, sky_level, exposure_time, saturation : float
        As in :func:`measure_frame`.
    label, kind : str
    truth : dict, optional

    Returns
    -------
    FrameMeasurement
    """
    sigma = expected_sky_sigma(sky_level, gain=gain, read_noise=read_noise)
    source_mask = model_source_mask(source_model, level=MODEL_MASK_LEVEL * sigma)
    cosmic_rays = (np.asarray(cr_model) > sigma) | (np.asarray(defects) > 0) | np.asarray(ignore, dtype=bool)
    cosmic_rays = ndimage.binary_dilation(cosmic_rays, iterations=1)
    return measure_frame(image, label=label, kind=kind, gain=gain, read_noise=read_noise, sky_level=sky_level,
                         exposure_time=exposure_time, saturation=saturation, source_mask=source_mask,
                         cosmic_ray_mask=cosmic_rays, truth=truth)
