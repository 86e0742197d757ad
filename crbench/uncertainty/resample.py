"""Seeded, optionally stratified bootstrap resamples of a run's images.

A resample is a vector of integer weights, one per image: how often the
image is drawn. Images are ordered by sample id, so the weights do not
depend on the order in which a run scored them. Within each stratum (e.g.
a DECam band) as many images are drawn, uniformly with replacement, as the
stratum holds, so every resample keeps each stratum's image count; without
strata the whole set is one stratum. Draws come from
``numpy.random.Generator(PCG64(seed))``: strata in sorted label order, for
each an ``(n_resamples, n_stratum)`` array of ``integers``.

:func:`weights_digest` hashes the sample ids and the weights, so two
records can be proven to use identical resamples.
"""

import dataclasses
import hashlib
import json

import numpy as np

from ..errors import InputError

__all__ = ["DEFAULT_SEED", "ResampleSet", "draw_resamples", "weights_digest"]

#: Seed of the default resamples (fixed, so every run of a data set uses the same resamples).
DEFAULT_SEED = 0


@dataclasses.dataclass(frozen=True)
class ResampleSet:
    """The resamples of one set of images.

    Attributes
    ----------
    sample_ids : tuple of str
        Sorted; column ``j`` of ``weights`` is ``sample_ids[j]``.
    strata : tuple of str or None
        Stratum label of each image (None: not stratified).
    weights : ndarray of int32, shape (n_resamples, n_images)
    seed : int
    digest : str
        :func:`weights_digest` of the sample ids and weights.
    """

    sample_ids: tuple
    strata: tuple | None
    weights: np.ndarray
    seed: int
    digest: str

    @property
    def n_resamples(self):
        """Number of resamples (rows of ``weights``)."""
        return int(self.weights.shape[0])

    def stratum_sizes(self):
        """``{label: number of images}`` (empty when not stratified)."""
        if self.strata is None:
            return {}
        labels, counts = np.unique(np.asarray(self.strata, dtype=object).astype(str), return_counts=True)
        return {str(label): int(count) for label, count in zip(labels, counts)}


def weights_digest(sample_ids, weights):
    """sha256 of the sample ids (in column order) and the weights as little-endian int32."""
    digest = hashlib.sha256()
    digest.update(json.dumps(list(sample_ids)).encode())
    digest.update(np.ascontiguousarray(weights, dtype="<i4").tobytes())
    return digest.hexdigest()


def draw_resamples(sample_ids, *, n_resamples, seed=DEFAULT_SEED, strata=None):
    """Draw the bootstrap weights of a set of images.

    Parameters
    ----------
    sample_ids : sequence of str
        Distinct image ids, in any order.
    n_resamples : int
        At least 1.
    seed : int
    strata : mapping of str to str, optional
        Stratum label of every sample id; None = one stratum.

    Returns
    -------
    ResampleSet

    Raises
    ------
    InputError
        On duplicate ids, ``n_resamples < 1`` or an image without a stratum.
    """
    ids = sorted(str(sample_id) for sample_id in sample_ids)
    if len(set(ids)) != len(ids):
        raise InputError("bootstrap resamples need distinct sample ids")
    if int(n_resamples) < 1:
        raise InputError(f"the number of bootstrap resamples must be at least 1, got {n_resamples}")
    n_resamples = int(n_resamples)
    if strata is not None:
        missing = [sample_id for sample_id in ids if strata.get(sample_id) is None]
        if missing:
            raise InputError(f"{len(missing)} image(s) have no bootstrap stratum, e.g. {missing[0]!r} (the data "
                             "set card's bootstrap_strata names a sample field these images leave empty)")
        labels = np.asarray([str(strata[sample_id]) for sample_id in ids], dtype=object)
    else:
        labels = np.full(len(ids), "", dtype=object)
    rng = np.random.Generator(np.random.PCG64(int(seed)))
    weights = np.zeros((n_resamples, len(ids)), np.int32)
    rows = np.arange(n_resamples, dtype=np.int64)[:, None] * len(ids)
    for label in sorted(set(labels)):
        members = np.flatnonzero(labels == label)
        draws = rng.integers(0, members.size, size=(n_resamples, members.size))
        flat = (rows + members[draws]).ravel()
        weights += np.bincount(flat, minlength=n_resamples * len(ids)).reshape(n_resamples, len(ids)).astype(np.int32)
    labels_out = None if strata is None else tuple(str(label) for label in labels)
    return ResampleSet(tuple(ids), labels_out, weights, int(seed), weights_digest(ids, weights))
