"""Typed parts shared by run and bench records: detector, data set, metrics, counts, curve, runtime, machine.

Each part has ``from_dict(data, *, where, source)`` (validating, errors name
the file and the dotted field) and ``to_dict()`` (the JSON form, keys in the
order crbench writes them). Keys a part does not know are kept in
``extra`` and written back after the known ones, so a record written by an
adapter with extra fields (``weights_file``, ``checkpoint``) round-trips.

Normalisations (the only ways ``to_dict(from_dict(d))`` can differ from
``d``; no committed record is affected):

- an optional key absent from the file is written as null;
- an empty ``counts`` or ``curves`` object loads as None;
- the legacy machine keys ``cpu`` and ``gpu`` / ``gpu_name`` load as
  ``cpu_model`` and ``gpus``;
- a mask detector's TPR at FPR stored as 0.0 because no sweep point reached
  the target (the convention before 2026-11-29) loads as null with
  ``not_reached`` (:func:`crbench.records.upgrade_not_reached`).
"""

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from ..device import mixes_cpu_and_gpu
from .fields import FieldReader, RecordError

__all__ = [
    "OUTPUT_KINDS",
    "DetectorInfo",
    "DatasetInfo",
    "Metric",
    "StoredCounts",
    "StoredCurve",
    "ImageResult",
    "Failure",
    "Runtime",
    "Environment",
]

OUTPUT_KINDS = ("score", "mask")


def _known(instance):
    """The dataclass fields of ``instance`` except ``extra``, as a dict in declaration order."""
    return {item.name: getattr(instance, item.name) for item in dataclasses.fields(instance) if item.name != "extra"}


@dataclass
class DetectorInfo:
    """What ran: :meth:`crbench.detectors.Detector.info` as stored in a record.

    ``class_path`` is the JSON key ``class`` (``"module:Class"``).
    """

    name: str
    class_path: str | None = None
    version: str | None = None
    params: dict = field(default_factory=dict)
    params_hash: str | None = None
    training_datasets: list = field(default_factory=list)
    output_kind: str | None = None
    dilate_output: bool | None = None
    input_units: str | None = None
    sweep_parameter: str | None = None
    citation: str | None = None
    license: str | None = None
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data, *, where="detector", source="<record>", required=("name",)):
        """Read and validate; ``required`` names the keys that must be present."""
        read = FieldReader(data, where=where, source=source)

        def get(key, kind, **options):
            return read.get(key, kind, required=key in required, **options)

        output_kind = read.choice("output_kind", OUTPUT_KINDS, required="output_kind" in required)
        info = cls(
            name=get("name", "str"),
            class_path=get("class", "str"),
            version=get("version", "str"),
            params=get("params", "dict") or {},
            params_hash=get("params_hash", "str"),
            training_datasets=get("training_datasets", "list") or [],
            output_kind=output_kind,
            dilate_output=get("dilate_output", "bool"),
            input_units=get("input_units", "str"),
            sweep_parameter=get("sweep_parameter", "str", nullable=True),
            citation=get("citation", "str", nullable=True),
            license=get("license", "str", nullable=True),
        )
        info.extra = read.rest()
        return info

    def to_dict(self):
        """The JSON form (``class_path`` written as ``class``)."""
        data = _known(self)
        data = {("class" if key == "class_path" else key): value for key, value in data.items()}
        return {**data, **self.extra}

    def label(self, *, with_hash=False):
        """The name, plus the first 8 characters of the params hash if asked."""
        return f"{self.name} [{str(self.params_hash or '')[:8]}]" if with_hash else self.name

    @property
    def inference_backend(self):
        """The engine that ran a torch network when it was not eager PyTorch (``"onnxruntime"``), else None.

        :mod:`crbench.inference_backend` records it in the detector's info;
        eager records (and every record made before the choice existed) have none.
        """
        backend = self.extra.get("inference_backend")
        return backend.get("name") if isinstance(backend, dict) and backend.get("name") != "torch" else None

    @property
    def swept_parameter(self):
        """The swept parameter of a mask detector (None for score detectors)."""
        return self.sweep_parameter if self.output_kind == "mask" else None


