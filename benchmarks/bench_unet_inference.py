"""CPU time per megapixel: crbench's DECam UNet-3-32 detectors vs upstream cosmic-conn.

Runs, in one process and on the same seeded 2048 x 2048 frame:

- crbench ``att_cosmic_conn`` (published weights, 256 px stamps, default margin)
  and optionally the other three detectors of the family;
- the upstream ``cosmic_conn`` package's ``detect_cr`` with its
  ``ground_imaging`` model, with its default stamp size and with 256 px stamps.

Each configuration is timed ``--repeats`` times (repeats interleaved across
configurations) after one warm-up call; the
best CPU time (process time, all threads) and wall time are reported in
seconds per megapixel, with each network's multiply-adds per pixel (counted
with forward hooks, :mod:`crbench.flops`), the achieved GFLOP/s (wall), the
machine's peak (:mod:`crbench.peak_probe`, cached per machine) and "x bound"
(peak / achieved), and the wall-time speed-up of each crbench configuration
over each upstream one (> 1 = crbench is faster). Run from the repository root:

    CRBENCH_WEIGHTS_DIR=../shared/weights/attention_decam_2022 \\
        python benchmarks/bench_unet_inference.py [--all] [--repeats 2] [--size 2048] \\
        [--names deepcr att_deepcr] [--stamps 256 1024] [--no-upstream] [--backends torch onnxruntime] \\
        [--upstream-own-process]

crbench sets glibc's malloc to keep freed memory (:mod:`crbench.allocator`) when it sets up its first
network, and the setting is process-wide, so upstream timed in this process gets it too.
``--upstream-own-process`` times upstream instead in fresh child processes at glibc's defaults, as a user
runs it (each child warms up, then times one call; one child per repeat, interleaved with crbench's).
"""

import argparse
import itertools
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crbench.datasets import SampleMeta  # noqa: E402
from crbench.detectors import get_detector_class  # noqa: E402
from crbench.detectors.plugin_checks import set_up_detector  # noqa: E402
from crbench.flops import count_macs, flop_bound_ratio, gflops, network_macs_per_pixel  # noqa: E402
from crbench.inference_backend import BACKENDS, set_backend  # noqa: E402
from crbench.peak_probe import machine_peak  # noqa: E402

#: The description of :func:`make_frame`'s frames: DECam-like, in ADU, sky-subtracted.
FRAME_META = SampleMeta(instrument="decam", units="adu", gain=4.0, read_noise=7.0, saturation=4e4, sky_subtracted=True)


