"""Real ITL cosmic-ray footprints on a target sensor against the physics model's cosmic rays.

Run from the repository root (the catalogue is fetched and verified, or taken
from ``$CRBENCH_REFERENCE_DIR``)::

    python benchmarks/real_cosmic_rays.py [--profile decam] [--n-exposures 40] [--shape 1024] [--seed 2026]

Draws ``--n-exposures`` blank-sky exposures of the profile (bands cycled,
exposure times drawn from the profile) four times with the same seed: the
physics model (:func:`crbench.simulate.simulate_cosmic_rays`), the ITL
footprints as measured (10 um pixels, 100 um silicon) and the ITL footprints
rescaled to the profile's sensor
(:func:`crbench.simulate.real_cosmics.rescale_footprints`), all at the
profile's event rate, and the rescaled footprints at their calibrated rate
(:data:`crbench.simulate.real_cosmics.RATE_FACTORS`, the rate
``cr_source="itl_footprints"`` uses). It labels each with the simulator's truth rule
(:func:`crbench.simulate.calibration.measure_cosmic_rays`) and prints the
undilated CR pixel fraction, objects per exposure, and quantiles and KS
distances (vs the physics model) of the CR objects' pixel count, length and
charge: for all objects and for those with at least 1000 e-.
"""

import argparse
import time

import numpy as np

from crbench.realism.itl_footprints import CR_LIKE_MIN_CHARGE_E, QUANTILES, FootprintStatistics, compare_footprints
from crbench.simulate import get_profile
from crbench.simulate.calibration import CR_PIXEL_FRACTION_TARGETS, measure_cosmic_rays
from crbench.simulate.real_cosmics import RATE_FACTORS, itl_footprint_library

_QUANTITIES = {"n_pixels": "pixels", "extent": "length, px", "charge": "e-"}


def _statistics(measured):
    return FootprintStatistics(n_pixels=measured["object_n_pixels"], extent=measured["object_length"],
                               charge=measured["object_charge"], peak=measured["object_charge"], exposure_s=0.0,
                               area_cm2=0.0)


def _table(title, sets):
    physics = sets["physics"]
    print(f"\n### {title}\n")
    header = " | ".join(f"q{round(q * 100)}" for q in QUANTILES)
    print(f"| quantity | source | n objects | {header} | KS vs physics |")
    print("|---|---|---|" + "---|" * len(QUANTILES) + "---|")
    for name, unit in _QUANTITIES.items():
        for label, statistics in sets.items():
            if len(statistics) == 0:
                continue
            comparison = compare_footprints(physics, statistics, statistics=(name,))[name]
            values = " | ".join(f"{value:.4g}" for value in comparison["simulated_quantiles"])
            ks = "" if label == "physics" else f"{comparison['ks']:.3f}"
            print(f"| {name} ({unit}) | {label} | {len(statistics)} | {values} | {ks} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="decam")
    parser.add_argument("--n-exposures", type=int, default=40)
    parser.add_argument("--shape", type=int, default=1024)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    profile = get_profile(args.profile)
    shape = (args.shape, args.shape)
    started = time.perf_counter()
    # the uncalibrated runs undo the rate factor: the same event rate as the physics model
    at_physics_rate = 1.0 / RATE_FACTORS.get(profile.name, 1.0)
    rescaled = itl_footprint_library(profile=profile)
    runs = {
        "physics": {"cr_source": "physics"},
        "ITL as measured": {"cr_source": "itl_footprints", "library": itl_footprint_library(),
                            "rate_scale": at_physics_rate},
        "ITL rescaled": {"cr_source": "itl_footprints", "library": rescaled, "rate_scale": at_physics_rate},
        "ITL rescaled, calibrated rate": {"cr_source": "itl_footprints", "library": rescaled},
    }
    measured = {
        label: measure_cosmic_rays(profile, n_exposures=args.n_exposures, shape=shape,
                                   rng=np.random.default_rng(args.seed), **options)
        for label, options in runs.items()
    }
    target = CR_PIXEL_FRACTION_TARGETS.get(profile.name)
    print(f"profile {profile.name}: {args.n_exposures} blank-sky exposures of {args.shape}^2, seed {args.seed}, "
          f"event rate {profile.cosmic_rays.rate_per_cm2_s} cm^-2 s^-1; target pixel fraction {target}")
    print("\n| source | undilated CR pixel fraction | CR objects per exposure |")
    print("|---|---|---|")
    for label, result in measured.items():
        print(f"| {label} | {result['pixel_fraction']:.3e} | {len(result['object_length']) / args.n_exposures:.2f} |")
    statistics = {label: _statistics(result) for label, result in measured.items()}
    _table("all CR objects", statistics)
    _table(f"CR objects with >= {CR_LIKE_MIN_CHARGE_E:.0f} e-",
           {label: s.select(s.charge >= CR_LIKE_MIN_CHARGE_E) for label, s in statistics.items()})
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