@dataclass
class DatasetInfo:
    """What was scored: the data set identity, its card and the pixel totals."""

    name: str
    version: str
    size: str
    split: str
    manifest_hash: str
    family: str | None = None
    card: dict = field(default_factory=dict)
    n_images: int | None = None
    n_images_requested: int | None = None
    n_pixels: int | None = None
    n_pixels_scored: int | None = None
    n_pixels_ignored: int | None = None
    n_pixels_nonfinite: int | None = None
    truth_dilation: int | None = None
    ignore_policy: str | None = None
    extra: dict = field(default_factory=dict)

    _ORDER = ("name", "version", "family", "size", "split", "card", "manifest_hash", "n_images",
              "n_images_requested", "n_pixels", "n_pixels_scored", "n_pixels_ignored", "n_pixels_nonfinite",
              "truth_dilation", "ignore_policy")

    @classmethod
    def from_dict(cls, data, *, where="dataset", source="<record>"):
        """Read and validate (name, version, size, split and manifest hash are required)."""
        read = FieldReader(data, where=where, source=source)
        info = cls(
            name=read.get("name", "str"),
            version=read.get("version", "str"),
            family=read.get("family", "str", required=False),
            size=read.get("size", "str"),
            split=read.get("split", "str"),
            card=read.get("card", "dict", required=False) or {},
            manifest_hash=read.get("manifest_hash", "str"),
            **{key: read.get(key, "int", required=False) for key in (
                "n_images", "n_images_requested", "n_pixels", "n_pixels_scored", "n_pixels_ignored",
                "n_pixels_nonfinite", "truth_dilation")},
            ignore_policy=read.get("ignore_policy", "str", required=False),
        )
        info.extra = read.rest()
        return info

    def to_dict(self):
        """The JSON form, keys in the order run records hold them."""
        return {**{key: getattr(self, key) for key in self._ORDER}, **self.extra}


@dataclass
class Metric:
    """One reported metric: value (None = undefined), threshold it was read at, direction.

    ``not_reached`` is set (``{"lowest_fpr", "tpr", "threshold"}``, the
    strictest point a sweep measured) when a TPR-at-FPR target was not
    reached by any sweep point; ``value`` is then None. The key is written
    only when set, so records without it (every score detector's, and every
    record written before 2026-11-29) round-trip unchanged.
    """

    value: float | None
    threshold: float | None
    higher_is_better: bool
    not_reached: dict | None = None

    @classmethod
    def from_dict(cls, data, *, where, source="<record>"):
        """Read and validate; ``value`` may be non-finite here (the regression check judges that)."""
        read = FieldReader(data, where=where, source=source)
        metric = cls(
            value=read.get("value", "number", nullable=True),
            threshold=read.get("threshold", "number", required=False),
            higher_is_better=read.get("higher_is_better", "bool"),
            not_reached=read.get("not_reached", "dict", required=False),
        )
        if read.rest():
            raise RecordError(f"{source}: field {where!r} has unknown key(s) {sorted(read.rest())}; "
                              "a metric holds value, threshold, higher_is_better and not_reached")
        if metric.not_reached is not None:
            missed = FieldReader(metric.not_reached, where=read.path("not_reached"), source=source)
            missed.get("lowest_fpr", "number")
            missed.get("tpr", "number", nullable=True)
            missed.get("threshold", "number", required=False)
            if metric.value is not None:
                raise RecordError(f"{source}: field {where!r} has a value and 'not_reached'; a target that was "
                                  "not reached has value null")
        return metric

    def to_dict(self):
        """The JSON form."""
        data = {"value": self.value, "threshold": self.threshold, "higher_is_better": self.higher_is_better}
        if self.not_reached is not None:
            data["not_reached"] = self.not_reached
        return data

    @property
    def lowest_fpr(self):
        """The lowest FPR the sweep reached when the target was not reached, else None."""
        return None if self.not_reached is None else float(self.not_reached["lowest_fpr"])


