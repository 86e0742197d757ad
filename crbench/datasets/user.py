"""``UserDataset``: labelled FITS files registered with ``crbench datasets add`` (a YAML card).

A user data set is used by name without registration:
:func:`crbench.datasets.get_dataset_class` falls back to
:func:`~crbench.datasets.user_card.find_user_card` for an unknown name, so
``crbench run --dataset NAME`` (a card in the user's config folder) and
``--dataset path/to/card.yaml`` work like a built-in set. The class
returned is bound to its card by :func:`user_dataset_class` and pickles as
that recipe, so that worker processes rebuild it.

Every file is checked against the sha256 in the card when its sample is
loaded: a changed image or mask is an error naming the file, never a silent
change of the benchmark.
"""

import abc
import copyreg
import functools
from pathlib import Path

import numpy as np

from ..errors import ChecksumError, DataNotAvailableError, InputError
from ..fits_options import read_fits_float64
from ..hashing import file_sha256
from .base import Dataset, Sample, SampleMeta
from .user_card import read_mask, read_user_card

__all__ = ["UserDataset", "user_dataset_class"]


class UserDataset(Dataset):
    """A data set of labelled FITS files described by a user card (``crbench datasets add``).

    Parameters
    ----------
    size : str, optional
        Only ``"default"``.
    data_dir : path-like, optional
        The card file; optional for a class bound to a card by
        :func:`user_dataset_class`.
    """

    #: the card file of a class bound by :func:`user_dataset_class`
    card_path = None

    def __init__(self, *, size=None, data_dir=None):
        path = data_dir if data_dir is not None else self.card_path
        if path is None:
            raise InputError("UserDataset needs data_dir: the card written by 'crbench datasets add'")
        self.card_file = Path(path)
        self.content, self.card = read_user_card(self.card_file)
        super().__init__(size=size, data_dir=data_dir)
        self._verified = set()

    def sample_ids(self, split):
        self.check_split(split)
        return [sample_id for sample_id, entry in self.content["samples"].items() if entry["split"] == split]

    def _entry(self, split, sample_id):
        self.check_split(split)
        entry = self.content["samples"].get(sample_id)
        if entry is None or entry["split"] != split:
            raise InputError(f"sample id {sample_id!r} is not in split {split!r} of {self.name!r}")
        return entry

    def file_path(self, stored):
        """Return the path of a file listed in the card (relative ones are relative to the card's folder)."""
        path = Path(stored)
        return path if path.is_absolute() else self.card_file.parent / path

    def _verified_path(self, item):
        """The file of a card entry, after checking its sha256 (once per file and data set object)."""
        path = self.file_path(item["path"])
        if path in self._verified:
            return path
        if not path.is_file():
            raise DataNotAvailableError(f"{path}: listed in {self.card_file} but missing; restore it or add the "
                                        f"data set again with 'crbench datasets add {self.name} ... --overwrite'")
        digest = file_sha256(path)
        if digest != item["sha256"]:
            raise ChecksumError(f"{path}: sha256 {digest} differs from {item['sha256']} recorded in "
                                f"{self.card_file}; the file changed since 'crbench datasets add'. Restore it, or "
                                f"add the data set again (--overwrite) to benchmark the new contents")
        self._verified.add(path)
        return path

    def check_available(self):
        """Raise :class:`DataNotAvailableError` naming the first listed file that is missing."""
        for entry in self.content["samples"].values():
            for role in ("image", "mask", "ignore"):
                item = entry.get(role)
                if item is not None and not self.file_path(item["path"]).is_file():
                    raise DataNotAvailableError(f"{self.file_path(item['path'])}: listed in {self.card_file} but "
                                                "missing; restore it or add the data set again (--overwrite)")

    def load_sample(self, split, sample_id):
        entry = self._entry(split, sample_id)
        options = self.content.get("options") or {}
        image, _ = read_fits_float64(self._verified_path(entry["image"]), options.get("ext", 0))
        mask_ext = options.get("mask_ext", 0)
        truth = read_mask(self._verified_path(entry["mask"]), ext=mask_ext, shape=image.shape, what="CR mask")
        if entry.get("ignore") is not None:
            ignore = read_mask(self._verified_path(entry["ignore"]), ext=mask_ext, shape=image.shape,
                               what="ignore mask", binary=False)
        else:
            ignore = np.zeros(image.shape, dtype=bool)
        return Sample(sample_id, image.astype(np.float32), truth, ignore, SampleMeta(**entry["meta"]))


class _BoundUserMeta(abc.ABCMeta):
    """Metaclass of card-bound :class:`UserDataset` classes (pickled as their recipe)."""


@functools.lru_cache(maxsize=None)
def _bound_class(path, modified_ns):  # noqa: ARG001 -- part of the cache key: a rewritten card is read again
    _, card = read_user_card(path)
    return _BoundUserMeta(f"UserDataset_{card.name}", (UserDataset,),
                          {"card_path": path, "card": card, "__module__": __name__})


def user_dataset_class(path):
    """Return a :class:`UserDataset` subclass bound to a card file (its ``card`` read from the file)."""
    path = Path(path).resolve()
    return _bound_class(str(path), path.stat().st_mtime_ns if path.is_file() else None)


copyreg.pickle(_BoundUserMeta, lambda cls: (user_dataset_class, (cls.card_path,)))
