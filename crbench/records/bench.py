"""The typed bench record (schema ``crbench.bench/1``): one detector timed on one synthetic frame."""

import re
from dataclasses import dataclass, field
from pathlib import Path

from .fields import FieldReader, RecordError, read_json_file
from .migrate import migrate
from .parts import DetectorInfo, Environment

__all__ = ["BENCH_SCHEMA", "BenchRecord", "as_bench_record"]

BENCH_SCHEMA = "crbench.bench/1"


@dataclass
class BenchRecord:
    """A bench record (written by :func:`crbench.timing.benchmark_detector`).

    Attributes
    ----------
    schema, crbench_version, date : str
    detector : DetectorInfo
    shape : list of int
        ``[ny, nx]`` of the timed frame.
    megapixels : float or None
    device : str
        ``"cpu"`` or ``"cuda[:n]"``.
    device_model : str or None
    seed : int or None
    setup_seconds, warmup_seconds : float or None
    seconds : list of float
        Every timed call.
    median_seconds, seconds_per_megapixel : float
    n_sweep_values : int or None
        Mask detectors: a full ROC costs this many times ``median_seconds``.
    baseline_rss_bytes, peak_rss_bytes : int or None
    threads : dict or int or None
        Thread settings (:func:`crbench.environment.thread_counts` plus
        ``process_threads``) or a plain count.
    macs_per_pixel : float or None
        Multiply-adds per pixel of the detector's torch network
        (:func:`crbench.flops.network_macs_per_pixel`); None for detectors
        without one and for records written before it was measured.
    achieved_gflops : float or None
        ``2 * macs_per_pixel`` per pixel of the frame over ``median_seconds``, in 1e9 FLOP/s.
    peak_gflops : float or None
        The CPU's measured float32 peak (:func:`crbench.peak_probe.machine_peak`).
    peak_probe : dict or None
        The probe's result: matmul and convolution rates, shapes, machine fingerprint, date.
    flop_bound_ratio : float or None
        ``peak_gflops / achieved_gflops``: how many times the FLOP bound the
        detector took (1 = at the bound).
    environment : Environment
    extra : dict
    source : str or None
        The file the record was loaded from (not written).
    """

    schema: str
    crbench_version: str | None
    date: str | None
    detector: DetectorInfo
    shape: list
    megapixels: float | None
    device: str
    device_model: str | None
    seed: int | None
    setup_seconds: float | None
    warmup_seconds: float | None
    seconds: list
    median_seconds: float
    seconds_per_megapixel: float
    n_sweep_values: int | None = None
    baseline_rss_bytes: int | None = None
    peak_rss_bytes: int | None = None
    threads: object = None
    macs_per_pixel: float | None = None
    achieved_gflops: float | None = None
    peak_gflops: float | None = None
    peak_probe: dict | None = None
    flop_bound_ratio: float | None = None
    environment: Environment = field(default_factory=Environment)
    extra: dict = field(default_factory=dict)
    source: str | None = field(default=None, compare=False)

    @classmethod
    def from_dict(cls, data, *, source=None):
        """Validate a bench record dict (migrating older schemas); errors name ``source`` and the field."""
        origin = str(source) if source is not None else "<bench record>"
        data = migrate(data, current=BENCH_SCHEMA, source=origin)
        read = FieldReader(data, where="", source=origin)
        threads = read.get("threads", "any", required=False)
        if not (threads is None or isinstance(threads, dict) or (isinstance(threads, int) and not isinstance(threads, bool))):
            raise RecordError(f"{origin}: field 'threads' must be an object or an integer, got {threads!r}")
        record = cls(
            schema=read.get("schema", "str"),
            crbench_version=read.get("crbench_version", "str", required=False),
            date=read.get("date", "str", required=False),
            detector=DetectorInfo.from_dict(read.get("detector", "dict"), source=origin, required=("name", "params_hash")),
            shape=read.get_number_list("shape", "int"),
            megapixels=read.get("megapixels", "number", required=False),
            device=read.get("device", "str"),
            device_model=read.get("device_model", "str", required=False),
            seed=read.get("seed", "int", required=False),
            setup_seconds=read.get("setup_seconds", "number", required=False),
            warmup_seconds=read.get("warmup_seconds", "number", required=False),
            seconds=read.get_number_list("seconds"),
            median_seconds=read.get("median_seconds", "number"),
            seconds_per_megapixel=read.get("seconds_per_megapixel", "number"),
            n_sweep_values=read.get("n_sweep_values", "int", required=False),
            baseline_rss_bytes=read.get("baseline_rss_bytes", "int", required=False),
            peak_rss_bytes=read.get("peak_rss_bytes", "int", required=False),
            threads=threads,
            macs_per_pixel=read.get("macs_per_pixel", "number", required=False),
            achieved_gflops=read.get("achieved_gflops", "number", required=False),
            peak_gflops=read.get("peak_gflops", "number", required=False),
            peak_probe=read.get("peak_probe", "dict", required=False),
            flop_bound_ratio=read.get("flop_bound_ratio", "number", required=False),
            environment=Environment.from_dict(read.get("environment", "dict", required=False), source=origin),
            source=None if source is None else str(source),
        )
        if len(record.shape) != 2:
            raise RecordError(f"{origin}: field 'shape' must be [rows, columns], got {record.shape!r}")
        record.extra = read.rest()
        return record

    def to_dict(self):
        """The JSON form, keys in the order crbench writes them."""
        return {
            "schema": self.schema,
            "crbench_version": self.crbench_version,
            "date": self.date,
            "detector": self.detector.to_dict(),
            "shape": self.shape,
            "megapixels": self.megapixels,
            "device": self.device,
            "device_model": self.device_model,
            "seed": self.seed,
            "setup_seconds": self.setup_seconds,
            "warmup_seconds": self.warmup_seconds,
            "seconds": self.seconds,
            "median_seconds": self.median_seconds,
            "seconds_per_megapixel": self.seconds_per_megapixel,
            "n_sweep_values": self.n_sweep_values,
            "baseline_rss_bytes": self.baseline_rss_bytes,
            "peak_rss_bytes": self.peak_rss_bytes,
            "threads": self.threads,
            # written only when measured, so that records from before the FLOP bound round-trip unchanged
            **{key: value for key, value in self._flop_fields().items() if value is not None},
            "environment": self.environment.to_dict(),
            **self.extra,
        }

    def _flop_fields(self):
        return {
            "macs_per_pixel": self.macs_per_pixel,
            "achieved_gflops": self.achieved_gflops,
            "peak_gflops": self.peak_gflops,
            "peak_probe": self.peak_probe,
            "flop_bound_ratio": self.flop_bound_ratio,
        }

    @classmethod
    def load(cls, path):
        """Read and validate the bench record at ``path`` (errors name the file)."""
        path = Path(path)
        data = read_json_file(path, fix="delete it and re-run crbench bench")
        return cls.from_dict(data, source=path)

    @property
    def thread_count(self):
        """Threads the timing used: torch threads, else usable CPUs, else the plain count (None if unknown)."""
        if isinstance(self.threads, dict):
            return self.threads.get("torch_threads") or self.threads.get("usable_cpus")
        return self.threads

    @property
    def filename(self):
        """``bench__<detector>__<params_hash>__<ny>x<nx>__<device>[__<engine>].json`` (unsafe characters replaced).

        The engine suffix names a torch network run on another engine than
        eager PyTorch (:attr:`DetectorInfo.inference_backend`).
        """
        def safe(text):
            return re.sub(r"[^A-Za-z0-9_.-]+", "-", str(text)).strip("-")

        shape = "x".join(str(side) for side in self.shape)
        engine = f"__{safe(self.detector.inference_backend)}" if self.detector.inference_backend else ""
        return (f"bench__{safe(self.detector.name)}__{self.detector.params_hash}__{shape}__{safe(self.device)}"
                f"{engine}.json")


def as_bench_record(record):
    """Return ``record`` as a :class:`BenchRecord` (a dict in the record format is validated and converted)."""
    if isinstance(record, BenchRecord):
        return record
    if isinstance(record, dict):
        return BenchRecord.from_dict(record)
    raise RecordError(f"expected a BenchRecord or a bench record dict, got {type(record).__name__}")
