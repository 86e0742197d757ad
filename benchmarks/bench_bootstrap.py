"""Cost of the bootstrap intervals of one run, on cached detector outputs.

Run (after the detector's maps are in the cache, e.g. by one ``crbench run``)::

    OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_bootstrap.py \
        --detector cosmic_conn_pretrained --dataset sim_decam --size small --resamples 1000

It scores the run's cached maps once while keeping the per-image states,
then prints: the grid size, the memory of the per-image states, the
bootstrap's seconds (resample weights, weighted sums and metrics of every
resample) and the peak memory the bootstrap allocated on top (tracemalloc,
which sees NumPy's and SciPy's buffers).
"""

import argparse
import time
import tracemalloc

from crbench.cache import ScoreCache, cache_root
from crbench.jobs.build import build_dataset, build_detector
from crbench.runner import _detect_image
from crbench.scoring import ImageSource, score_stream, sweep_stream
from crbench.uncertainty import SweepStates, ThresholdStates, bootstrap_metrics


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detector", required=True)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--size", default="small")
    parser.add_argument("--resamples", type=int, nargs="+", default=[1000])
    args = parser.parse_args()

    detector = build_detector(args.detector, None)
    dataset, _ = build_dataset(args.dataset, size=args.size)
    card = dataset.card
    detector.apply_protocol(card.protocol_for(detector.name))
    cache = ScoreCache(cache_root(), detector_name=detector.name, identity_hash=detector.identity_hash(),
                       params_hash=detector.params_hash)
    outcomes = [_detect_image(detector, dataset, "test", sample_id, cache) for sample_id in dataset.sample_ids("test")]
    if not all(outcome.from_cache for outcome in outcomes):
        raise SystemExit("run the detector once first (crbench run ...): this benchmark times cached maps only")
    kind = detector.output_kind
    protocol = card.pixel_protocol(dilate_output=detector.dilate_output, ignore_policy=card.ignore_policy)
    sources = [
        ImageSource(outcome.sample_id,
                    load_masks=lambda outcome=outcome: (outcome.unpack("truth"), outcome.unpack("ignore")),
                    load_output=lambda outcome=outcome: cache.load(outcome.input_sha256, shape=outcome.shape,
                                                                   kind=kind)[0])
        for outcome in outcomes
    ]
    states = ThresholdStates() if kind == "score" else SweepStates()
    start = time.perf_counter()
    if kind == "score":
        operating = detector.operating_point
        score_stream(sources, protocol=protocol, operating_point=operating, on_image=states.add)
        size = f"grid of {states.grid.values.size} thresholds ({states.grid.n_cells} cells)"
    else:
        values = detector.sweep_values()
        operating = detector.operating_point
        sweep_stream(sources, protocol=protocol, values=values, on_image=states.add)
        size = f"sweep of {len(values)} values"
    scoring_seconds = time.perf_counter() - start
    strata = {outcome.sample_id: outcome.stratum for outcome in outcomes} if card.bootstrap_strata else None
    print(f"{detector.name} on {dataset.name}/{args.size}: {len(outcomes)} images, {size}")
    print(f"  scoring (both passes, cached maps, states kept): {scoring_seconds:.1f} s; "
          f"per-image states: {states.nbytes / 2**20:.1f} MiB")
    for n_resamples in args.resamples:
        tracemalloc.start()
        start = time.perf_counter()
        section = bootstrap_metrics(states, operating_point=operating, n_resamples=n_resamples, strata=strata,
                                    strata_field=card.bootstrap_strata)
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"  {n_resamples} resamples: {seconds:.2f} s ({1e3 * seconds / n_resamples:.2f} ms each), "
              f"peak {peak / 2**20:.1f} MiB on top of the states")
        for name in ("tpr_at_fpr_1e-4", "tpr_at_fpr_1e-3", "purity_at_tpr_0.95", "f1", "auroc"):
            row = section["metrics"][name]
            print(f"    {name}: [{row['low']}, {row['high']}] undefined {row['n_undefined']}")


if __name__ == "__main__":
    main()
