"""Detector timing behind `crbench bench`: one detector on one synthetic frame (paper Table 4).

Not to be confused with `benchmarks/`, the pytest-benchmark scripts that time crbench itself.

:func:`benchmark_detector` times ``setup`` (model loading), one warm-up
``detect`` and ``repeats`` timed ``detect`` calls on a seeded frame of the
requested shape, and returns a JSON-ready record with the median, seconds
per megapixel, peak resident memory, thread settings and the machine's
description (a :class:`crbench.records.BenchRecord`). Mask detectors are timed at their operating point: one sweep
value costs one such call, so a full ROC costs ``n_sweep_values`` times the
median (recorded too).

:func:`crbench.jobs.bench_job` runs the same in a fresh process so that peak
memory belongs to that detector alone. :func:`runtime_table` turns records
into the layout of Bhavanam et al. (2022), Table 4.
"""

import datetime
import json
import re
import statistics
import time
from pathlib import Path

from . import __version__
from .atomic import write_json_atomic
from .datasets.toy import make_toy_sample
from .detectors.plugin_checks import set_up_detector
from .device import device_name
from .environment import current_rss_bytes, environment_info, peak_rss_bytes, thread_counts
from .errors import CorruptFileError, InputError
from .inputs import prepare_input
from .records import BENCH_SCHEMA, BenchRecord, RecordError, as_bench_record
from .records.migrate import known_schemas

__all__ = [
    "BENCH_SCHEMA",
    "PAPER_SHAPE",
    "parse_shape",
    "make_bench_frame",
    "benchmark_detector",
    "flop_bound_fields",
    "bench_record_path",
    "write_bench_record",
    "load_bench_records",
    "runtime_table",
    "format_runtime_table",
]

#: one DECam CCD, 4096 rows x 2048 columns: the frame of the paper's Table 4
PAPER_SHAPE = (4096, 2048)


