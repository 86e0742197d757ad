"""The optional ``uncertainty`` section of a run record: bootstrap intervals and replicates.

Written by :func:`crbench.uncertainty.bootstrap_metrics` (records since
2026-11-29); records without it load with ``uncertainty = None``. The
replicate values are stored so that two records can be compared pairwise
(:func:`crbench.uncertainty.paired.compare_records`) from the files alone;
``weights_sha256`` proves that two records used identical resamples.
"""

from dataclasses import dataclass, field

from .fields import FieldReader, RecordError

__all__ = ["MetricInterval", "Uncertainty"]


@dataclass
class MetricInterval:
    """One metric's bootstrap interval (bounds None when undefined replicates reach the tail)."""

    low: float | None
    high: float | None
    n_undefined: int
    replicates: list

    @classmethod
    def from_dict(cls, data, *, where, source="<record>"):
        """Read and validate."""
        read = FieldReader(data, where=where, source=source)
        interval = cls(
            low=read.get("low", "number", nullable=True),
            high=read.get("high", "number", nullable=True),
            n_undefined=read.get("n_undefined", "int"),
            replicates=read.get_number_list("replicates", nullable_items=True),
        )
        if sum(value is None for value in interval.replicates) != interval.n_undefined:
            raise RecordError(f"{source}: field {where + '.n_undefined'!r} does not match the null replicates")
        return interval

    def to_dict(self):
        """The JSON form."""
        return {"low": self.low, "high": self.high, "n_undefined": self.n_undefined, "replicates": self.replicates}


@dataclass
class Uncertainty:
    """How the intervals of a record were made, and the intervals.

    Attributes
    ----------
    method : str
        ``"percentile"``.
    resampling_unit : str
        ``"image"``.
    level : float
        Confidence level (0.95).
    n_resamples, seed : int
    strata : str or None
        The sample field the resamples were stratified by (e.g. ``"band"``).
    stratum_sizes : dict of str to int
    n_images : int
    weights_sha256 : str
        Digest of the sample ids and resample weights.
    seconds : float or None
        Time the bootstrap took.
    metrics : dict of str to MetricInterval
    """

    method: str
    resampling_unit: str
    level: float
    n_resamples: int
    seed: int
    strata: str | None
    stratum_sizes: dict
    n_images: int
    weights_sha256: str
    seconds: float | None = None
    metrics: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data, *, where="uncertainty", source="<record>"):
        """Read and validate; None gives None."""
        if data is None:
            return None
        read = FieldReader(data, where=where, source=source)
        metrics = read.get("metrics", "dict")
        section = cls(
            method=read.get("method", "str"),
            resampling_unit=read.get("resampling_unit", "str"),
            level=read.get("level", "number"),
            n_resamples=read.get("n_resamples", "int"),
            seed=read.get("seed", "int"),
            strata=read.get("strata", "str", nullable=True),
            stratum_sizes=read.get("stratum_sizes", "dict", required=False) or {},
            n_images=read.get("n_images", "int"),
            weights_sha256=read.get("weights_sha256", "str"),
            seconds=read.get("seconds", "number", required=False),
            metrics={str(name): MetricInterval.from_dict(row, where=f"{where}.metrics.{name}", source=source)
                     for name, row in metrics.items()},
        )
        for name, interval in section.metrics.items():
            if len(interval.replicates) != section.n_resamples:
                raise RecordError(f"{source}: field '{where}.metrics.{name}.replicates' has "
                                  f"{len(interval.replicates)} values for {section.n_resamples} resamples")
        section.extra = read.rest()
        return section

    def to_dict(self):
        """The JSON form."""
        return {
            "method": self.method,
            "resampling_unit": self.resampling_unit,
            "level": self.level,
            "n_resamples": self.n_resamples,
            "seed": self.seed,
            "strata": self.strata,
            "stratum_sizes": self.stratum_sizes,
            "n_images": self.n_images,
            "weights_sha256": self.weights_sha256,
            "seconds": self.seconds,
            "metrics": {name: interval.to_dict() for name, interval in self.metrics.items()},
            **self.extra,
        }

    def interval(self, name):
        """``(low, high)`` of metric ``name``, or None when the section has no such metric."""
        row = self.metrics.get(name)
        return None if row is None else (row.low, row.high)