@dataclass
class StoredCounts:
    """The exact summed counts of a run, from which every metric can be recomputed.

    Attributes
    ----------
    kind : {"threshold", "sweep"}
        ``"threshold"``: :meth:`crbench.scoring.ThresholdCounts.to_dict` of a
        score detector (``grid``, ``n_pos_equal``, ``n_neg_equal``,
        ``n_neg_between``, ``n_ignored``); ``"sweep"``:
        :meth:`crbench.scoring.SweepCounts.to_dict` of a mask detector
        (``values``, ``tp``, ``fp``, ``fn``, ``tn``, ``n_ignored``).
    data : dict
        The JSON object as stored.
    """

    kind: str
    data: dict

    _VECTORS = {"threshold": ("n_pos_equal", "n_neg_equal", "n_neg_between"), "sweep": ("tp", "fp", "fn", "tn")}

    @classmethod
    def from_dict(cls, data, *, where="counts", source="<record>"):
        """Read and validate; None or an empty object gives None."""
        if data is None or data == {}:
            return None
        read = FieldReader(data, where=where, source=source)
        if "grid" in data:
            kind = "threshold"
            grid = FieldReader(read.get("grid", "dict"), where=read.path("grid"), source=source)
            n_values = len(grid.get_number_list("values"))
            grid.get_number_list("operating_thresholds")
            lengths = {"n_pos_equal": n_values, "n_neg_equal": n_values, "n_neg_between": n_values + 1}
        elif "values" in data:
            kind = "sweep"
            n_values = len(read.get_number_list("values"))
            lengths = dict.fromkeys(cls._VECTORS["sweep"], n_values)
        else:
            raise RecordError(f"{source}: field {where!r} holds neither threshold counts ('grid', ...) nor "
                              f"sweep counts ('values', ...); keys: {sorted(data)}")
        for key, length in lengths.items():
            vector = read.get_number_list(key, "int")
            if len(vector) != length:
                raise RecordError(f"{source}: field {read.path(key)!r} has {len(vector)} entries, expected {length}")
        read.get("n_ignored", "int", required=False)
        return cls(kind=kind, data=data)

    def to_dict(self):
        """The JSON form."""
        return self.data

    def to_scoring(self):
        """Return the :class:`~crbench.scoring.ThresholdCounts` or :class:`~crbench.scoring.SweepCounts`."""
        from ..scoring import SweepCounts, ThresholdCounts

        return (ThresholdCounts if self.kind == "threshold" else SweepCounts).from_dict(self.data)

    def curve(self):
        """The exact :class:`~crbench.scoring.Curve` or :class:`~crbench.scoring.SweepCurve`."""
        return self.to_scoring().curve()


@dataclass
class StoredCurve:
    """The thinned, exact curve a record stores for plots (counts, not rates).

    ``thresholds[i]`` is None for +inf (JSON has no infinity).
    """

    thresholds: list
    tp: list
    fp: list
    n_pos: int
    n_neg: int
    n_points_full: int | None = None

    @classmethod
    def from_dict(cls, data, *, where="curves", source="<record>"):
        """Read and validate (equal lengths, integer counts); None or an empty object gives None."""
        if data is None or data == {}:
            return None
        read = FieldReader(data, where=where, source=source)
        curve = cls(
            thresholds=read.get_number_list("thresholds", nullable_items=True),
            tp=read.get_number_list("tp", "int"),
            fp=read.get_number_list("fp", "int"),
            n_pos=read.get("n_pos", "int"),
            n_neg=read.get("n_neg", "int"),
            n_points_full=read.get("n_points_full", "int", required=False),
        )
        if not len(curve.thresholds) == len(curve.tp) == len(curve.fp):
            raise RecordError(f"{source}: field {where!r} has {len(curve.thresholds)} thresholds, {len(curve.tp)} tp "
                              f"and {len(curve.fp)} fp; they must have one entry per point")
        return curve

    def to_dict(self):
        """The JSON form."""
        return _known(self)

    def rates(self):
        """FPR, TPR (= recall), precision and thresholds (+inf for None) as float arrays.

        Precision is NaN where nothing is flagged; FPR (TPR) is NaN without
        negatives (positives).
        """
        tp = np.asarray(self.tp, dtype=float)
        fp = np.asarray(self.fp, dtype=float)
        n_pos, n_neg = float(self.n_pos), float(self.n_neg)
        with np.errstate(divide="ignore", invalid="ignore"):
            return {
                "fpr": fp / n_neg if n_neg else np.full_like(fp, np.nan),
                "tpr": tp / n_pos if n_pos else np.full_like(tp, np.nan),
                "precision": np.where(tp + fp > 0, tp / (tp + fp), np.nan),
                "thresholds": np.asarray([np.inf if t is None else t for t in self.thresholds], dtype=float),
            }


