"""User data set cards: labelled FITS files registered by ``crbench datasets add``, as a YAML file.

A card lists every image with its cosmic-ray mask (and optional ignore
mask), the sha256 of each file, the instrument numbers read from the
headers at ``add`` time and the :class:`~crbench.datasets.DatasetCard`
fields. Layout (``format: crbench-user-dataset/1``)::

    format: crbench-user-dataset/1
    crbench_version: 0.1.0
    card: {name: ..., version: '1', family: other, kind: user, splits: [test], ...}
    options: {images: [...], masks: '{stem}_crmask.fits', ignore: null, ext: 0, mask_ext: 0, units: adu,
              gain: {keyword: GAIN}, read_noise: {value: 5.0}, saturation: {keyword: SATURATE},
              sky_subtracted: false}
    samples:
      frame1:
        split: test
        image: {path: frame1.fits, sha256: ...}
        mask: {path: frame1_crmask.fits, sha256: ...}
        meta: {instrument: ..., units: adu, gain: 1.6, read_noise: 5.0, saturation: 60000.0, ...}

Paths are relative to the card's folder when every file lies in it or
below it (a card kept beside the data moves with it), else absolute.
The card is written and read with PyYAML's ``safe_dump`` / ``safe_load``
only.
"""

import datetime
import glob
import os
import re
from pathlib import Path

import numpy as np

from .. import __version__
from ..atomic import atomic_path
from ..errors import CorruptFileError, DataNotAvailableError, InputError, ShapeMismatchError
from ..fits_options import frame_name, read_fits_float64
from ..hashing import file_sha256
from .base import DatasetCard, SampleMeta

__all__ = [
    "FORMAT",
    "FAMILIES",
    "FAMILY_PROTOCOL_SOURCES",
    "CARD_SUFFIXES",
    "user_cards_dir",
    "default_card_path",
    "mask_path_for",
    "read_mask",
    "build_user_card",
    "write_user_card",
    "read_user_card",
    "find_user_card",
]

FORMAT = "crbench-user-dataset/1"
#: families a user card may name (matched against detectors' training data)
FAMILIES = ("lco", "decam", "hst", "other")
#: the built-in card whose classical-detector parameters a family adopts; other families state none, so
#: classical detectors run at their upstream defaults (crbench.detectors.upstream_defaults)
FAMILY_PROTOCOL_SOURCES = {"decam": "decam", "lco": "lco_1m"}
CARD_SUFFIXES = (".yaml", ".yml")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_PLACEHOLDERS = ("stem", "name")


def user_cards_dir():
    """Return the folder of user cards: ``$XDG_CONFIG_HOME/crbench/datasets`` (else ``~/.config/...``)."""
    config = os.environ.get("XDG_CONFIG_HOME")
    root = Path(config).expanduser() if config else Path.home() / ".config"
    return root / "crbench" / "datasets"


def default_card_path(name):
    """Return where ``crbench datasets add NAME`` writes its card without ``--card``."""
    return user_cards_dir() / f"{name}.yaml"


def mask_path_for(image_path, pattern, *, option="--masks"):
    """Return the mask file of one image: ``pattern`` with ``{stem}`` / ``{name}`` filled in.

    ``{stem}`` is the image's file name without its FITS suffix, ``{name}``
    the whole file name. A relative result is taken relative to the image's
    folder.

    Examples
    --------
    >>> str(mask_path_for("data/a.fits.fz", "{stem}_crmask.fits"))
    'data/a_crmask.fits'
    """
    image_path = Path(image_path)
    try:
        filled = pattern.format(stem=frame_name(image_path), name=image_path.name)
    except (KeyError, IndexError, ValueError) as err:
        raise InputError(f"{option} {pattern!r}: placeholders are {{stem}} and {{name}} only ({err!r})") from None
    path = Path(filled).expanduser()
    return path if path.is_absolute() else image_path.parent / path