def json_from_child(arguments, *, malloc_tuning):
    """Run ``python ARGUMENTS`` in a fresh process with ``CRBENCH_MALLOC_TUNING`` set; return its last line as JSON.

    The malloc settings (:mod:`crbench.allocator`) are process-wide and permanent, so comparing them
    (or timing upstream without them) needs a process of its own.
    """
    import json
    import subprocess

    environment = {**os.environ, "CRBENCH_MALLOC_TUNING": "1" if malloc_tuning else "0"}
    output = subprocess.run([sys.executable, *arguments], env=environment, capture_output=True, text=True,
                            check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def make_frame(size, *, seed=0):
    """A sky-subtracted frame in ADU: noise, stars and cosmic-ray tracks."""
    rng = np.random.default_rng(seed)
    image = rng.normal(0.0, 8.0, (size, size))
    yy, xx = np.mgrid[0:size, 0:size]
    for _ in range(size // 16):
        y0, x0, flux = rng.uniform(0, size), rng.uniform(0, size), 10 ** rng.uniform(3, 5)
        window = np.s_[max(0, int(y0) - 8) : int(y0) + 9, max(0, int(x0) - 8) : int(x0) + 9]
        image[window] += flux / (2 * np.pi * 2.0**2) * np.exp(
            -((yy[window] - y0) ** 2 + (xx[window] - x0) ** 2) / (2 * 2.0**2)
        )
    for _ in range(size * size // 2000):
        y, x = int(rng.integers(0, size - 4)), int(rng.integers(0, size - 4))
        image[y, x : x + int(rng.integers(1, 4))] += rng.uniform(200, 3000)
    return image.astype(np.float32)


def time_call(function, *, repeats):
    """Return (best CPU seconds, best wall seconds) of ``function()`` over ``repeats`` calls."""
    cpu, wall = [], []
    for _ in range(repeats):
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        function()
        cpu.append(time.process_time() - cpu_start)
        wall.append(time.perf_counter() - wall_start)
    return min(cpu), min(wall)


def upstream_child(*, crop, size):
    """Child process: upstream ``detect_cr`` at ``crop``, warmed up, then one timed call; print the times as JSON."""
    import json

    from cosmic_conn import init_model

    logging.disable(logging.WARNING)
    image = make_frame(size)
    upstream = init_model("ground_imaging")
    upstream.opt.crop = crop
    upstream.detect_cr(image)
    cpu, wall = time_call(lambda: upstream.detect_cr(image), repeats=1)
    print(json.dumps({"cpu": cpu, "wall": wall}))


class UpstreamInChild:
    """Upstream ``detect_cr`` timed in a fresh process with glibc's malloc defaults (``--upstream-own-process``)."""

    def __init__(self, *, crop, size):
        self.crop, self.size = crop, size

    def timed(self):
        """(CPU seconds, wall seconds) of one warmed-up call in a new child process."""
        result = json_from_child([__file__, "--upstream-child", str(self.crop), "--size", str(self.size)],
                                 malloc_tuning=False)
        return result["cpu"], result["wall"]

    def __call__(self):  # the warm-up round: each child warms itself up
        return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--all", action="store_true", help="also time deepcr, att_deepcr and cosmic_conn")
    parser.add_argument("--margins", nargs="+", type=int, default=[24], help="stamp margins to time for crbench")
    parser.add_argument(
        "--batch-sizes", nargs="+", type=int, default=[None], help="stamps per forward pass to time [detector default]"
    )
    parser.add_argument(
        "--stamps", nargs="+", type=int, default=[None],
        help="stamp sides to time for crbench's BatchNorm detectors (deepcr, att_deepcr) [detector default]",
    )
    parser.add_argument("--names", nargs="+", default=None, help="crbench detectors to time (overrides --all)")
    parser.add_argument(
        "--backends", nargs="+", default=["torch"], choices=BACKENDS,
        help="inference engines to time crbench's detectors on (crbench.inference_backend; GroupNorm models "
             "refuse onnxruntime and are skipped there)",
    )
    parser.add_argument("--refresh-peak", action="store_true", help="measure the machine peak again (else cached)")
    parser.add_argument("--no-upstream", action="store_true", help="do not time upstream cosmic-conn")
    parser.add_argument(
        "--upstream-own-process", action="store_true",
        help="time upstream in child processes left at glibc's malloc defaults (CRBENCH_MALLOC_TUNING=0), as a "
             "user runs it, instead of in this process, where crbench's malloc settings also speed it up",
    )
    parser.add_argument("--upstream-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.upstream_child is not None:
        return upstream_child(crop=args.upstream_child, size=args.size)

    import torch

    image = make_frame(args.size)
    megapixels = image.size / 1e6
    meta = FRAME_META
    configurations = []  # (label, callable)

    names = args.names or ["att_cosmic_conn"] + (["cosmic_conn", "deepcr", "att_deepcr"] if args.all else [])
    macs = {}  # label -> network multiply-adds per pixel
    for backend, name in itertools.product(args.backends, names):
        if backend != "torch" and not get_detector_class(name).runs_on_onnxruntime:
            continue
        set_backend(backend)  # read when a detector is set up
        # GroupNorm models keep their trained stamp: their output depends on it
        stamps = args.stamps if name in ("deepcr", "att_deepcr") else [None]
        for stamp in stamps:
            for margin in args.margins:
                for batch_size in args.batch_sizes:
                    options = ({"margin": margin} | ({"batch_size": batch_size} if batch_size else {})
                               | ({"stamp": stamp} if stamp else {}))
                    detector = get_detector_class(name)(**options)
                    set_up_detector(detector, device="cpu")  # as crbench runs it (malloc settings included)
                    params = detector.params
                    label = (f"crbench {name} (stamp {params['stamp']}, margin {margin}, batch {params['batch_size']}"
                             + (f", {backend}" if backend != "torch" else "") + ")")
                    macs[label] = network_macs_per_pixel(detector)
                    configurations.append((label, lambda detector=detector: detector.detect(image, meta=meta)))
    set_backend("torch")
    n_ours = len(configurations)

    logging.disable(logging.WARNING)
    if not args.no_upstream:
        from cosmic_conn import init_model

        upstream = init_model("ground_imaging")

        def upstream_call(crop):
            upstream.opt.crop = crop
            return upstream.detect_cr(image)

        for crop in (upstream.opt.crop, 256):
            label = f"cosmic-conn detect_cr ground_imaging (crop {crop}" + (", own process)" if args.upstream_own_process else ")")
            macs[label] = count_macs(upstream.network, (1, 1, 256, 256)) / 256**2
            if args.upstream_own_process:
                configurations.append((label, UpstreamInChild(crop=crop, size=args.size)))
            else:
                configurations.append((label, lambda crop=crop: upstream_call(crop)))
    # the probe first, on an idle process, at the threads the detectors run with
    probe = machine_peak(refresh=args.refresh_peak)
    load_before = os.getloadavg()[0]

    # warm up, then interleave the repeats so that load changes on a shared machine hit all alike
    for _, function in configurations:
        function()
    timings = {label: [] for label, _ in configurations}
    for _ in range(args.repeats):
        for label, function in configurations:
            # a child process times its one call itself (its start-up and warm-up are not counted)
            timings[label].append(function.timed() if isinstance(function, UpstreamInChild)
                                  else time_call(function, repeats=1))
    rows = [(label, min(t[0] for t in runs), min(t[1] for t in runs)) for label, runs in timings.items()]
    load_after = os.getloadavg()[0]

    peak = probe["peak_gflops"]
    print(f"frame {args.size}x{args.size} ({megapixels:.2f} MP), torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, best of {args.repeats}; load average {load_before:.2f} before, "
          f"{load_after:.2f} after")  # fmt: skip
    print(f"machine peak {peak:.1f} GFLOP/s (matmul {probe['matmul_gflops']:.1f}, 3x3 conv {probe['conv_gflops']:.1f}; "
          f"{'cached ' + probe['date'] if probe['cached'] else 'measured now'})")
    print(f"{'configuration':72s} {'CPU s/MP':>9s} {'wall s/MP':>10s} {'MAC/px':>8s} {'GFLOP/s':>8s} {'x bound':>8s}")
    for label, cpu, wall in rows:
        achieved = gflops(macs[label], megapixels=megapixels, seconds=wall)
        print(f"{label:72s} {cpu / megapixels:9.2f} {wall / megapixels:10.2f} {macs[label]:8.0f} {achieved:8.1f} "
              f"{flop_bound_ratio(achieved, peak):8.2f}")
    upstream_rows = rows[n_ours:]
    for label, _, wall in rows[:n_ours]:
        for upstream_label, _, upstream_wall in upstream_rows:
            print(f"speed-up of [{label}] over [{upstream_label}] (wall): {upstream_wall / wall:.2f}")


if __name__ == "__main__":
    main()
