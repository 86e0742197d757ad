"""Compare simulated cosmic-ray footprints with 1764 real ones from LSST ITL dark frames.

Run from the repository root (the catalogue is fetched and verified, or taken
from ``$CRBENCH_REFERENCE_DIR``)::

    python benchmarks/realism_itl_footprints.py [--n-amplifiers 48] [--seed 2024]
        [--figure docs/figures/realism_itl_footprints.png]

It simulates ``--n-amplifiers`` ITL amplifiers (509 x 2000 pixels, 1500 s of
cosmic rays each, see :mod:`crbench.realism.itl_footprints`), extracts their
footprints with imSim's threshold and prints, for all footprints and for the
CR-like ones (>= 1000 e-): quantiles of pixel count, extent and charge, the
two-sample KS distance, and the footprint rate per cm^2 per s. Takes ~10 s.
"""

import argparse
import time
from pathlib import Path

import numpy as np

from crbench.realism.itl_footprints import (
    CR_LIKE_MIN_CHARGE_E,
    ITL_PROFILE,
    QUANTILES,
    STATISTICS,
    compare_footprints,
    read_itl_catalog,
    simulate_itl_footprints,
)

_UNITS = {"n_pixels": "pixels", "extent": "pixels", "charge": "e-"}


def print_comparison(title, real, simulated):
    comparison = compare_footprints(real, simulated)
    header = " | ".join(f"q{round(q * 100)}" for q in QUANTILES)
    print(f"\n### {title}: {len(real)} real, {len(simulated)} simulated footprints\n")
    print(f"| quantity | set | {header} | KS distance |")
    print("|---|---|" + "---|" * len(QUANTILES) + "---|")
    for name in STATISTICS:
        entry = comparison[name]
        for label, key in (("real", "real_quantiles"), ("simulated", "simulated_quantiles")):
            values = " | ".join(f"{value:.4g}" for value in entry[key])
            ks = f"{entry['ks']:.3f}" if label == "simulated" else ""
            print(f"| {name} ({_UNITS[name]}) | {label} | {values} | {ks} |")
    print(f"\nfootprints per cm^2 per s: real {real.rate_per_cm2_s:.4f}, simulated {simulated.rate_per_cm2_s:.4f}")
    return comparison


def plot(real, simulated, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    sets = (
        ("real, all", real, "k", "-"),
        (f"real, >= {CR_LIKE_MIN_CHARGE_E:.0f} e-", real.cr_like(), "k", "--"),
        ("simulated, all", simulated, "tab:red", "-"),
        (f"simulated, >= {CR_LIKE_MIN_CHARGE_E:.0f} e-", simulated.cr_like(), "tab:red", "--"),
    )
    for axis, name in zip(axes, STATISTICS):
        for label, footprints, colour, style in sets:
            values = np.sort(getattr(footprints, name))
            axis.step(values, np.arange(1, values.size + 1) / values.size, where="post", color=colour,
                      linestyle=style, label=label)
        axis.set_xscale("log")
        axis.set_xlabel(f"{name} ({_UNITS[name]})")
        axis.set_ylabel("cumulative fraction")
        axis.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="lower right")
    figure.suptitle("CR footprints: LSST ITL darks (imSim catalogue) vs crbench simulation, 7-sigma extraction")
    figure.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-amplifiers", type=int, default=48, help="ITL amplifiers to simulate (16 per sensor)")
    parser.add_argument("--exposure", type=float, default=1500.0, help="seconds of cosmic rays per amplifier")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--figure", default="docs/figures/realism_itl_footprints.png", help="PNG path ('' = none)")
    args = parser.parse_args()

    real = read_itl_catalog()
    start = time.perf_counter()
    simulated, n_events = simulate_itl_footprints(
        n_amplifiers=args.n_amplifiers, exposure_time=args.exposure, rng=np.random.default_rng(args.seed)
    )
    elapsed = time.perf_counter() - start
    model = ITL_PROFILE.cosmic_rays
    print(f"ITL profile: {ITL_PROFILE.pixel_size_um:g} um pixels, {ITL_PROFILE.thickness_um:g} um thick, "
          f"noise {ITL_PROFILE.read_noise_e:.2f} e-, diffusion sigma_max {model.diffusion_sigma_max_um:g} um, "
          f"rate {model.rate_per_cm2_s:.4f} /cm^2/s, worms {model.worm_fraction:.3f}, spots {model.spot_fraction:.3f}")
    print(f"simulated {args.n_amplifiers} amplifiers x {args.exposure:g} s in {elapsed:.1f} s: {n_events} events "
          f"starting inside, {len(simulated)} footprints ({len(simulated) / max(n_events, 1):.2f} per event)")
    print_comparison("All footprints", real, simulated)
    print_comparison(f"CR-like footprints (>= {CR_LIKE_MIN_CHARGE_E:.0f} e-)", real.cr_like(), simulated.cr_like())
    if args.figure:
        plot(real, simulated, args.figure)
        print(f"\nfigure: {args.figure}")


if __name__ == "__main__":
    main()