def parse_shape(text):
    """Parse ``"ROWSxCOLS"`` (e.g. ``"4096x2048"``) into ``(ny, nx)``."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", str(text))
    if not match or min(int(match[1]), int(match[2])) < 1:
        raise InputError(f"cannot read shape {text!r}: expected ROWSxCOLS with positive integers, e.g. 4096x2048")
    return int(match[1]), int(match[2])


def make_bench_frame(shape, *, seed=0, gain=2.0, read_noise=5.0, sky=200.0):
    """Return a seeded toy frame in electrons for timing (:func:`~crbench.datasets.toy.make_toy_sample`).

    The scene only has to look like a sky frame to the detectors (so that
    iterative methods do their usual amount of work); its densities follow
    a moderately crowded DECam frame: one star per 2000 pixels and one
    cosmic-ray track per 4000 pixels.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    seed : int
        Seed of the ``numpy.random.Generator``.
    gain, read_noise, sky : float
        e-/ADU, e- and e- per pixel.

    Returns
    -------
    Sample
    """
    ny, nx = shape
    return make_toy_sample(shape, seed=seed, n_stars=max(1, ny * nx // 2000), n_crs=max(1, ny * nx // 4000),
                           sample_id=f"bench-{ny}x{nx}-seed{seed}", gain=gain, read_noise=read_noise, sky=sky,
                           instrument="bench")


def _synchronise(device):
    if str(device).startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def flop_bound_fields(detector, *, device, megapixels, seconds, refresh_peak=False, say=None):
    """The bench record's FLOP-bound fields of a set-up detector (empty for detectors without a torch network).

    Parameters
    ----------
    detector : Detector
        After setup.
    device : str
    megapixels, seconds : float
        Frame size and the median time per frame.
    refresh_peak : bool
        Measure the machine's peak again instead of reading its cache.
    say : callable, optional
        Progress messages.

    Returns
    -------
    dict
        ``macs_per_pixel`` (:func:`crbench.flops.network_macs_per_pixel`),
        ``achieved_gflops``, and on the CPU ``peak_gflops``, ``peak_probe``
        (:func:`crbench.peak_probe.machine_peak`) and ``flop_bound_ratio``.
    """
    from .flops import flop_bound_ratio, gflops, network_macs_per_pixel

    macs_per_pixel = network_macs_per_pixel(detector)
    if macs_per_pixel is None:
        return {}
    fields = {"macs_per_pixel": macs_per_pixel,
              "achieved_gflops": gflops(macs_per_pixel, megapixels=megapixels, seconds=seconds)}
    if str(device) != "cpu":
        return fields  # the probe measures the CPU: a GPU run has no peak to compare with
    from .peak_probe import machine_peak

    (say or (lambda message: None))(f"{detector.name}: machine peak (probe, cached per machine)")
    probe = machine_peak(refresh=refresh_peak)
    fields["peak_gflops"] = probe["peak_gflops"]
    fields["peak_probe"] = {key: value for key, value in probe.items() if key != "cached"}
    fields["flop_bound_ratio"] = flop_bound_ratio(fields["achieved_gflops"], probe["peak_gflops"])
    return fields


def benchmark_detector(detector, *, shape=PAPER_SHAPE, device="cpu", repeats=3, seed=0, progress=None,
                       refresh_peak=False):
    """Time one detector on one synthetic frame.

    Parameters
    ----------
    detector : Detector
        An instance, not yet set up.
    shape : tuple of int
        Frame shape ``(ny, nx)``.
    device : str
        Resolved device (``"cpu"`` or ``"cuda"``).
    repeats : int
        Timed calls after the warm-up; the record keeps all and their median.
    seed : int
        Seed of the synthetic frame.
    progress : callable, optional
        Called with a short message before each phase.
    refresh_peak : bool
        Measure the machine's FLOP peak again instead of reading its cache
        (:func:`flop_bound_fields`).

    Returns
    -------
    BenchRecord
        The bench record (schema :data:`BENCH_SCHEMA`).
    """
    if repeats < 1:
        raise InputError(f"repeats must be at least 1, got {repeats}")
    say = progress or (lambda message: None)
    sample = make_bench_frame(tuple(shape), seed=seed)
    image, meta = prepare_input(sample, detector=detector)
    baseline_rss = current_rss_bytes()

    say(f"{detector.name}: setup on {device}")
    start = time.perf_counter()
    set_up_detector(detector, device=device)
    setup_seconds = time.perf_counter() - start

    say(f"{detector.name}: warm-up")
    start = time.perf_counter()
    detector.detect(image, meta=meta)
    _synchronise(device)
    warmup_seconds = time.perf_counter() - start

    seconds = []
    for index in range(repeats):
        say(f"{detector.name}: repeat {index + 1}/{repeats}")
        start = time.perf_counter()
        detector.detect(image, meta=meta)
        _synchronise(device)
        seconds.append(time.perf_counter() - start)

    import psutil

    median = statistics.median(seconds)
    megapixels = shape[0] * shape[1] / 1e6
    flop_fields = flop_bound_fields(detector, device=device, megapixels=megapixels, seconds=median,
                                    refresh_peak=refresh_peak, say=say)
    threads = thread_counts()
    threads["process_threads"] = psutil.Process().num_threads()
    record = {
        "schema": BENCH_SCHEMA,
        "crbench_version": __version__,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "detector": detector.info(),
        "shape": [int(shape[0]), int(shape[1])],
        "megapixels": megapixels,
        "device": device,
        "device_model": device_name(device),
        "seed": seed,
        "setup_seconds": setup_seconds,
        "warmup_seconds": warmup_seconds,
        "seconds": seconds,
        "median_seconds": median,
        "seconds_per_megapixel": median / megapixels,
        "n_sweep_values": len(detector.sweep_values()) if detector.output_kind == "mask" else None,
        "baseline_rss_bytes": baseline_rss,
        "peak_rss_bytes": peak_rss_bytes(),
        "threads": threads,
        "environment": environment_info(),
        **flop_fields,
    }
    # through JSON once: the record in memory is exactly what its file will hold
    record = json.loads(json.dumps(record, allow_nan=False))
    return BenchRecord.from_dict(record, source=f"bench record of {detector.name!r}")




def bench_record_path(output_dir, record):
    """Return ``output_dir/bench__<detector>__<params_hash>__<ny>x<nx>__<device>.json``."""
    return Path(output_dir) / as_bench_record(record).filename


def write_bench_record(output_dir, record):
    """Write ``record`` (:class:`BenchRecord` or dict) atomically under ``output_dir``; return the path."""
    record = as_bench_record(record)
    path = bench_record_path(output_dir, record)
    write_json_atomic(path, record.to_dict())
    return path


def load_bench_records(paths):
    """Load bench records from files or directories (``bench__*.json``).

    Returns
    -------
    list of BenchRecord

    Raises
    ------
    CorruptFileError
        For a file that is not JSON, not a bench record or malformed, naming
        the file (and the field).
    """
    files = []
    for path in map(Path, paths):
        files.extend(sorted(path.glob("bench__*.json")) if path.is_dir() else [path])
    records = []
    for file in files:
        try:
            data = json.loads(file.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
            raise CorruptFileError(f"cannot read bench record {file}: {err!r}; delete it and re-run crbench bench") from err
        if not isinstance(data, dict) or data.get("schema") not in known_schemas(BENCH_SCHEMA):
            raise CorruptFileError(f"{file} is not a {BENCH_SCHEMA} record; delete it and re-run crbench bench")
        try:
            records.append(BenchRecord.from_dict(data, source=file))
        except RecordError as err:
            raise CorruptFileError(f"{err}; delete it and re-run crbench bench") from err
    return records


def runtime_table(records):
    """Return the run-time table (one row per record) as a pandas DataFrame.

    Columns follow Bhavanam et al. (2022), Table 4 ("model", CPU seconds for
    one 4K x 2K image) extended with what makes a timing reproducible:
    shape, device and its model, setup and warm-up time, seconds per
    megapixel, peak memory and threads, and for torch detectors the
    achieved GFLOP/s, the machine's measured peak and ``x_of_flop_bound``
    (peak / achieved; empty for other detectors and older records). Rows are
    sorted by seconds per megapixel.
    """
    import pandas as pd

    rows = []
    for record in map(as_bench_record, records):
        rows.append(
            {
                "model": record.detector.name + (f" ({record.detector.inference_backend})"
                                                 if record.detector.inference_backend else ""),
                "params_hash": record.detector.params_hash,
                "shape": "x".join(str(side) for side in record.shape),
                "device": record.device,
                "device_model": record.device_model,
                "seconds_per_image": record.median_seconds,
                "seconds_per_megapixel": record.seconds_per_megapixel,
                "setup_seconds": record.setup_seconds,
                "warmup_seconds": record.warmup_seconds,
                "repeats": len(record.seconds),
                "peak_rss_mib": None if record.peak_rss_bytes is None else record.peak_rss_bytes / 2**20,
                "threads": record.thread_count,
                "gflops": record.achieved_gflops,
                "peak_gflops": record.peak_gflops,
                "x_of_flop_bound": record.flop_bound_ratio,
            }
        )
    columns = [
        "model", "params_hash", "shape", "device", "device_model", "seconds_per_image", "seconds_per_megapixel",
        "setup_seconds", "warmup_seconds", "repeats", "peak_rss_mib", "threads", "gflops", "peak_gflops",
        "x_of_flop_bound",
    ]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values("seconds_per_megapixel", kind="stable").reset_index(drop=True)


def format_runtime_table(table, *, tablefmt="github"):
    """Format :func:`runtime_table` output with tabulate (seconds to 2 decimals).

    Text cells (detector names and machines from bench records) are escaped
    for Markdown (:func:`crbench.escaping.markdown_cell`).
    """
    from tabulate import tabulate

    from .escaping import markdown_cell

    table = table.copy()
    for column in table.columns:
        if any(isinstance(value, str) for value in table[column]):
            table[column] = [markdown_cell(value) if isinstance(value, str) else value for value in table[column]]
    return tabulate(table, headers="keys", tablefmt=tablefmt, showindex=False, floatfmt=".2f")