@dataclass
class ImageResult:
    """One scored image: identity, timing, and its counts (:class:`crbench.scoring.ImageCounts` form).

    ``operating`` holds ``{"threshold", "tp", "fp", "fn", "tn"}`` rows.
    ``device`` is the device the image's detector ran on (``"cpu"``,
    ``"cuda:0"``); None when its output came from the score cache, and in
    records written before devices were recorded per image.
    """

    sample_id: str
    shape: list
    sha256: str
    detect_seconds: float | None = None
    from_cache: bool = False
    device: str | None = None
    n_pixels_nonfinite: int = 0
    n_pixels: int | None = None
    n_pos: int | None = None
    n_neg: int | None = None
    n_ignored: int | None = None
    operating: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data, *, where, source="<record>"):
        """Read and validate."""
        read = FieldReader(data, where=where, source=source)
        row = cls(
            sample_id=read.get("sample_id", "str"),
            shape=read.get_number_list("shape", "int"),
            sha256=read.get("sha256", "str"),
            detect_seconds=read.get("detect_seconds", "number", required=False),
            from_cache=bool(read.get("from_cache", "bool", required=False)),
            device=read.get("device", "str", required=False),
            n_pixels_nonfinite=read.get("n_pixels_nonfinite", "int", required=False) or 0,
            **{key: read.get(key, "int", required=False) for key in ("n_pixels", "n_pos", "n_neg", "n_ignored")},
            operating=read.get("operating", "list", required=False) or [],
        )
        row.extra = read.rest()
        return row

    def to_dict(self):
        """The JSON form; the counts keys are left out when the image has none, ``device`` when not known."""
        data = _known(self)
        if self.device is None:  # older records read and write back unchanged
            data.pop("device")
        if self.n_pixels is None:
            for key in ("n_pixels", "n_pos", "n_neg", "n_ignored", "operating"):
                data.pop(key)
        return {**data, **self.extra}

    def image_counts(self):
        """The counts as :class:`crbench.scoring.ImageCounts` (None when not scored)."""
        from ..scoring import ImageCounts

        if self.n_pixels is None:
            return None
        return ImageCounts.from_dict({"sample_id": self.sample_id, "n_pixels": self.n_pixels, "n_pos": self.n_pos,
                                      "n_neg": self.n_neg, "n_ignored": self.n_ignored, "operating": self.operating})


@dataclass
class Failure:
    """An image whose detector call raised."""

    sample_id: str
    error: str
    traceback: str | None = None

    @classmethod
    def from_dict(cls, data, *, where, source="<record>"):
        """Read and validate."""
        read = FieldReader(data, where=where, source=source)
        return cls(read.get("sample_id", "str"), read.get("error", "str"),
                   read.get("traceback", "str", required=False))

    def to_dict(self):
        """The JSON form."""
        return _known(self)


