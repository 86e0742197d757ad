"""On-disk caches: where crbench keeps score maps, data and weights.

The root is ``$CRBENCH_CACHE`` or ``~/.cache/crbench``.

Score maps are **content addressed**: an entry's key names everything that
determines it,

* the detector's identity (:meth:`crbench.detectors.Detector.identity_hash`:
  registry name, version, class path, a hash of the source of every module
  that defines the class or one of its bases, and the versions of the
  packages it wraps),
* its parameter hash, and
* the sha256 of the input the detector saw (:func:`detection_input_sha256`:
  the pixels, truth and ignore masks and the sample metadata used for unit
  conversion).

Nothing about *where* the data came from (data set name, ``--data-dir``,
sample id) is part of the key, so two data locations with the same file
names can never share a map, while identical inputs do.

Entries are **immutable**: a map is written to a temporary file and linked
into place only if no entry exists (``os.link`` fails on an existing name),
so two concurrent runs that compute the same entry keep the first one and
both score the same bytes. Every save and load returns the sha256 of the
entry's bytes; the runner passes it back on later loads, and a changed
entry raises :class:`~crbench.errors.CacheChangedError` instead of being
scored. ``--fresh`` (``replace=True``) is the one way to supersede an entry.

Entries are **compressed** losslessly: the ``.npy`` bytes of the map go into
one zstandard frame, ``<key>.npy.zst`` (level 1, with the frame checksum; measured ratios and
timings in ``docs/score_cache.md``: about 240x for bit-packed masks, only
1.1x for float32 score maps, whose low mantissa bits are noise). A loaded
array is bit-identical to the one saved. Entries of older crbench versions,
plain ``<key>.npy``, are still read as they are (no recomputation); a new
save under the same key keeps the existing entry, as for any entry.

Each configuration folder also holds ``datasets.tsv``, an append-only
index of which data set a key was saved for (``crbench cache info``);
entries saved before it existed have none and show as ``unknown``.

A **damaged** entry (empty, truncated, not a zstandard frame or not a
``.npy``, the wrong shape or dtype, or scores that are not finite
probabilities) raises
:class:`~crbench.errors.CorruptFileError` naming the file; the runner then
discards it and recomputes. Temporary files of writers that were killed
are removed when a run opens its cache (:meth:`ScoreCache.remove_orphans`).
"""

import hashlib
import io
import json
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import zstandard

from .atomic import ORPHAN_AGE_SECONDS, atomic_path, remove_orphaned_temporaries
from .errors import CacheChangedError, CorruptFileError, CorruptFileWarning

__all__ = ["cache_root", "ScoreCache", "detection_input_sha256", "ENTRY_SUFFIX", "LEGACY_ENTRY_SUFFIX",
           "DATASET_INDEX_NAME"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]")

ENTRY_SUFFIX = ".npy.zst"
"""File suffix of a compressed entry (a zstandard frame holding ``.npy`` bytes)."""
LEGACY_ENTRY_SUFFIX = ".npy"
"""File suffix of an uncompressed entry written before issue 17 (still read)."""
DATASET_INDEX_NAME = "datasets.tsv"
"""Per-configuration index of ``key<TAB>data set`` lines (one per save)."""

# level 1: the same ratio as levels 3 and 9 on real maps and the fastest writes (docs/score_cache.md)
_ZSTD_LEVEL = 1
# a mask entry holds one bit-packed row per swept value; more rows than this is a damaged header
_MAX_MASK_ROWS = 4096
_NPY_HEADER_ALLOWANCE = 4096


def cache_root():
    """Return the crbench cache directory (``$CRBENCH_CACHE`` or ``~/.cache/crbench``)."""
    configured = os.environ.get("CRBENCH_CACHE")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "crbench"


def _safe(part):
    return _UNSAFE.sub("_", str(part))


