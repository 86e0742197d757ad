"""Ranking groups: detectors the paired bootstrap cannot separate share a group.

The rule (:func:`rank_groups`):

1. Sort the records by the metric's point estimate, best first (ties by
   detector label); records whose value is undefined come last, in no group.
2. The first record leads group 1. Walking down the order, a record joins
   the current group while ``P(leader better than it) < confidence``
   (default 0.95), the paired-bootstrap probability of
   :func:`.paired.probability_better` (ties count 1/2; resamples where
   either value is undefined count as "not better", which makes separating
   harder, never easier).
3. The first record the leader beats with probability ``>= confidence``
   starts the next group and becomes its leader.

So a group is "the leader and everything below it that the leader does not
beat in at least 95 % of the resamples". The rule compares only with the
group's leader, so it is not an equivalence relation: two members of one
group may be separable from each other.
"""

import dataclasses

from ..records import as_run_record
from .paired import NotComparableError, comparability_problems, probability_better

__all__ = ["DEFAULT_CONFIDENCE", "RankedEntry", "rank_groups"]

#: P(leader better) at which a record leaves the leader's group.
DEFAULT_CONFIDENCE = 0.95


@dataclasses.dataclass(frozen=True)
class RankedEntry:
    """One record's place in the ranking.

    Attributes
    ----------
    record : RunRecord
    value : float or None
        The metric's point estimate.
    rank : int
        1-based position in the sorted order.
    group : int or None
        1-based group; None when the value is undefined.
    leader : str or None
        Label of the group's leader (the record itself for a leader).
    p_leader_better : float or None
        P(leader better than this record); None for a leader.
    """

    record: object
    value: float | None
    rank: int
    group: int | None
    leader: str | None
    p_leader_better: float | None


def _label(record):
    return record.detector.label(with_hash=True)


def rank_groups(records, metric, *, confidence=DEFAULT_CONFIDENCE):
    """Sort records by ``metric`` and group those the paired bootstrap cannot separate.

    Parameters
    ----------
    records : iterable of RunRecord or dict
        Records of one data set split, all with bootstrap replicates of the
        same resamples.
    metric : str
    confidence : float
        A record leaves its leader's group when P(leader better) >= this.

    Returns
    -------
    list of RankedEntry
        Best first.

    Raises
    ------
    NotComparableError
        When two records cannot be compared pairwise (see
        :func:`.paired.comparability_problems`).
    """
    records = [as_run_record(record) for record in records]
    if not records:
        return []
    higher = next((r.metrics[metric].higher_is_better for r in records if metric in r.metrics), True)
    defined = [r for r in records if r.metric_value(metric) is not None]
    undefined = [r for r in records if r.metric_value(metric) is None]
    defined.sort(key=lambda r: (-r.metric_value(metric) if higher else r.metric_value(metric), _label(r)))
    undefined.sort(key=_label)
    for record in records[1:]:
        problems = comparability_problems(records[0], record)
        if problems:
            raise NotComparableError(f"cannot rank {_label(records[0])} with {_label(record)}: "
                                     + "; ".join(problems))
    entries = []
    leader, group = None, 0
    for rank, record in enumerate(defined, start=1):
        p = None
        if leader is not None:
            p, _, _ = probability_better(leader.uncertainty.metrics[metric].replicates,
                                         record.uncertainty.metrics[metric].replicates, higher_is_better=higher)
        if leader is None or p >= confidence:
            leader, group, p = record, group + 1, None
        entries.append(RankedEntry(record, record.metric_value(metric), rank, group, _label(leader), p))
    for rank, record in enumerate(undefined, start=len(defined) + 1):
        entries.append(RankedEntry(record, None, rank, None, None, None))
    return entries
