"""The ``sweep_refinement`` part of a run record: how an adaptive sweep chose its grid.

Present only in records of adaptive sweeps (:mod:`crbench.adaptive_sweep`);
records of fixed sweeps and of score detectors have no such key.
"""

from dataclasses import dataclass, field

from .fields import FieldReader, RecordError

__all__ = ["SweepRefinementRecord"]


@dataclass
class SweepRefinementRecord:
    """History of an adaptive sweep.

    Attributes
    ----------
    policy : dict
        :meth:`crbench.scoring.refine.SweepRefinement.to_param`.
    initial_values, final_values : list of float
        The grid before (the ``sweep`` parameter plus the operating value)
        and after refinement (= the record's ``counts.values``).
    added_values : list of float
        Values added, in the order they were proposed.
    rounds : list of dict
        Per round: ``round``, ``values`` detected, ``detect_seconds``,
        ``n_detected`` / ``n_from_cache`` (image x value pairs), and from
        round 1 ``reasons`` (``value``, ``target``, ``reason``).
    targets : list of dict
        Final state per FPR target: ``target``, ``state`` (converged /
        stopped / open), ``reason``, ``bracket``.
    extra_detect_seconds : float
        Detection seconds of the rounds after the first (the cost of refining).
    """

    policy: dict
    initial_values: list
    final_values: list
    added_values: list = field(default_factory=list)
    rounds: list = field(default_factory=list)
    targets: list = field(default_factory=list)
    extra_detect_seconds: float | None = None
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data, *, where="sweep_refinement", source="<record>"):
        """Read and validate; None gives None."""
        if data is None:
            return None
        read = FieldReader(data, where=where, source=source)
        record = cls(
            policy=read.get("policy", "dict"),
            initial_values=read.get_number_list("initial_values"),
            final_values=read.get_number_list("final_values"),
            added_values=read.get_number_list("added_values", required=False) or [],
            rounds=read.get("rounds", "list", required=False) or [],
            targets=read.get("targets", "list", required=False) or [],
            extra_detect_seconds=read.get("extra_detect_seconds", "number", required=False),
        )
        missing = set(record.initial_values) - set(record.final_values)
        if missing:
            raise RecordError(f"{source}: field {where!r}: initial values {sorted(missing)} are not in final_values")
        record.extra = read.rest()
        return record

    def to_dict(self):
        """The JSON form."""
        return {
            "policy": self.policy,
            "initial_values": self.initial_values,
            "final_values": self.final_values,
            "added_values": self.added_values,
            "rounds": self.rounds,
            "targets": self.targets,
            "extra_detect_seconds": self.extra_detect_seconds,
            **self.extra,
        }
