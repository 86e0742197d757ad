"""Adapter overhead: each crbench adapter against a direct call of its upstream code.

For every adapter, the same synthetic frame (already in the adapter's units)
is processed by ``adapter.detect`` and by the upstream function called the
way a user of that package would, alternating the two so that load changes
on a shared machine hit both alike. The table gives the minimum and median
seconds, seconds per megapixel and the adapter's overhead in per cent, both
from the minimum (the run least disturbed by other jobs).

Usage (from the repository root)::

    python benchmarks/bench_adapters.py --shape 2048x2048 --repeats 3
    python benchmarks/bench_adapters.py --detector astroscrappy --detector deepcr_pretrained

Rows:

- ``astroscrappy`` / ``lacosmic``: the adapter at its operating point
  against ``detect_cosmics`` / ``remove_cosmics`` with the same arguments
  (one sweep value = one such call).
- ``cosmic_conn_pretrained``: upstream ``model.detect_cr`` (1024-px stamps
  without overlap) against the adapter's overlapping stamps (default), and
  against the adapter with ``margin=0`` to separate the cost of the overlap
  from the cost of the wrapper.
- ``deepcr_pretrained``: ``clean(binary=False, inpaint=False)`` inside
  ``torch.no_grad()`` (what the adapter calls) and as a plain call (which
  also records autograd graphs).
- ``maximask``: upstream ``utils.image_norm`` + ``process_image`` against
  the adapter.
"""

import statistics
import time

import click
import numpy as np

from crbench.detectors import get_detector_class
from crbench.detectors.base import convert_units
from crbench.timing import make_bench_frame, parse_shape


def _direct_calls(name, detector, image, meta):
    """Return ``{label: zero-argument callable}`` of direct upstream calls on ``image``."""
    if name == "astroscrappy":
        import astroscrappy

        kwargs = detector.upstream_kwargs(meta=meta)
        return {"detect_cosmics": lambda: astroscrappy.detect_cosmics(image, **kwargs)}
    if name == "lacosmic":
        import lacosmic

        kwargs = detector.upstream_kwargs(meta=meta)
        return {"remove_cosmics": lambda: lacosmic.remove_cosmics(image, **kwargs)}
    if name.startswith("cosmic_conn"):
        return {"model.detect_cr": lambda: detector.model.detect_cr(image.copy(), ret_numpy=True)}
    if name == "deepcr_pretrained":
        import torch

        def no_grad_clean():
            with torch.no_grad():
                return detector.model.clean(image, binary=False, inpaint=False)

        return {
            "clean() in no_grad": no_grad_clean,
            "clean() plain": lambda: detector.model.clean(image, binary=False, inpaint=False),
        }
    if name == "maximask":
        from maximask_and_maxitrack import utils

        def maximask_direct():
            normalised, _ = utils.image_norm(image)
            out = np.zeros(image.shape + (1,), dtype=np.float32)
            detector.inference.process_image(normalised, out, detector.model)
            return out

        return {"image_norm + process_image": maximask_direct}
    raise click.UsageError(f"no direct upstream call defined for {name!r}")


def _variants(name):
    """Adapter parameter sets to time (label -> params)."""
    if name.startswith("cosmic_conn"):
        return {"adapter (overlap, default)": {}, "adapter (margin=0)": {"margin": 0}}
    return {"adapter": {}}


@click.command()
@click.option("--detector", "-d", "names", multiple=True,
              default=("astroscrappy", "lacosmic", "cosmic_conn_pretrained", "deepcr_pretrained", "maximask"),
              show_default=True)
@click.option("--shape", default="2048x2048", show_default=True, help="Frame ROWSxCOLS.")
@click.option("--repeats", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
def main(names, shape, repeats, seed):
    """Time each adapter against its direct upstream call on the same frame."""
    import os

    import pandas as pd
    from tabulate import tabulate

    frame_shape = parse_shape(shape)
    sample = make_bench_frame(frame_shape, seed=seed)
    megapixels = frame_shape[0] * frame_shape[1] / 1e6
    rows = []
    for name in names:
        detector_cls = get_detector_class(name)
        if detector_cls.missing_requirements():
            click.echo(f"skipping {name}: {detector_cls.install_hint}", err=True)
            continue
        image = convert_units(sample.image, from_units="electron", to_units=detector_cls.input_units,
                              gain=sample.meta.gain)
        meta = sample.meta.in_units(detector_cls.input_units)
        adapters = {}
        for label, params in _variants(name).items():
            adapter = detector_cls(**params)
            if adapters and hasattr(adapter, "model"):
                # one network for every variant and the direct call: only the tiling differs
                adapter.model = next(iter(adapters.values())).model
            else:
                adapter.setup(device="cpu")
            adapters[label] = adapter
        first = next(iter(adapters.values()))
        candidates = {
            label: (lambda a=adapter, i=image, m=meta: a.detect(i, meta=m)) for label, adapter in adapters.items()
        }
        candidates.update(_direct_calls(name, first, image, meta))
        for call in candidates.values():  # warm-up: lazy imports, allocator, thread pools
            call()
        timings = {label: [] for label in candidates}
        for _ in range(repeats):
            for label, call in candidates.items():  # alternate so load drift hits all alike
                start = time.perf_counter()
                call()
                timings[label].append(time.perf_counter() - start)
        # the minimum is the least load-disturbed run (timeit's convention);
        # on a shared machine the median moves with other users' jobs
        reference_label = next(label for label in candidates if label not in adapters)
        reference = min(timings[reference_label])
        for label, values in timings.items():
            rows.append({
                "detector": name,
                "call": label,
                "min_seconds": min(values),
                "median_seconds": statistics.median(values),
                "seconds_per_megapixel_min": min(values) / megapixels,
                "overhead_vs_upstream_percent_min": 100.0 * (min(values) / reference - 1.0),
                "all_seconds": " ".join(f"{value:.2f}" for value in values),
            })
        # print each detector's rows as soon as they exist: a long run keeps what it measured
        click.echo(tabulate(pd.DataFrame(rows[-len(timings):]), headers="keys", tablefmt="github",
                            showindex=False, floatfmt=".2f"), err=True)
    table = pd.DataFrame(rows)
    click.echo(f"frame {shape} ({megapixels:.2f} Mpix), {repeats} repeats, load average {os.getloadavg()}")
    click.echo(tabulate(table, headers="keys", tablefmt="github", showindex=False, floatfmt=".2f"))


if __name__ == "__main__":
    main()
