"""The U-Net adapters' overhead over the bare network forward on the same stamps.

For each detector, on one seeded frame (``bench_unet_inference.make_frame``):

1. ``detect``: the adapter's whole call (private copy, sky subtraction,
   padding, cutting stamps, the network, stitching the kept centres, clipping),
   best of ``--repeats`` wall times;
2. ``bare``: the network alone on exactly the stamps ``detect`` hands it
   (recorded once, converted to the engine's input format beforehand), best of
   ``--repeats``;
3. the overhead ``detect / bare - 1`` (issue 20's rule: at most 5 %);
4. a ``cProfile`` trace of one ``detect`` call, the harness's own functions
   listed by self time, so that what the overhead is made of is measured
   rather than guessed.

Run from the repository root (same threads for every row):

    CRBENCH_WEIGHTS_DIR=../shared/weights/attention_decam_2022 \\
        python benchmarks/unet_harness_overhead.py [--size 2048] [--repeats 3] \\
        [--names att_cosmic_conn deepcr] [--backend torch|onnxruntime]
"""

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_unet_inference import FRAME_META as META  # noqa: E402
from bench_unet_inference import make_frame  # noqa: E402

from crbench.detectors import get_detector_class  # noqa: E402
from crbench.detectors.plugin_checks import set_up_detector  # noqa: E402
from crbench.inference_backend import set_backend  # noqa: E402


def best_wall(function, *, repeats):
    """Best wall seconds of ``function()`` over ``repeats`` calls (after one warm-up call)."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def bare_forward(detector, stamps):
    """A function running only the network on ``stamps`` (inputs prepared in the engine's format beforehand)."""
    import torch

    engine = getattr(detector, "_onnx_network", None)
    if engine is not None:
        batches = [np.ascontiguousarray(batch[:, None]) for batch in stamps]
        return lambda: [engine(batch) for batch in batches]
    model = detector._model
    tensors = [torch.from_numpy(batch)[:, None].contiguous(memory_format=torch.channels_last) for batch in stamps]

    def run():
        with torch.inference_mode():
            return [model(tensor) for tensor in tensors]

    return run


def harness_profile(detector, frame, *, top):
    """Self time of crbench's and numpy's Python functions in one ``detect`` call, network excluded."""
    profiler = cProfile.Profile()
    profiler.enable()
    detector.detect(frame, meta=META)
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, function), (_, calls, self_seconds, _, _) in stats.stats.items():
        network = any(engine in filename or engine in function for engine in ("torch", "onnxruntime"))
        if network or f"crbench{os.sep}models{os.sep}" in filename:
            continue  # the network (its modules' Python included) is what 'bare' times
        rows.append((self_seconds, calls, f"{Path(filename).name}:{line}({function})"))
    rows.sort(reverse=True)
    return stats.total_tt, rows[:top]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--names", nargs="+", default=["att_cosmic_conn", "deepcr"])
    parser.add_argument("--backend", default="torch", help="inference engine (crbench.inference_backend)")
    parser.add_argument("--top", type=int, default=8, help="harness functions to list per detector")
    args = parser.parse_args(argv)

    import torch

    set_backend(args.backend)
    frame = make_frame(args.size)
    megapixels = frame.size / 1e6
    print(f"frame {args.size}x{args.size}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"backend {args.backend}, best of {args.repeats}")
    print(f"{'detector':18s} {'stamps':>7s} {'detect s/MP':>12s} {'bare s/MP':>10s} {'overhead':>9s}")
    profiles = {}
    for name in args.names:
        detector = get_detector_class(name)()
        set_up_detector(detector, device="cpu")
        recorded = []
        predict = detector.predict_stamps
        detector.predict_stamps = lambda stamps, predict=predict, recorded=recorded: (
            recorded.append(stamps.copy()) or predict(stamps))
        detector.detect(frame, meta=META)
        detector.predict_stamps = predict
        detect_seconds = best_wall(lambda detector=detector: detector.detect(frame, meta=META), repeats=args.repeats)
        bare_seconds = best_wall(bare_forward(detector, recorded), repeats=args.repeats)
        n_stamps = sum(len(batch) for batch in recorded)
        print(f"{name:18s} {n_stamps:7d} {detect_seconds / megapixels:12.3f} {bare_seconds / megapixels:10.3f} "
              f"{detect_seconds / bare_seconds - 1:9.1%}")
        profiles[name] = harness_profile(detector, frame, top=args.top)
    for name, (total, rows) in profiles.items():
        print(f"\n{name}: cProfile of one detect call ({total:.2f} s under the profiler); "
              "harness functions by self time (torch and onnxruntime excluded):")
        for self_seconds, calls, label in rows:
            print(f"  {self_seconds:8.4f} s  {calls:6d} calls  {label}")


if __name__ == "__main__":
    main()