def read_mask(path, *, ext, shape, what, binary=True):
    """Read a mask HDU as bool, checking its shape (and that it holds only 0 and 1 when ``binary``).

    Raises
    ------
    DataNotAvailableError
        A missing file.
    ShapeMismatchError, InputError
        A shape that differs from the image's, or (``binary``) a value other
        than 0 and 1; the message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise DataNotAvailableError(f"{path}: no such {what} file")
    data, _ = read_fits_float64(path, ext)
    if data.shape != tuple(shape):
        raise ShapeMismatchError(f"{path}: {what} shape {data.shape} differs from its image's {tuple(shape)}")
    if binary:
        bad = ~np.isin(data, (0.0, 1.0))
        if bad.any():
            values = np.unique(data[bad])[:5]
            raise InputError(f"{path}: {what} is not binary: {int(bad.sum())} pixels hold values other than 0 "
                             f"and 1 (e.g. {', '.join(f'{value:g}' for value in values)}); write 1 = CR, 0 = not")
        return data == 1.0
    if not np.isfinite(data).all():
        raise InputError(f"{path}: {what} holds NaN or inf pixels; write 0 = scored, nonzero = ignored")
    return data != 0


def _expand(patterns):
    paths = []
    for pattern in patterns:
        matches = sorted(glob.glob(os.path.expanduser(pattern))) if glob.has_magic(pattern) else [pattern]
        if not matches:
            raise InputError(f"--images {pattern!r} matches no file")
        paths.extend(Path(match) for match in matches)
    return paths


def _check_name(name):
    from . import DATASETS

    if not _NAME.match(name) or name.lower().endswith(CARD_SUFFIXES):
        raise InputError(f"data set name {name!r}: use letters, digits, '_', '-' and '.', starting with a letter "
                         "or digit, and no .yaml suffix")
    if name in DATASETS.names():
        raise InputError(f"data set name {name!r} is taken by a registered data set; choose another")


def _family_protocol(family):
    from . import DATASETS

    source = FAMILY_PROTOCOL_SOURCES.get(family)
    return {} if source is None else {key: dict(value) for key, value in DATASETS.get(source).card.detector_params.items()}


def _stored_path(path, card_folder):
    """``path`` relative to ``card_folder`` when it lies inside it, else absolute."""
    path = Path(os.path.abspath(path))
    try:
        return path.relative_to(Path(os.path.abspath(card_folder))).as_posix()
    except ValueError:
        return str(path)


def build_user_card(name, *, images, masks, card_path, ignore=None, ext=0, mask_ext=0, gain, read_noise,
                    saturation, units="adu", sky_subtracted=False, truth_dilation=3, family="other", split="test",
                    instrument=None, description=None, progress=False):
    """Check labelled FITS files and return the content of their user card.

    Parameters
    ----------
    name : str
        Data set name (not a registered one).
    images : sequence of str
        Glob patterns or paths of the images. A file that is another
        image's mask or ignore file is left out, so ``dir/*.fits`` may
        match the masks too.
    masks, ignore : str
        Patterns of each image's CR mask (1 = CR, 0 = not; nothing else) and
        optional ignore mask (nonzero = excluded from scoring), with
        ``{stem}`` and ``{name}`` placeholders (:func:`mask_path_for`).
    card_path : path-like
        Where the card will be written (paths inside its folder are stored
        relative to it).
    ext, mask_ext : int or str
        HDU of the images and of the mask files.
    gain, read_noise, saturation : crbench.stack.fits_input.HeaderValue
        Header keyword or value of each number (e-/ADU, e-, image units).
    units : {"adu", "electron"}
    sky_subtracted : bool
    truth_dilation : {1, 3}
    family : {"lco", "decam", "hst", "other"}
        Families ``decam`` and ``lco`` adopt the classical detectors'
        parameters of the built-in card named in
        :data:`FAMILY_PROTOCOL_SOURCES`; the others state none (upstream
        defaults).
    split : str
        The one split every image goes to.
    instrument, description : str, optional
    progress : bool

    Returns
    -------
    dict
        Ready for :func:`write_user_card`.

    Raises
    ------
    InputError, ShapeMismatchError, DataNotAvailableError, CorruptFileError
        A missing mask, a shape mismatch, a non-binary mask, a header without
        the named keyword, an unreadable file or two images of one stem;
        each names the file.
    """
    _check_name(name)
    if family not in FAMILIES:
        raise InputError(f"--family must be one of {FAMILIES}, not {family!r}")
    if truth_dilation not in (1, 3):
        raise InputError(f"--truth-dilation must be 1 or 3, not {truth_dilation!r}")
    if units not in ("adu", "electron"):
        raise InputError(f"--units must be adu or electron, not {units!r}")
    if not _NAME.match(split):
        raise InputError(f"--split {split!r}: use letters, digits, '_', '-' and '.'")
    candidates = _expand(images)
    label_files = {Path(os.path.abspath(mask_path_for(path, masks))) for path in candidates}
    if ignore:
        label_files |= {Path(os.path.abspath(mask_path_for(path, ignore, option="--ignore"))) for path in candidates}
    paths = [path for path in candidates if Path(os.path.abspath(path)) not in label_files]
    if not paths:
        raise InputError(f"--images {list(images)} matches only mask files")
    folder = Path(card_path).parent
    if progress:
        from tqdm.auto import tqdm

        paths = tqdm(paths, desc=f"checking {name}", unit="image")
    samples, headers = {}, {}
    for path in paths:
        sample_id = frame_name(path)
        if sample_id in samples:
            raise InputError(f"{path}: another image has the stem {sample_id!r}; stems are the sample ids")
        data, header = read_fits_float64(path, ext)
        mask_path = mask_path_for(path, masks)
        read_mask(mask_path, ext=mask_ext, shape=data.shape, what="CR mask")
        entry = {"split": split, "image": {"path": _stored_path(path, folder), "sha256": file_sha256(path)},
                 "mask": {"path": _stored_path(mask_path, folder), "sha256": file_sha256(mask_path)}}
        if ignore:
            ignore_path = mask_path_for(path, ignore, option="--ignore")
            read_mask(ignore_path, ext=mask_ext, shape=data.shape, what="ignore mask", binary=False)
            entry["ignore"] = {"path": _stored_path(ignore_path, folder), "sha256": file_sha256(ignore_path)}
        entry["meta"] = SampleMeta(
            instrument=instrument or str(header.get("INSTRUME", family)).strip().lower() or family,
            units=units,
            gain=gain.resolve(header, path),
            read_noise=read_noise.resolve(header, path),
            saturation=saturation.resolve(header, path),
            band=str(header["FILTER"]).strip() if "FILTER" in header else None,
            exposure_time=float(header["EXPTIME"]) if isinstance(header.get("EXPTIME"), (int, float)) else None,
            sky_subtracted=bool(sky_subtracted),
        ).to_dict()
        samples[sample_id] = entry
        headers[sample_id] = header
    instruments = sorted({entry["meta"]["instrument"] for entry in samples.values()})
    card = DatasetCard(
        name=name,
        version="1",
        family=family,
        description=description or f"{len(samples)} labelled FITS images added with 'crbench datasets add'",
        instrument=instruments[0] if len(instruments) == 1 else "mixed",
        truth_dilation=int(truth_dilation),
        ignore_policy="exclude",
        detector_params=_family_protocol(family),
        splits=(split,),
        source=f"user files, masks {masks!r}" + (f", ignore {ignore!r}" if ignore else ""),
        kind="user",
    )
    card_dict = card.to_dict()
    card_dict["splits"] = list(card_dict["splits"])
    return {
        "format": FORMAT,
        "crbench_version": __version__,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "card": card_dict,
        "options": {
            "images": [str(pattern) for pattern in images], "masks": masks, "ignore": ignore, "ext": ext,
            "mask_ext": mask_ext, "units": units, "gain": gain.describe(), "read_noise": read_noise.describe(),
            "saturation": saturation.describe(), "sky_subtracted": bool(sky_subtracted),
        },
        "samples": samples,
    }


def write_user_card(path, content, *, overwrite=False):
    """Write a card (``yaml.safe_dump``) atomically; refuse to replace one unless ``overwrite``."""
    import yaml

    path = Path(path)
    if path.exists() and not overwrite:
        raise InputError(f"{path} exists; pass --overwrite to replace it (e.g. after changing the files)")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        Path(tmp).write_text(yaml.safe_dump(content, sort_keys=False, default_flow_style=False))
    return path


def _check_entry(path, sample_id, entry):
    for role in ("image", "mask", "ignore"):
        item = entry.get(role)
        if role == "ignore" and item is None:
            continue
        if not isinstance(item, dict) or not isinstance(item.get("path"), str) or not isinstance(item.get("sha256"), str):
            raise CorruptFileError(f"{path}: sample {sample_id!r} has no valid {role!r} entry (path and sha256)")
    if not isinstance(entry.get("meta"), dict) or not isinstance(entry.get("split"), str):
        raise CorruptFileError(f"{path}: sample {sample_id!r} has no 'meta' mapping or 'split'")


def read_user_card(path):
    """Read and check a user card (``yaml.safe_load``).

    Returns
    -------
    content : dict
        As written by :func:`write_user_card`.
    card : DatasetCard

    Raises
    ------
    DataNotAvailableError
        No such file.
    CorruptFileError
        Not YAML, another format, or malformed entries.
    """
    import yaml

    path = Path(path)
    if not path.is_file():
        raise DataNotAvailableError(f"{path}: no such data set card; write one with 'crbench datasets add'")
    try:
        content = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise CorruptFileError(f"{path}: cannot read the data set card ({type(err).__name__}: {err})") from err
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        found = content.get("format") if isinstance(content, dict) else None
        raise CorruptFileError(f"{path}: format {found!r}, expected {FORMAT!r} (a card of 'crbench datasets add')")
    samples = content.get("samples")
    if not isinstance(samples, dict) or not samples:
        raise CorruptFileError(f"{path}: 'samples' is not a non-empty mapping")
    for sample_id, entry in samples.items():
        if not isinstance(entry, dict):
            raise CorruptFileError(f"{path}: sample {sample_id!r} is not a mapping")
        _check_entry(path, sample_id, entry)
    fields = dict(content.get("card") or {})
    fields["detector_params"] = dict(fields.get("detector_params") or {})
    fields["splits"] = tuple(fields.get("splits") or ())
    try:
        card = DatasetCard(**fields)
    except TypeError as err:
        raise CorruptFileError(f"{path}: the card has unknown or missing fields ({err})") from err
    except InputError as err:
        raise CorruptFileError(f"{path}: {err}") from err
    return content, card


def find_user_card(name):
    """Return the card file that ``name`` designates, or None.

    ``name`` designates a card if it is a path to a ``.yaml`` / ``.yml``
    file, or if :func:`default_card_path` of it exists.
    """
    if not name or ":" in name:
        return None
    candidate = Path(name).expanduser()
    if candidate.suffix.lower() in CARD_SUFFIXES and candidate.is_file():
        return candidate
    if _NAME.match(name):
        default = default_card_path(name)
        if default.is_file():
            return default
    return None
