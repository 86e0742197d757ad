"""``crbench detect`` on FITS files: read one image HDU, detect, write the image with its CR mask beside it.

Each input ``<stem>.fits`` (or ``.fits.fz``, any HDU) gives
``<stem>_crbench.fits`` beside it or in an output folder:

* HDU 0: the input image, unchanged (its values and dtype as astropy reads
  them, decompressed for a compressed HDU) with its own header;
* ``CRPROB`` (score detectors only): the float32 score map in [0, 1], NaN
  where the image is not finite;
* ``CRMASK``: uint8, 1 = cosmic ray;

``CRPROB`` and ``CRMASK`` carry the provenance keywords of
:func:`crbench.detection.provenance_cards` plus the input's file name,
extension and sha256, the units, and the gain, read noise and saturation
used with where each came from. The file is written atomically
(:func:`crbench.atomic.atomic_path`); an existing output is refused unless
``overwrite``, and the input itself is never a destination.
"""

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import CRBenchError, InputError

__all__ = ["FitsDetectOptions", "FileOutcome", "output_path", "detect_file", "detect_files", "units_from_header"]

OUTPUT_SUFFIX = "_crbench.fits"


@dataclass(frozen=True)
class FitsDetectOptions:
    """How to read and where to write every file of one ``crbench detect`` call.

    Attributes
    ----------
    ext : int, str or None
        HDU index or name; None: the first HDU holding a 2-D image.
    gain, read_noise, saturation : crbench.fits_options.HeaderValue
    units : str or None
        ``"adu"`` or ``"electron"``; None: from ``BUNIT`` (ADU when absent).
    sky_subtracted : bool
    output_dir : path-like or None
        None: beside each input.
    overwrite : bool
    """

    ext: object
    gain: object
    read_noise: object
    saturation: object
    units: str | None = None
    sky_subtracted: bool = False
    output_dir: object = None
    overwrite: bool = False


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one input file.

    Attributes
    ----------
    path : pathlib.Path
    output : pathlib.Path or None
        The file written (None on failure).
    n_flagged : int
        Cosmic-ray pixels.
    n_pixels : int
    error : str or None
        Why the file failed.
    """

    path: Path
    output: Path | None = None
    n_flagged: int = 0
    n_pixels: int = 0
    error: str | None = None


def output_path(path, output_dir=None):
    """``<stem>_crbench.fits`` beside ``path`` or in ``output_dir``."""
    from ..fits_options import frame_name

    path = Path(path)
    folder = Path(output_dir) if output_dir is not None else path.parent
    return folder / f"{frame_name(path)}{OUTPUT_SUFFIX}"


def units_from_header(header, primary_header, path):
    """Units of an image from its ``BUNIT`` keyword: ``"adu"`` when absent, InputError when not adu/electron."""
    bunit = header.get("BUNIT", primary_header.get("BUNIT"))
    if bunit is None or str(bunit).strip() == "":
        return "adu"
    import astropy.units as u

    try:
        unit = u.Unit(str(bunit).strip(), parse_strict="silent")
    except ValueError:
        unit = None
    spelled = str(bunit).strip().lower()
    if unit == u.adu or spelled in ("adu", "adus", "count", "counts", "dn"):
        return "adu"
    if unit == u.electron or spelled in ("electron", "electrons", "e-"):
        return "electron"
    raise InputError(f"{path}: BUNIT = {bunit!r} is neither ADU nor electrons; pass --units adu|electron "
                     "if the pixels are one of them (or convert the image first)")


def _image_hdu(image):
    """The input image as a primary HDU with its own header (astropy rewrites the structural keywords)."""
    from astropy.io import fits

    header = image.header.copy()
    for key in ("XTENSION", "PCOUNT", "GCOUNT", "SIMPLE", "EXTEND"):
        header.remove(key, ignore_missing=True, remove_all=True)
    return fits.PrimaryHDU(data=image.data, header=header)


def _card(key, value, comment):
    """A header card; its comment is dropped when value and comment do not fit one 80-character card."""
    import warnings

    from astropy.io import fits
    from astropy.io.fits.verify import VerifyWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", VerifyWarning)
        try:
            card = fits.Card(key, value, comment)
            card.image  # formatting is where astropy notices a comment that does not fit  # noqa: B018
            return card
        except VerifyWarning:
            return fits.Card(key, value)


def _product_header(setup, cards):
    from astropy.io import fits

    from ..detection import provenance_cards

    return fits.Header([_card(key, value, comment)
                        for key, (value, comment) in {**provenance_cards(setup), **cards}.items()])


def detect_file(setup, path, options):
    """Detect cosmic rays in one FITS file and write its ``_crbench.fits``.

    Parameters
    ----------
    setup : crbench.detection.DetectorSetup
    path : path-like
    options : FitsDetectOptions

    Returns
    -------
    FileOutcome

    Raises
    ------
    CRBenchError
        An unreadable file, a missing keyword, an existing output without
        ``overwrite``, an output that would replace the input.
    """
    from astropy.io import fits

    from ..atomic import atomic_path
    from ..detection import detect_array
    from ..fits_options import read_fits_image
    from ..hashing import file_sha256

    path = Path(path)
    destination = output_path(path, options.output_dir)
    if destination.resolve() == path.resolve():
        raise InputError(f"{path}: the output would replace the input; pass --output DIR")
    if destination.exists() and not options.overwrite:
        raise InputError(f"{destination} exists; pass --overwrite to replace it")
    image = read_fits_image(path, options.ext)
    units = options.units or units_from_header(image.header, image.primary_header, path)
    numbers = {
        name: value.resolve(image.header, path, fallback=image.primary_header)
        for name, value in (("gain", options.gain), ("read_noise", options.read_noise),
                            ("saturation", options.saturation))
    }
    result = detect_array(setup, image.data, units=units, gain=numbers["gain"], read_noise=numbers["read_noise"],
                          saturation=numbers["saturation"], sky_subtracted=options.sky_subtracted)
    sha256 = file_sha256(path)
    cards = {
        "CRB_IN": (path.name, "input file"),
        "CRB_EXT": (image.index, f"input HDU ({image.name})"),
        "CRB_SHA": (sha256, "sha256 of the input file"),
        "CRB_UNIT": (units, "units of the image"),
    }
    for key, name, option in (("CRB_GAIN", "gain", options.gain), ("CRB_RN", "read_noise", options.read_noise),
                              ("CRB_SAT", "saturation", options.saturation)):
        source = f"header {option.keyword}" if option.keyword else "given"
        value = numbers[name]
        cards[key] = (value if math.isfinite(value) else str(value), f"{name.replace('_', ' ')} ({source})")
    hdus = [_image_hdu(image)]
    if result.score is not None:
        hdus.append(fits.ImageHDU(data=result.score, header=_product_header(setup, cards), name="CRPROB"))
    hdus.append(fits.ImageHDU(data=result.mask.astype(np.uint8), header=_product_header(setup, cards),
                              name="CRMASK"))
    with atomic_path(destination, overwrite=options.overwrite) as tmp:
        fits.HDUList(hdus).writeto(tmp, overwrite=True, output_verify="exception")
    return FileOutcome(path=path, output=destination, n_flagged=int(result.mask.sum()),
                       n_pixels=int(result.mask.size))


def _failure(path, error):
    return FileOutcome(path=Path(path), error=f"{type(error).__name__}: {error}" if not isinstance(
        error, CRBenchError) else str(error))


def _detect_file_safely(setup, path, options):
    """:func:`detect_file` that turns any error into a failed :class:`FileOutcome` (one bad file stops nothing)."""
    try:
        return detect_file(setup, path, options)
    except KeyboardInterrupt:
        raise
    except Exception as error:  # noqa: BLE001 - a detector or a file may raise anything; it is reported
        return _failure(path, error)


# ---------------------------------------------------------------- worker processes (--jobs N)
_WORKER = {}


def _worker_init(detector, params, threshold, device):
    from ..detection import prepare_detector

    _WORKER["setup"] = prepare_detector(detector, params=params, threshold=threshold, device=device)


def _worker_detect(path, options):
    return _detect_file_safely(_WORKER["setup"], path, options)


def detect_files(paths, options, *, detector, params=None, threshold=None, device="auto", jobs=1, progress=True,
                 setup=None):
    """Run :func:`detect_file` over ``paths``; a file that fails is reported and the others go on.

    Parameters
    ----------
    paths : sequence of path-like
    options : FitsDetectOptions
    detector : str
        Registry name or ``"package.module:Class"``.
    params : dict, optional
    threshold : float, optional
    device : str
    jobs : int
        Worker processes (:class:`crbench.isolation.WorkerPool`; each sets
        the detector up once); 1 runs the files in this process.
    progress : bool
        A tqdm bar over files.
    setup : crbench.detection.DetectorSetup, optional
        Already prepared (``jobs == 1``); built here otherwise.

    Returns
    -------
    list of FileOutcome
        In the order of ``paths``.
    """
    from tqdm.auto import tqdm

    paths = [Path(path) for path in paths]
    bar = tqdm(total=len(paths), desc="crbench detect", unit="file", disable=not progress)
    try:
        if jobs <= 1 or len(paths) <= 1:
            if setup is None:
                from ..detection import prepare_detector

                setup = prepare_detector(detector, params=params, threshold=threshold, device=device)
            outcomes = []
            for path in paths:
                outcomes.append(_detect_file_safely(setup, path, options))
                bar.update()
            return outcomes
        from ..isolation import WorkerPool

        with WorkerPool(min(jobs, len(paths)), initializer=_worker_init,
                        initargs=(detector, params, threshold, device)) as pool:
            return pool.map(_worker_detect, [(path, options) for path in paths],
                            on_failure=lambda index, message: FileOutcome(path=paths[index], error=message),
                            on_done=bar.update)
    finally:
        bar.close()
