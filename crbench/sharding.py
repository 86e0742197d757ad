"""Shards of a run: a deterministic, balanced split of a data set split's images.

``crbench run --shard i/N`` scores shard ``i`` of ``N``; ``crbench merge``
(:mod:`crbench.jobs.merge`) turns the ``N`` shard records into the record
one run over every image would have written.

Membership rule: sort the sample ids (as strings); image ``k`` of that
sorted list belongs to shard ``k mod N``. Shards therefore differ in size
by at most one image, are disjoint and together cover the split, and an
image's shard depends only on the set of ids, never on the order a data
set lists them in. Within a shard, images keep the data set's order.
"""

from dataclasses import dataclass

from .errors import InputError

__all__ = ["Shard", "parse_shard", "shard_sample_ids"]


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (``0 <= index < count``)."""

    index: int
    count: int

    def __post_init__(self):
        if not (isinstance(self.index, int) and isinstance(self.count, int)) or isinstance(self.index, bool) \
                or isinstance(self.count, bool):
            raise InputError(f"a shard is two integers i/N, got {self.index!r}/{self.count!r}")
        if self.count < 1 or not 0 <= self.index < self.count:
            raise InputError(f"shard {self.index}/{self.count} does not exist: use i/N with N >= 1 and "
                             f"0 <= i < N (e.g. 0/{max(self.count, 1)})")

    def __str__(self):
        return f"{self.index}/{self.count}"

    def to_dict(self):
        """The record form, ``{"index": i, "count": N}``."""
        return {"index": self.index, "count": self.count}


def parse_shard(text):
    """Read ``"i/N"`` (e.g. ``"3/8"``) into a :class:`Shard`.

    Raises
    ------
    InputError
        When ``text`` is not two integers separated by ``/`` or names no shard.
    """
    index, slash, count = str(text).strip().partition("/")
    try:
        if not slash:
            raise ValueError
        index, count = int(index), int(count)
    except ValueError:
        raise InputError(f"--shard takes i/N (shard i of N, counted from 0), e.g. 0/4; got {text!r}") from None
    return Shard(index, count)


def shard_sample_ids(sample_ids, shard):
    """The ids of ``sample_ids`` that belong to ``shard``, in their given order.

    Parameters
    ----------
    sample_ids : sequence of str
    shard : Shard

    Returns
    -------
    list of str
        Image ``k`` of ``sorted(sample_ids)`` belongs to shard ``k mod shard.count``.
    """
    sample_ids = list(sample_ids)
    rank = {sample_id: position for position, sample_id in enumerate(sorted(map(str, sample_ids)))}
    return [sample_id for sample_id in sample_ids if rank[str(sample_id)] % shard.count == shard.index]
