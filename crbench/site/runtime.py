"""Run-time tables grouped by machine fingerprint, never ranked across machines.

A fingerprint is what decides a timing: CPU model, logical CPU count, torch
threads and GPU (the device when it is CUDA). The CPU brand string alone
splits one machine whose records spell it differently into several tables
and merges machines of different core counts; the fingerprint does neither.
Each table states the date window of its measurements.
"""

from dataclasses import dataclass

import pandas as pd

from ..leaderboard.tables import FLOP_BOUND_NOTE, Table

__all__ = ["Fingerprint", "fingerprint", "group_by_machine", "bench_fingerprint", "run_fingerprint", "runtime_tables_by_machine",
           "cost_per_megapixel"]

_NOT_AVAILABLE = "n/a"


@dataclass(frozen=True)
class Fingerprint:
    """The machine a timing was measured on."""

    cpu_model: str
    logical_cpus: int | None
    torch_threads: int | None
    gpu: str

    @property
    def sort_key(self):
        """Orders fingerprints (unknown counts first)."""
        return (self.cpu_model, self.logical_cpus or -1, self.torch_threads or -1, self.gpu)

    @property
    def label(self):
        """E.g. ``AMD EPYC, 2 logical CPUs, torch threads 1, no GPU``."""
        cpus = "? logical CPUs" if self.logical_cpus is None else f"{self.logical_cpus} logical CPUs"
        threads = "torch not used" if self.torch_threads is None else f"torch threads {self.torch_threads}"
        return f"{self.cpu_model}, {cpus}, {threads}, {self.gpu}"


def group_by_machine(items, fingerprint_of):
    """``{Fingerprint: [item, ...]}``, timings without torch joined to their machine's torch setting.

    A detector that does not load torch records no torch thread count; it
    ran on the same machine as the torch detectors timed there, so it joins
    their group when the machine (CPU, logical CPUs, GPU) had exactly one
    torch thread count; otherwise it keeps a group of its own.

    Parameters
    ----------
    items : iterable
    fingerprint_of : callable
        Item -> :class:`Fingerprint`.
    """
    groups = {}
    for item in items:
        groups.setdefault(fingerprint_of(item), []).append(item)
    for machine in [machine for machine in groups if machine.torch_threads is None]:
        siblings = [other for other in groups if other.torch_threads is not None
                    and (other.cpu_model, other.logical_cpus, other.gpu) == (machine.cpu_model, machine.logical_cpus,
                                                                             machine.gpu)]
        if len(siblings) == 1:
            groups[siblings[0]].extend(groups.pop(machine))
    return groups