@dataclass
class Runtime:
    """How long the run took and how much memory it used (detect stage timed per image)."""

    device: str | None = None
    jobs: int | None = None
    setup_seconds: float | None = None
    detect_seconds: float | None = None
    n_images_timed: int | None = None
    n_images_from_cache: int | None = None
    seconds_per_megapixel: float | None = None
    n_sweep_values: int | None = None
    seconds_per_megapixel_per_sweep_value: float | None = None
    wall_seconds: float | None = None
    peak_rss_bytes: int | None = None
    #: torch thread counts of the processes that ran the detector in this run (records since 2026-11-29)
    torch_threads: list | None = None
    #: True when detection ran in worker processes (``--jobs`` > 1, ``--isolate`` or ``--timeout``);
    #: None in records written before isolation existed (which ran in this process unless ``jobs`` > 1)
    isolated: bool | None = None
    #: the per-image timeout of the detect stage (``--timeout``); None without one
    timeout_seconds: float | None = None
    #: where the detect stage ran: "local", "processes" or "dask" (:mod:`crbench.executors`); None in older records
    executor: str | None = None
    #: images timed on each device, e.g. ``{"cpu": 10, "cuda:0": 22}`` (each resolved in the worker that ran
    #: them); None in records written before devices were recorded per image
    devices: dict | None = None
    extra: dict = field(default_factory=dict)

    _INTEGERS = ("jobs", "n_images_timed", "n_images_from_cache", "n_sweep_values", "peak_rss_bytes")
    #: written only when set, so that older records read and write back unchanged
    _OPTIONAL = ("isolated", "timeout_seconds", "executor", "devices")

    @classmethod
    def from_dict(cls, data, *, where="runtime", source="<record>"):
        """Read and validate; every key is optional."""
        read = FieldReader(data if data is not None else {}, where=where, source=source)
        values = {}
        for item in dataclasses.fields(cls):
            if item.name == "extra":
                continue
            if item.name == "torch_threads":
                values[item.name] = read.get_number_list(item.name, "int", required=False)
                continue
            if item.name == "isolated":
                values[item.name] = read.get(item.name, "bool", required=False)
                continue
            if item.name == "devices":
                values[item.name] = _device_counts(read, source=source)
                continue
            kind = "str" if item.name in ("device", "executor") else "int" if item.name in cls._INTEGERS else "number"
            values[item.name] = read.get(item.name, kind, required=False)
            if kind != "str" and values[item.name] is not None and not values[item.name] >= 0:
                # a negative (or NaN) time or count would rank a detector as infinitely fast
                raise RecordError(f"{source}: field {read.path(item.name)!r} must be >= 0, "
                                  f"got {values[item.name]!r}")
        return cls(**values, extra=read.rest())

    def to_dict(self):
        """The JSON form (``isolated``, ``timeout_seconds``, ``executor`` and ``devices`` only when set)."""
        known = {key: value for key, value in _known(self).items() if key not in self._OPTIONAL or value is not None}
        return {**known, **self.extra}

    @property
    def device_labels(self):
        """The devices the run's images ran on: the keys of ``devices``, else ``device`` split at commas."""
        if self.devices:
            return sorted(self.devices)
        return sorted({part.strip() for part in (self.device or "").split(",") if part.strip()})

    @property
    def mixes_cpu_and_gpu(self):
        """True when some images ran on the CPU and others on a GPU: the time per megapixel then mixes two kinds of hardware."""
        return mixes_cpu_and_gpu(self.device_labels)


def _device_counts(read, *, source):
    """``runtime.devices`` read and checked: device label -> number of images (>= 0), or None when absent."""
    devices = read.get("devices", "dict", required=False)
    if devices is None:
        return None
    for label, count in devices.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise RecordError(f"{source}: field {read.path('devices')!r} must map each device to a number of "
                              f"images >= 0, got {label!r}: {count!r}")
    return dict(devices)


@dataclass
class Environment:
    """The machine and software (see :func:`crbench.environment.environment_info`)."""

    python: str | None = None
    implementation: str | None = None
    platform: str | None = None
    machine: str | None = None
    cpu_model: str | None = None
    total_memory_bytes: int | None = None
    threads: dict | None = None
    gpus: list = field(default_factory=list)
    packages: dict | None = None
    git: dict | None = None
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data, *, where="environment", source="<record>"):
        """Read and validate; every key is optional, legacy ``cpu`` / ``gpu`` keys are converted."""
        data = dict(data if data is not None else {})
        # converters for hand-written or older machine descriptions
        if "cpu" in data and "cpu_model" not in data:
            data["cpu_model"] = str(data.pop("cpu"))
        legacy_gpu = data.pop("gpu", None) or data.pop("gpu_name", None)
        if legacy_gpu and not data.get("gpus"):
            names = legacy_gpu if isinstance(legacy_gpu, list) else [legacy_gpu]
            data["gpus"] = [{"name": str(name)} for name in names]
        read = FieldReader(data, where=where, source=source)
        environment = cls(
            **{key: read.get(key, "str", required=False)
               for key in ("python", "implementation", "platform", "machine", "cpu_model")},
            total_memory_bytes=read.get("total_memory_bytes", "int", required=False),
            threads=read.get("threads", "dict", required=False),
            gpus=read.get("gpus", "list", required=False) or [],
            packages=read.get("packages", "dict", required=False),
            git=read.get("git", "dict", required=False),
        )
        environment.extra = read.rest()
        return environment

    def to_dict(self):
        """The JSON form."""
        return {**_known(self), **self.extra}

    @property
    def gpu_names(self):
        """Sorted distinct names of the CUDA devices listed."""
        return sorted({str(item.get("name") if isinstance(item, dict) else item) for item in self.gpus})