def detection_input_sha256(sample_sha256, meta):
    """Return the sha256 naming what a detector sees for one sample.

    Parameters
    ----------
    sample_sha256 : str
        :func:`crbench.datasets.sample_sha256` of the validated sample (pixels,
        truth, ignore mask and shape).
    meta : crbench.datasets.SampleMeta
        The sample's metadata in its own units. Gain, units, saturation and
        the rest decide the converted image and what the detector is told.

    Returns
    -------
    str
        64 hex digits.
    """
    canonical = json.dumps({"sample": sample_sha256, "meta": meta.to_dict()}, sort_keys=True, default=repr)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class ScoreCache:
    """Content-addressed cache of one detector configuration's outputs.

    Parameters
    ----------
    root : path-like
        Cache root; the maps go below ``root / "scores"``.
    detector_name : str
        Registry name (only to keep the tree readable).
    identity_hash : str
        :meth:`crbench.detectors.Detector.identity_hash`.
    params_hash : str
        :attr:`crbench.detectors.Detector.params_hash`.

    Notes
    -----
    Entries are keyed by :func:`detection_input_sha256`. Score maps are
    stored as float32 ``.npy``; mask sweeps as bit-packed uint8 ``.npy`` of
    shape (n_values, ceil(ny * nx / 8)); either is zstandard-compressed
    (``.npy.zst``). Older uncompressed ``.npy`` entries are read as they
    are. The image shape is supplied at read time and checked, so a damaged
    entry is detected.
    """

    root: Path
    detector_name: str
    identity_hash: str
    params_hash: str

    @property
    def directory(self):
        """Directory of this detector configuration's entries."""
        return (Path(self.root) / "scores" / _safe(self.detector_name)
                / f"{_safe(self.identity_hash)}-{_safe(self.params_hash)}")

    def path(self, input_sha256):
        """Return the file path of the (compressed) entry for ``input_sha256``."""
        key = _safe(input_sha256)
        return self.directory / key[:2] / f"{key}{ENTRY_SUFFIX}"

    def legacy_path(self, input_sha256):
        """Return the file path an uncompressed entry of an older crbench had for ``input_sha256``."""
        key = _safe(input_sha256)
        return self.directory / key[:2] / f"{key}{LEGACY_ENTRY_SUFFIX}"

    def stored_path(self, input_sha256):
        """Return the path of the entry stored for ``input_sha256`` (compressed first), or None."""
        for path in (self.path(input_sha256), self.legacy_path(input_sha256)):
            if path.is_file():
                return path
        return None

    def has(self, input_sha256):
        """Return True when an entry for ``input_sha256`` exists (compressed or older uncompressed)."""
        return self.stored_path(input_sha256) is not None

    def _index(self, input_sha256, dataset):
        """Append ``key<TAB>dataset`` to the configuration's data set index.

        One short line in one ``write`` in append mode: concurrent writers
        do not interleave within a line on a local file system.
        """
        if dataset is None:
            return
        line = f"{_safe(input_sha256)}\t{_safe(dataset)}\n"
        with open(self.directory / DATASET_INDEX_NAME, "a", encoding="utf-8") as index:
            index.write(line)

    def save(self, input_sha256, prediction, *, replace=False, dataset=None):
        """Store a float32 score map, or a bool mask stack (bit-packed), compressed.

        Parameters
        ----------
        input_sha256 : str
        prediction : ndarray
            float32 (ny, nx) scores or bool (n_values, ny, nx) / (ny, nx) masks.
        replace : bool
            Supersede an existing entry (``--fresh``; an older uncompressed
            entry is removed). Otherwise an existing entry (compressed or
            not) wins and this prediction is dropped.
        dataset : str, optional
            Name of the data set the input came from, recorded in the
            configuration's index for ``crbench cache info`` / ``clear``
            (not part of the key).

        Returns
        -------
        str
            sha256 of the bytes of the entry now stored under the key (the
            existing entry's when it won).
        """
        prediction = np.asarray(prediction)
        if prediction.dtype == bool:
            flat = prediction.reshape(prediction.shape[0], -1) if prediction.ndim == 3 else prediction.reshape(1, -1)
            array = np.packbits(flat, axis=1)
        else:
            array = prediction.astype(np.float32, copy=False)
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        # the frame's checksum catches damage that would still decode to a plausible map
        payload = zstandard.ZstdCompressor(level=_ZSTD_LEVEL, write_checksum=True).compress(buffer.getvalue())
        if not replace and self.legacy_path(input_sha256).is_file():
            # an older uncompressed entry holds this key: it wins like any existing entry
            self._index(input_sha256, dataset)
            return self.digest(input_sha256)
        try:
            with atomic_path(self.path(input_sha256), overwrite=replace) as tmp:
                tmp.write_bytes(payload)
        except FileExistsError:
            # another run stored this entry first: keep it, so every reader sees one set of bytes
            self._index(input_sha256, dataset)
            return self.digest(input_sha256)
        if replace:
            self.legacy_path(input_sha256).unlink(missing_ok=True)
        self._index(input_sha256, dataset)
        return hashlib.sha256(payload).hexdigest()

    def _read(self, input_sha256, expected_sha256):
        where = self.stored_path(input_sha256)
        if where is None:
            raise FileNotFoundError(f"no cache entry {self.path(input_sha256)}")
        payload = where.read_bytes()
        digest = hashlib.sha256(payload).hexdigest()
        if expected_sha256 is not None and digest != expected_sha256:
            raise CacheChangedError(
                f"cache entry {where} changed while this run was using it "
                f"(sha256 {digest[:12]}..., expected {expected_sha256[:12]}...); another process replaced it "
                "(e.g. a concurrent --fresh run). Re-run; nothing was scored from the changed entry."
            )
        return where, payload, digest

    def digest(self, input_sha256):
        """Return the sha256 of the bytes of the entry for ``input_sha256``."""
        return self._read(input_sha256, None)[2]

    def load(self, input_sha256, *, shape, kind, expected_sha256=None):
        """Load an entry.

        Parameters
        ----------
        input_sha256 : str
        shape : tuple of int
            Image shape (ny, nx).
        kind : {"score", "mask"}
            ``"score"`` returns float32 (ny, nx); ``"mask"`` returns bool
            (n_values, ny, nx).
        expected_sha256 : str, optional
            The digest returned when the entry was saved or first loaded.

        Returns
        -------
        array : ndarray
        digest : str
            sha256 of the entry's bytes.

        Raises
        ------
        CorruptFileError
            A ``ValueError``: the entry is not a valid zstandard frame or
            ``.npy``, does not match ``shape``, or (scores) holds values
            that are not finite probabilities in [0, 1]. The caller
            discards it and recomputes.
        CacheChangedError
            When the entry's bytes differ from ``expected_sha256``.
        """
        where, payload, digest = self._read(input_sha256, expected_sha256)
        n_pixels = int(np.prod(shape))
        try:
            if where.name.endswith(ENTRY_SUFFIX):
                payload = _decompress(payload, kind=kind, n_pixels=n_pixels)
            array = np.load(io.BytesIO(payload), allow_pickle=False)
        except (EOFError, OSError, ValueError, zstandard.ZstdError) as err:  # empty, truncated, not a frame/.npy
            raise CorruptFileError(f"cached entry {where} is damaged ({len(payload)} bytes; "
                                   f"{type(err).__name__}: {err})") from err
        if kind == "score":
            if array.shape != tuple(shape) or array.dtype != np.float32:
                raise CorruptFileError(f"cached map {where} has shape {array.shape} and dtype {array.dtype}, "
                                       f"expected {tuple(shape)} float32")
            # a stored map was validated before it was saved: anything else was damaged on disk
            if array.size and not (np.isfinite(array.min()) and np.isfinite(array.max())
                                   and array.min() >= 0 and array.max() <= 1):
                raise CorruptFileError(f"cached map {where} holds scores outside [0, 1] or non-finite "
                                       "(damaged on disk; detectors' maps are checked before they are cached)")
            return array, digest
        if array.ndim != 2 or array.dtype != np.uint8 or array.shape[1] != -(-n_pixels // 8):
            raise CorruptFileError(f"cached masks {where} do not fit shape {shape}")
        masks = np.unpackbits(array, axis=1, count=n_pixels).astype(bool)
        return masks.reshape((array.shape[0],) + tuple(shape)), digest

    def load_valid(self, input_sha256, *, shape, kind):
        """Load an entry, or discard it with a warning naming the file when it is damaged.

        Parameters
        ----------
        input_sha256 : str
        shape : tuple of int
        kind : {"score", "mask"}

        Returns
        -------
        tuple of (ndarray, str) or None
            ``(array, digest)`` as :meth:`load`; None when there is no entry
            or it was damaged (and has been removed): the caller recomputes.

        Warns
        -----
        CorruptFileWarning
            A damaged entry was removed.
        """
        if not self.has(input_sha256):
            return None
        try:
            return self.load(input_sha256, shape=shape, kind=kind)
        except CorruptFileError as err:
            self.discard(input_sha256)
            warnings.warn(f"{err}; removed it, the detector runs again", CorruptFileWarning, stacklevel=2)
            return None

    def discard(self, input_sha256):
        """Remove an entry (e.g. a damaged one), compressed or older uncompressed."""
        self.path(input_sha256).unlink(missing_ok=True)
        self.legacy_path(input_sha256).unlink(missing_ok=True)

    def remove_orphans(self, *, max_age_seconds=ORPHAN_AGE_SECONDS):
        """Delete temporary files that killed writers left in this configuration's folder.

        See :func:`crbench.atomic.remove_orphaned_temporaries` for why this
        is safe while other runs write to the same cache.

        Returns
        -------
        list of pathlib.Path
            The files removed.
        """
        return remove_orphaned_temporaries(self.directory, max_age_seconds=max_age_seconds, recursive=True)


def _decompress(payload, *, kind, n_pixels):
    """The ``.npy`` bytes in a zstandard frame, refusing a frame that declares more than such an entry can hold.

    The bound keeps a damaged header from allocating gigabytes before the
    shape check can reject the entry.
    """
    if kind == "score":
        limit = 4 * n_pixels + _NPY_HEADER_ALLOWANCE
    else:
        limit = _MAX_MASK_ROWS * -(-n_pixels // 8) + _NPY_HEADER_ALLOWANCE
    declared = zstandard.frame_content_size(payload)
    if declared < 0 or declared > limit:
        raise ValueError(f"the zstandard frame declares {declared} bytes (at most {limit} fit this entry)")
    return zstandard.ZstdDecompressor().decompress(payload)
