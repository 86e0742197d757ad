"""The U-Nets with and without crbench's malloc settings (:mod:`crbench.allocator`).

The settings are process-wide and cannot be undone, so every measurement is
its own child process (``CRBENCH_MALLOC_TUNING=0`` or ``1``); the children
alternate (off, on, off, on, ...) so that load changes on a shared machine
hit both alike. Each child sets the detector up as crbench does
(:func:`crbench.detectors.plugin_checks.set_up_detector`), runs ``detect`` once
to warm up, then times one call on the same seeded frame
(``bench_unet_inference.make_frame``) and reports its wall and CPU seconds,
the minor page faults and kernel (system) seconds of that call, its peak
resident memory, and the sha256 of the score map (the settings must not
change a single value).

Run from the repository root:

    CRBENCH_WEIGHTS_DIR=../shared/weights/attention_decam_2022 \\
        python benchmarks/bench_allocator.py [--names deepcr att_cosmic_conn] \\
        [--stamps 384 1024] [--size 2048] [--repeats 2]
"""

import argparse
import hashlib
import json
import os
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def child(name, stamp, size):
    """Time one ``detect`` call in this process; print one JSON line."""
    from bench_unet_inference import FRAME_META as meta
    from bench_unet_inference import make_frame

    from crbench.allocator import malloc_tuning
    from crbench.detectors import get_detector_class
    from crbench.detectors.plugin_checks import set_up_detector
    from crbench.environment import peak_rss_bytes

    frame = make_frame(size)
    detector = get_detector_class(name)(**({"stamp": stamp} if stamp else {}))
    set_up_detector(detector, device="cpu")
    detector.detect(frame, meta=meta)
    before, cpu_before, start = resource.getrusage(resource.RUSAGE_SELF), time.process_time(), time.perf_counter()
    scores = detector.detect(frame, meta=meta)
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu_before
    after = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        "wall": wall, "cpu": cpu, "minor_faults": after.ru_minflt - before.ru_minflt,
        "system_seconds": after.ru_stime - before.ru_stime, "peak_rss": peak_rss_bytes(),
        "sha256": hashlib.sha256(scores.tobytes()).hexdigest(), "tuning": malloc_tuning(),
        "stamp": detector.params["stamp"],
    }))


def measure(name, stamp, size, *, tuning):
    from bench_unet_inference import json_from_child

    return json_from_child([__file__, "--child", name, str(stamp or 0), str(size)], malloc_tuning=tuning)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--names", nargs="+", default=["deepcr", "att_deepcr", "att_cosmic_conn"])
    parser.add_argument("--stamps", nargs="+", type=int, default=[0],
                        help="stamp sides of the BatchNorm models (0: the detector's default)")
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        name, stamp, size = args.child
        return child(name, int(stamp), int(size))

    configurations = [(name, stamp) for name in args.names
                      for stamp in (args.stamps if name in ("deepcr", "att_deepcr") else [0])]
    results = {}
    load_before = os.getloadavg()[0]
    for _ in range(args.repeats):
        for name, stamp in configurations:
            for tuning in (False, True):
                results.setdefault((name, stamp, tuning), []).append(measure(name, stamp, args.size, tuning=tuning))
    megapixels = args.size**2 / 1e6
    print(f"frame {args.size}x{args.size}, best of {args.repeats} alternating child processes; load average "
          f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    print(f"{'detector':16s} {'stamp':>5s} {'malloc':>6s} {'wall s/MP':>9s} {'CPU s/MP':>8s} {'faults/MP':>10s} "
          f"{'sys s/MP':>8s} {'peak MiB':>8s}  same output")
    for (name, stamp, tuning), runs in results.items():
        best = min(runs, key=lambda run: run["wall"])
        plain = results[(name, stamp, False)]
        same = all(run["sha256"] == plain[0]["sha256"] for run in runs + plain)
        print(f"{name:16s} {best['stamp']:5d} {'tuned' if tuning else 'glibc':>6s} {best['wall'] / megapixels:9.3f} "
              f"{best['cpu'] / megapixels:8.3f} {best['minor_faults'] / megapixels:10.0f} "
              f"{best['system_seconds'] / megapixels:8.3f} {best['peak_rss'] / 2**20:8.0f}  {same}")
    for name, stamp in configurations:
        plain = min(run["wall"] for run in results[(name, stamp, False)])
        tuned = min(run["wall"] for run in results[(name, stamp, True)])
        print(f"speed-up of the malloc settings, {name} stamp {stamp or 'default'}: {plain / tuned:.2f}x")


if __name__ == "__main__":
    main()
