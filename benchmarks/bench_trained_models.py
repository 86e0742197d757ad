"""CPU seconds per megapixel of the crbench-trained detectors ``transunet_small`` and ``att_unet``.

Both run their default settings (shipped sim_decam checkpoints, 128-px stamps,
margin 24) on the same seeded frame as ``bench_unet_inference.py``; after one
warm-up call, the best of ``--repeats`` interleaved calls is reported (CPU
time of the process, all threads, and wall time). Run from the repository
root, e.g. with one thread as in the figures of ``docs/transunet.md``:

    OMP_NUM_THREADS=1 python benchmarks/bench_trained_models.py [--size 1024] [--repeats 2]
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_unet_inference import make_frame, time_call  # noqa: E402

from crbench.datasets import SampleMeta  # noqa: E402
from crbench.detectors import get_detector_class  # noqa: E402

DETECTORS = ("transunet_small", "att_unet")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)

    import torch

    image = make_frame(args.size)
    megapixels = image.size / 1e6
    meta = SampleMeta(instrument="decam", units="adu", gain=4.0, read_noise=7.0, saturation=4e4, sky_subtracted=True)
    detectors = {}
    for name in DETECTORS:
        detector = get_detector_class(name)()
        detector.setup(device="cpu")
        detector.detect(image, meta=meta)  # warm-up
        detectors[name] = detector
    timings = {name: [] for name in DETECTORS}
    for _ in range(args.repeats):  # interleaved, so that load changes on a shared machine hit both alike
        for name, detector in detectors.items():
            timings[name].append(time_call(lambda detector=detector: detector.detect(image, meta=meta), repeats=1))

    print(f"frame {args.size}x{args.size} ({megapixels:.2f} MP), torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, best of {args.repeats}")  # fmt: skip
    print(f"{'detector':16s} {'params':>8s} {'CPU s/MP':>9s} {'wall s/MP':>10s}")
    for name, runs in timings.items():
        n_params = sum(p.numel() for p in detectors[name]._model.parameters())
        cpu, wall = min(run[0] for run in runs), min(run[1] for run in runs)
        print(f"{name:16s} {n_params:8d} {cpu / megapixels:9.2f} {wall / megapixels:10.2f}")


if __name__ == "__main__":
    main()