def _int_or_none(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def fingerprint(environment, *, device="cpu", device_model=None, threads=None):
    """The :class:`Fingerprint` of a record's environment.

    Parameters
    ----------
    environment : crbench.records.parts.Environment
    device : str
        ``cpu`` or ``cuda[:n]``; the GPU only counts on CUDA.
    device_model : str, optional
        A bench record's device name (the CPU model when the environment lacks one).
    threads : dict, optional
        Thread counts measured with the timing (a bench record's ``threads``);
        they win over the environment's.
    """
    counts = dict(environment.threads or {})
    counts.update(threads if isinstance(threads, dict) else {})
    cpu = environment.cpu_model or (device_model if not str(device).startswith("cuda") else None) or "unknown CPU"
    gpu = "no GPU"
    if str(device).startswith("cuda"):
        names = [str(entry.get("name", "?")) if isinstance(entry, dict) else str(entry) for entry in environment.gpus]
        gpu = "GPU " + (device_model or ", ".join(names) or "unknown")
    return Fingerprint(cpu_model=cpu, logical_cpus=_int_or_none(counts.get("logical_cpus")),
                       torch_threads=_int_or_none(counts.get("torch_threads")), gpu=gpu)


def bench_fingerprint(bench):
    """Fingerprint of a :class:`~crbench.records.BenchRecord`."""
    return fingerprint(bench.environment, device=bench.device, device_model=bench.device_model,
                       threads=bench.threads if isinstance(bench.threads, dict) else None)


def run_fingerprint(record):
    """Fingerprint of a run record's detect stage (its runtime's torch threads win when they agree)."""
    torch_threads = record.runtime.torch_threads
    threads = {"torch_threads": torch_threads[0]} if isinstance(torch_threads, list) and len(set(torch_threads)) == 1 \
        else None
    return fingerprint(record.environment, device=record.runtime.device or "cpu", threads=threads)


def _seconds(value, digits=3):
    return _NOT_AVAILABLE if value is None or value != value else f"{value:.{digits}f}"


def _mebibytes(value):
    return _NOT_AVAILABLE if value is None else f"{value / 2**20:.0f}"


def _window(dates):
    dates = sorted(str(date)[:16].replace("T", " ") for date in dates if date)
    if not dates:
        return "dates not recorded"
    return dates[0] + (f" to {dates[-1]} UTC" if dates[-1] != dates[0] else " UTC")


def _newest_benches(bench_records):
    newest = {}
    for bench in bench_records:
        key = (bench_fingerprint(bench), bench.detector.name, bench.detector.params_hash, tuple(bench.shape),
               bench.device)
        if key not in newest or str(bench.date or "") > str(newest[key].date or ""):
            newest[key] = bench
    return newest


def runtime_tables_by_machine(collection):
    """Run-time tables, one per machine fingerprint and source (bench records, run records).

    Parameters
    ----------
    collection : crbench.leaderboard.collect.Collection

    Returns
    -------
    list of (Fingerprint, Table)
        Bench tables first; rows sorted by s/MP within one machine only.
    """
    tables = []
    by_machine = group_by_machine(_newest_benches(collection.bench_records).values(), bench_fingerprint)
    for machine in sorted(by_machine, key=lambda machine: machine.sort_key):
        benches = by_machine[machine]
        frame = pd.DataFrame([{
            "detector": bench.detector.name,
            "frame shape": " x ".join(str(n) for n in bench.shape) or _NOT_AVAILABLE,
            "device": bench.device,
            "s per frame (median)": bench.median_seconds,
            "s/MP": bench.seconds_per_megapixel,
            "peak memory (MiB)": _mebibytes(bench.peak_rss_bytes),
            # the Markdown runtime table's column, from the bench record's counted multiply-adds and probed peak
            "x of FLOP bound": _NOT_AVAILABLE if bench.flop_bound_ratio is None else f"{bench.flop_bound_ratio:.2f}",
            "repeats": len(bench.seconds),
            "measured": str(bench.date or "")[:16].replace("T", " "),
        } for bench in benches]).sort_values(["s/MP", "detector"], na_position="last")
        frame["s per frame (median)"] = frame["s per frame (median)"].map(_seconds)
        frame["s/MP"] = frame["s/MP"].map(_seconds)
        notes = [f"Measured {_window(bench.date for bench in benches)} with crbench bench. Sorted by s/MP on this "
                 "machine only: timings on different machines are never ranked against each other.", FLOP_BOUND_NOTE]
        tables.append((machine, Table(title=f"crbench bench on {machine.label}", frame=frame.reset_index(drop=True),
                                      notes=notes)))
    timed = [(group, record) for group in collection.groups if group.not_comparable is None
             for record in group.records if record.runtime.seconds_per_megapixel is not None]
    by_machine = group_by_machine(timed, lambda item: run_fingerprint(item[1]))
    for machine in sorted(by_machine, key=lambda machine: machine.sort_key):
        members = by_machine[machine]
        frame = pd.DataFrame([{
            "detector": record.detector.name,
            "data set": group.key.dataset_label,
            "images timed": record.runtime.n_images_timed,
            "s/MP": record.runtime.seconds_per_megapixel,
            "sweep values": record.runtime.n_sweep_values or "",
            "peak memory (MiB)": _mebibytes(record.runtime.peak_rss_bytes),
        } for group, record in members]).sort_values(["data set", "s/MP", "detector"])
        frame["s/MP"] = frame["s/MP"].map(_seconds)
        notes = [f"Detect-stage time inside scoring runs, records created {_window(r.created for _, r in members)}; "
                 "images read from the score cache are not timed; mask detectors run their whole sweep per image."]
        tables.append((machine, Table(title=f"Detect stage while scoring on {machine.label}",
                                      frame=frame.reset_index(drop=True), notes=notes)))
    return tables


def cost_per_megapixel(collection, detector):
    """Timings of one detector on every machine, as table rows.

    Returns
    -------
    list of dict
        ``machine``, ``source`` (bench or scoring run), ``params hash``,
        ``measured on`` (frame shape or data set), ``s/MP``, ``date``.
    """
    rows = []
    machines = group_by_machine(_newest_benches(collection.bench_records).values(), bench_fingerprint)
    for machine in sorted(machines, key=lambda machine: machine.sort_key):
        rows += [{"machine": machine.label, "source": "crbench bench",
                  "params hash": str(bench.detector.params_hash or "")[:8],
                  "measured on": " x ".join(str(n) for n in bench.shape) + " frame",
                  "s/MP": _seconds(bench.seconds_per_megapixel), "date": str(bench.date or "")[:10]}
                 for bench in machines[machine] if bench.detector.name == detector]
    timed = [(group, record) for group in collection.groups if group.not_comparable is None
             for record in group.records if record.runtime.seconds_per_megapixel is not None]
    machines = group_by_machine(timed, lambda item: run_fingerprint(item[1]))
    for machine in sorted(machines, key=lambda machine: machine.sort_key):
        rows += [{"machine": machine.label, "source": "scoring run (detect stage)",
                  "params hash": str(record.detector.params_hash or "")[:8],
                  "measured on": group.key.dataset_label,
                  "s/MP": _seconds(record.runtime.seconds_per_megapixel), "date": str(record.created or "")[:10]}
                 for group, record in machines[machine] if record.detector.name == detector]
    return rows
