"""The optional ``objects`` section of a run record: object-level and stratified scores.

Written by :func:`crbench.scoring.object_stream.object_stream`; records made
before it (or by runs that skipped the pass) have no such section and load
with ``RunRecord.objects`` None. Definitions: :mod:`crbench.scoring.objects`.
"""

from dataclasses import dataclass, field

from tabulate import tabulate

from .fields import FieldReader, RecordError

__all__ = ["ObjectScores", "object_scores_table"]


@dataclass
class ObjectScores:
    """Object-level scores of one run.

    Attributes
    ----------
    spec_version : str
        :data:`crbench.scoring.objects.OBJECTS_SPEC_VERSION` of the counts.
    operating_point : float
        Threshold or sweep value the prediction was taken at.
    options : dict
        :class:`crbench.scoring.objects.ObjectOptions` as a dict.
    counters : list of str
        Names of the additive per-image counters.
    per_image : dict of str to list
        ``{sample_id: [value per counter (None where absent)]}``.
    totals : dict of str to number
        The counters summed over the images (those present in every image).
    metrics : dict
        :func:`crbench.scoring.objects.object_metrics` of ``totals``.
    seconds, seconds_per_megapixel : float or None
        Wall time of the object pass (loading included) and per image megapixel.
    cpu_seconds : float or None
        CPU time of the pass in the running process.
    extra : dict
        Keys this version does not know (written back as they are).
    """

    spec_version: str
    operating_point: float
    options: dict
    counters: list
    per_image: dict
    totals: dict
    metrics: dict
    seconds: float | None = None
    seconds_per_megapixel: float | None = None
    cpu_seconds: float | None = None
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data, *, where="objects", source="<record>"):
        """Read and validate; None stays None (the section is optional)."""
        if data is None:
            return None
        read = FieldReader(data, where=where, source=source)
        counters = read.get("counters", "list")
        per_image = read.get("per_image", "dict")
        for sample_id, row in per_image.items():
            if not isinstance(row, list) or len(row) != len(counters):
                raise RecordError(f"{source}: {where}.per_image.{sample_id} must be a list of {len(counters)} "
                                  "values, one per counter")
        scores = cls(
            spec_version=read.get("spec_version", "str"),
            operating_point=read.get("operating_point", "number"),
            options=read.get("options", "dict"),
            counters=counters,
            per_image=per_image,
            totals=read.get("totals", "dict"),
            metrics=read.get("metrics", "dict"),
            seconds=read.get("seconds", "number", required=False, nullable=True),
            seconds_per_megapixel=read.get("seconds_per_megapixel", "number", required=False, nullable=True),
            cpu_seconds=read.get("cpu_seconds", "number", required=False, nullable=True),
        )
        scores.extra = read.rest()
        return scores

    def to_dict(self):
        """The JSON form."""
        return {
            "spec_version": self.spec_version,
            "operating_point": self.operating_point,
            "options": self.options,
            "counters": self.counters,
            "per_image": self.per_image,
            "totals": self.totals,
            "metrics": self.metrics,
            "seconds": self.seconds,
            "seconds_per_megapixel": self.seconds_per_megapixel,
            "cpu_seconds": self.cpu_seconds,
            **self.extra,
        }

    def image_counts(self, sample_id):
        """One image's counters as ``{name: value}`` (absent counters left out)."""
        row = self.per_image[sample_id]
        return {name: value for name, value in zip(self.counters, row) if value is not None}

    def metric(self, name):
        """A top-level metric value, or None."""
        return self.metrics.get(name)

    def interval(self, name):
        """``(low, high)`` of a metric's bootstrap interval, or None (no ``uncertainty`` key or no interval)."""
        entry = (self.extra.get("uncertainty") or {}).get("metrics", {}).get(name)
        return None if entry is None else (entry.get("low"), entry.get("high"))

    def stratum_recall(self, stratum, label):
        """Recall of one stratum bin, or None when the stratum or the bin is absent."""
        return (self.metrics.get("strata", {}).get(stratum, {}).get(label) or {}).get("recall")


def _fraction(value):
    return "n/a" if value is None else f"{value:.4f}"


def _with_interval(scores, name, text):
    """``text`` followed by the metric's bootstrap interval when the record has one."""
    interval = scores.interval(name)
    if interval is None or text == "n/a":
        return text
    low, high = interval
    return f"{text} [{_fraction(low)}, {_fraction(high)}]"


def object_scores_table(scores, *, tablefmt="github"):
    """The short object-level table ``crbench run`` prints under the pixel metrics.

    Parameters
    ----------
    scores : ObjectScores
    tablefmt : str
        A tabulate format.

    Returns
    -------
    str
    """
    metrics = scores.metrics
    options = scores.options
    found = options.get("found_fraction")
    near = options.get("near_star_fwhm")
    rows = [
        [f"object recall (>= {found:g} of pixels flagged)",
         _with_interval(scores, "object_recall", _fraction(metrics.get("object_recall"))), metrics.get("n_objects")],
        ["object recall (any pixel flagged)",
         _with_interval(scores, "object_recall_any", _fraction(metrics.get("object_recall_any"))),
         metrics.get("n_objects")],
        ["false-positive objects per Mpix",
         _with_interval(scores, "fp_objects_per_megapixel", _fraction(metrics.get("fp_objects_per_megapixel"))),
         metrics.get("n_fp_objects")],
    ]
    for label, stratum in (metrics.get("strata") or {}).get("kind", {}).items():
        rows.append([f"recall of {label} objects", _fraction(stratum["recall"]), stratum["n_objects"]])
    if metrics.get("n_objects_near_star") is not None:
        rows.append([f"recall within {near:g} FWHM of a source",
                     _with_interval(scores, "recall_near_star", _fraction(metrics.get("recall_near_star"))),
                     metrics.get("n_objects_near_star")])
    if metrics.get("masked_source_flux_fraction") is not None:
        rows.append(["source flux under false-positive pixels (fraction)",
                     f"{metrics['masked_source_flux_fraction']:.3g}", ""])
    return tabulate(rows, headers=["object-level score", "value", "objects"], tablefmt=tablefmt,
                    disable_numparse=True)
