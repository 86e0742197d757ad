"""``StackDataset``: a data set folder built by ``crbench datasets from-stack``.

A built folder (:mod:`crbench.stack.folder`) is read as one ``test`` split
holding every frame; sample ids are the input file names without their FITS
suffix. The card (truth dilation, ignore policy, ...) is the one stored in
``crbench_dataset.json``.

A built folder is used by name without registration:
:func:`crbench.datasets.get_dataset_class` falls back to
:func:`find_stack_folder` for an unknown name, so that
``crbench run --dataset PATH`` (a folder holding ``crbench_dataset.json``) or
``--dataset NAME`` (with ``$CRBENCH_DATA/NAME`` holding one) works. The class
returned is bound to its folder by :func:`stack_dataset_class` and pickles
as that recipe, so that worker processes rebuild it.
"""

import abc
import copyreg
import functools
from pathlib import Path

import numpy as np

from ..errors import ChecksumError, InputError
from ..stack.folder import (
    STACK_SPLIT,
    is_stack_folder,
    read_frame_hdus,
    read_stack_folder,
)
from .base import Dataset, DatasetCard, Sample, SampleMeta, sample_sha256
from .locations import data_root

__all__ = ["StackDataset", "stack_dataset_class", "find_stack_folder"]


def _card_from(info, folder):
    fields = dict(info["card"])
    fields["detector_params"] = dict(fields.get("detector_params") or {})
    fields["splits"] = tuple(fields.get("splits") or (STACK_SPLIT,))
    try:
        return DatasetCard(**fields)
    except TypeError as err:
        raise InputError(f"{folder}: the card in crbench_dataset.json has unknown fields ({err})") from err


class StackDataset(Dataset):
    """A labelled data set built from repeated exposures (``crbench datasets from-stack``).

    Parameters
    ----------
    size : str, optional
        Only ``"default"``.
    data_dir : path-like
        The built folder (holding ``crbench_dataset.json``); optional for a
        class bound to a folder by :func:`stack_dataset_class`.
    """

    #: the built folder of a class bound by :func:`stack_dataset_class`
    default_folder = None

    def __init__(self, *, size=None, data_dir=None):
        folder = data_dir if data_dir is not None else self.default_folder
        if folder is None:
            raise InputError("StackDataset needs data_dir: the folder written by 'crbench datasets from-stack'")
        self.folder = Path(folder)
        self.stored, self._manifest = read_stack_folder(self.folder)
        self.card = _card_from(self.stored, self.folder)
        super().__init__(size=size, data_dir=data_dir)
        self._checked = set()

    def sample_ids(self, split):
        self.check_split(split)
        return list(self.stored["samples"])

    def _entry(self, split, sample_id):
        self.check_split(split)
        try:
            return self.stored["samples"][sample_id]
        except KeyError:
            raise InputError(f"sample id {sample_id!r} is not in split {split!r} of {self.name!r}") from None

    def frame_path(self, sample_id):
        """Return the path of one frame's FITS file (for ds9)."""
        return self.folder / self._entry(STACK_SPLIT, sample_id)["file"]

    def load_sample(self, split, sample_id):
        entry = self._entry(split, sample_id)
        hdus = read_frame_hdus(self.folder / entry["file"], names=("IMAGE", "TRUTH", "IGNORE", "IGNORE_REASON"))
        meta = SampleMeta(**entry["meta"])
        sample = Sample(sample_id, hdus["IMAGE"].astype(np.float32), hdus["TRUTH"] > 0, hdus["IGNORE"] > 0, meta,
                        extras={"ignore_reason": hdus["IGNORE_REASON"].astype(np.uint8)})
        return sample

    def load_cleaned(self, sample_id):
        """Return one frame's cleaned image (its CRs replaced from the other frames), float32."""
        return read_frame_hdus(self.frame_path(sample_id), names=("CLEANED",))["CLEANED"]

    def manifest(self, split):
        """Return the stored ``{sample_id: sha256}``, checked against the files.

        Raises
        ------
        ChecksumError
            A frame file no longer holds the pixels or masks it was built with.
        """
        self.check_split(split)
        if split not in self._checked:
            for sample in self.iter_samples(split):
                digest = sample_sha256(sample)
                if digest != self._manifest.get(sample.sample_id):
                    raise ChecksumError(
                        f"{self.frame_path(sample.sample_id)}: content sha256 {digest} differs from the manifest's "
                        f"{self._manifest.get(sample.sample_id)}; rebuild {self.folder} with from-stack"
                    )
            self._checked.add(split)
        return dict(self._manifest)


class _BoundStackMeta(abc.ABCMeta):
    """Metaclass of folder-bound :class:`StackDataset` classes (pickled as their recipe)."""


@functools.lru_cache(maxsize=None)
def _bound_class(folder):
    info, _ = read_stack_folder(folder)
    card = _card_from(info, folder)
    return _BoundStackMeta(f"StackDataset_{card.name}", (StackDataset,),
                           {"default_folder": folder, "card": card, "__module__": __name__})


def stack_dataset_class(folder):
    """Return a :class:`StackDataset` subclass bound to a built folder (its ``card`` set from the folder)."""
    return _bound_class(str(Path(folder).resolve()))


copyreg.pickle(_BoundStackMeta, lambda cls: (stack_dataset_class, (cls.default_folder,)))


def find_stack_folder(name):
    """Return the built stack folder that ``name`` designates, or None.

    ``name`` designates a folder if it is a path to one holding
    ``crbench_dataset.json``, or if ``$CRBENCH_DATA/<name>`` (else
    ``$CRBENCH_CACHE/data/<name>``) is such a folder.
    """
    if not name or ":" in name:
        return None
    for candidate in (Path(name).expanduser(), data_root() / name):
        if is_stack_folder(candidate):
            return candidate
    return None
