"""Measure the realism figures of the simulated data sets and the generation time.

Run from the repository root::

    python benchmarks/sim_realism_report.py [--cache DIR]

It builds the ``small`` test split of every ``sim_*`` data set into a fresh
cache (timed), then prints, per profile: the undilated CR pixel fraction on
the built test split and on blank-sky calibration exposures against the
published target, CR track statistics, the sky noise in empty regions
against sqrt(sky + dark + read^2), and star FWHM on the noiseless model
against the drawn seeing. Not part of the test suite (it takes ~1-2 min).
"""

import argparse
import os
import tempfile
import time

import numpy as np
from scipy import ndimage, optimize

from crbench.datasets import get_dataset_class
from crbench.simulate import EVENT_KINDS, get_profile, simulate_cosmic_rays
from crbench.simulate.calibration import CR_PIXEL_FRACTION_TARGETS, measure_cosmic_rays
from crbench.simulate.scene import draw_scene

DATASETS = {"sim_decam": "decam", "sim_lco_0m4": "lco_0m4", "sim_lco_1m": "lco_1m", "sim_lco_2m": "lco_2m"}
STRESS_VARIANTS = ("sim_decam_unmasked", "sim_decam_sharp", "sim_decam_crowded")


def build_all(cache):
    os.environ["CRBENCH_CACHE"] = str(cache)
    timings = {}
    start_all = time.perf_counter()
    for name in DATASETS:
        dataset = get_dataset_class(name)()
        start = time.perf_counter()
        dataset.build("test")
        timings[name] = time.perf_counter() - start
    timings["total"] = time.perf_counter() - start_all
    return timings


def split_statistics(name):
    dataset = get_dataset_class(name)()
    n_truth = n_pixels = 0
    lengths, sky_ratios = [], []
    for sample_id in dataset.sample_ids("test"):
        sample = dataset.load_sample("test", sample_id)
        n_truth += int(sample.truth.sum())
        n_pixels += sample.truth.size
        lengths.append(sample.extras["objects"]["length"])
        sky_ratios.append(sky_noise_ratio(sample))
    return n_truth / n_pixels, np.concatenate(lengths), float(np.median(sky_ratios))


def sky_noise_ratio(sample):
    """Measured std in empty regions over sqrt(sky + dark + read^2), both in image units."""
    profile = get_profile(sample.meta.instrument)
    to_e = sample.meta.extra["image_to_electrons"]
    sky_e = sample.meta.sky_level * to_e
    dark_e = profile.dark_e_per_s * sample.meta.exposure_time
    busy = (sample.extras["source_model"] * to_e > 0.05 * np.sqrt(sky_e)) | sample.truth
    busy |= (sample.extras["defects"] > 0) | sample.ignore
    busy = ndimage.binary_dilation(busy, iterations=3)
    yy, xx = np.nonzero(~busy)
    values = sample.image[yy, xx].astype(float)
    design = np.column_stack([np.ones_like(xx), xx, yy]).astype(float)
    coefficients, *_ = np.linalg.lstsq(design, values, rcond=None)
    expected = np.sqrt(sky_e + dark_e + sample.meta.read_noise**2) / to_e
    return float((values - design @ coefficients).std() / expected)


def protocol_statistics(name):
    """What the standard split scores: CR objects, ignored pixels by reason, PSF floor, saturation flags."""
    dataset = get_dataset_class(name)()
    profile = dataset.profile()
    n_objects = n_pixels = n_ignored = n_full_well = n_full_well_flagged = n_bleed = n_bleed_flagged = 0
    by_bit, fwhm = {}, []
    for sample_id in dataset.sample_ids("test"):
        sample = dataset.load_sample("test", sample_id)
        n_objects += sample.extras["objects"]["n_pixels"].size
        n_pixels += sample.ignore.size
        n_ignored += int(sample.ignore.sum())
        fwhm.append(sample.meta.extra["psf_fwhm_px"])
        # what a detector is told is saturated (meta.saturation, with the mean sky for sky-subtracted images)
        at_full_well = sample.image >= np.float32(sample.meta.saturation)
        n_full_well += int(at_full_well.sum())
        n_full_well_flagged += int((at_full_well & sample.ignore).sum())
        bleed = sample.extras["defects"] == 3
        n_bleed += int(bleed.sum())
        n_bleed_flagged += int((bleed & sample.ignore).sum())
        bits = sample.extras.get("ignore_bits")
        if bits is not None:
            for bit_name, value in sample.meta.extra["ignore_bits"].items():
                by_bit[bit_name] = by_bit.get(bit_name, 0) + int(np.count_nonzero(bits & value))
    fwhm = np.array(fwhm)
    floor_px = profile.instrument_fwhm_arcsec / profile.pixel_scale_arcsec
    return {
        "images": len(fwhm), "mpix": n_pixels / 1e6, "cr_objects": n_objects, "ignored": n_ignored / n_pixels,
        "by_bit": {key: value / n_pixels for key, value in by_bit.items()},
        "fwhm_min": fwhm.min(), "fwhm_median": np.median(fwhm), "below_2px": int((fwhm < 2.0).sum()),
        "below_floor": int((fwhm < floor_px - 1e-9).sum()) if floor_px else None,
        "full_well_flagged": n_full_well_flagged / n_full_well if n_full_well else float("nan"),
        "bleed_flagged": n_bleed_flagged / n_bleed if n_bleed else float("nan"),
    }


def _moffat(coords, x0, y0, flux, fwhm, beta):
    yy, xx = coords
    alpha = fwhm / (2.0 * np.sqrt(2.0 ** (1.0 / beta) - 1.0))
    r2 = (xx - x0) ** 2 + (yy - y0) ** 2
    return (flux * (beta - 1) / (np.pi * alpha**2) * (1 + r2 / alpha**2) ** -beta).ravel()


def fwhm_ratios(profile_name, n_scenes=6):
    profile = get_profile(profile_name)
    ratios = []
    for seed in range(n_scenes):
        scene = draw_scene((512, 512), profile=profile, band=profile.bands[seed % len(profile.bands)],
                           exposure_time=profile.exposure_range_s[0], rng=np.random.default_rng(100 + seed))
        fwhm = scene.psf.fwhm_px
        half = int(np.ceil(3 * fwhm)) + 2
        xs = np.concatenate([scene.stars["x"], scene.galaxies["x"]])
        ys = np.concatenate([scene.stars["y"], scene.galaxies["y"]])
        for i in np.argsort(scene.stars["flux"])[::-1][:10]:
            x, y = scene.stars["x"][i], scene.stars["y"][i]
            distance = np.hypot(xs - x, ys - y)
            distance[i] = np.inf
            ix, iy = int(round(x)), int(round(y))
            if distance.min() < 10 * fwhm or not (half <= ix < 512 - half and half <= iy < 512 - half):
                continue
            cut = scene.sources[iy - half:iy + half + 1, ix - half:ix + half + 1]
            coords = np.mgrid[iy - half:iy + half + 1, ix - half:ix + half + 1]
            popt, _ = optimize.curve_fit(_moffat, coords, cut.ravel(), p0=(x, y, cut.sum(), fwhm * 1.2, 3.0),
                                         maxfev=5000)
            ratios.append(popt[3] / fwhm)
            break
    return np.array(ratios)


def astroscrappy_sweep(name, sigclips=(4.5, 6.0, 10.0, 15.0, 20.0, 30.0)):
    """Pixel TPR and FPR of astroscrappy on the small test split (card protocol, 3x3 dilation of both masks)."""
    import astroscrappy

    dataset = get_dataset_class(name)()
    protocol = dataset.card.protocol_for("astroscrappy")
    kernel = np.ones((3, 3), dtype=bool)
    tp, fp, positives, negatives = (np.zeros(len(sigclips)) for _ in range(4))
    for sample_id in dataset.sample_ids("test"):
        sample = dataset.load_sample("test", sample_id)
        meta = sample.meta
        sky = meta.sky_level if meta.sky_subtracted else 0.0
        truth = ndimage.binary_dilation(sample.truth, kernel)
        valid = ~sample.ignore
        for i, sigclip in enumerate(sigclips):
            mask, _ = astroscrappy.detect_cosmics(
                (sample.image + sky).astype(np.float32), sigclip=sigclip, sigfrac=protocol["sigfrac"],
                objlim=protocol["objlim"], gain=meta.gain if meta.units == "adu" else 1.0, readnoise=meta.read_noise,
                satlevel=meta.saturation + sky, verbose=False,
            )
            mask = ndimage.binary_dilation(mask, kernel)
            tp[i] += (mask & truth & valid).sum()
            fp[i] += (mask & ~truth & valid).sum()
            positives[i] += (truth & valid).sum()
            negatives[i] += (~truth & valid).sum()
    return [(sigclip, tp[i] / positives[i], fp[i] / negatives[i]) for i, sigclip in enumerate(sigclips)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", default=None, help="cache directory (default: a fresh temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cache = args.cache or tmp
        timings = build_all(cache)
        print(f"generation of the small test splits (fresh cache, 1 process): {timings}")
        print()
        print("| data set | target CR px fraction | test split | blank-sky calibration | "
              "object length median (px) | objects <= 3 px | sky std / expected | FWHM fit / drawn |")
        print("|---|---|---|---|---|---|---|---|")
        for name, profile_name in DATASETS.items():
            profile = get_profile(profile_name)
            fraction, lengths, sky_ratio = split_statistics(name)
            calibration = measure_cosmic_rays(profile, n_exposures=40 if profile_name == "decam" else 20,
                                              shape=(1024, 1024), rng=np.random.default_rng(2024))
            ratios = fwhm_ratios(profile_name)
            print(f"| {name} | {CR_PIXEL_FRACTION_TARGETS[profile_name]:.1e} | {fraction:.2e} | "
                  f"{calibration['pixel_fraction']:.2e} | {np.median(calibration['object_length']):.1f} | "
                  f"{np.mean(calibration['object_length'] <= 3):.2f} | {sky_ratio:.3f} | "
                  f"{ratios.mean():.3f} +- {ratios.std():.3f} (n={ratios.size}) |")
        field = simulate_cosmic_rays((4096, 4096), profile=get_profile("decam"), exposure_time=900.0,
                                     rng=np.random.default_rng(7))
        muon = field.events["kind"] == EVENT_KINDS.index("muon")
        lengths = field.events["projected_length"][muon]
        print()
        print(f"DECam muon projected track length: median {np.median(lengths):.2f} px, "
              f"quartiles {np.percentile(lengths, 25):.2f} / {np.percentile(lengths, 75):.2f} px "
              f"(n={lengths.size}; expected median 250/15 x 0.643 = 10.7 px)")
        print()
        print("What each small test split scores (newest versions; stress variants below the line):")
        print()
        print("| data set | images | Mpix | CR objects | ignored | ignored by reason | FWHM min / median (px) | "
              "patches FWHM < 2 px | at full well flagged | bleed flagged |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for name in list(DATASETS) + list(STRESS_VARIANTS):
            stats = protocol_statistics(name)
            reasons = ", ".join(f"{key} {value:.4f}" for key, value in stats["by_bit"].items())
            print(f"| {name} | {stats['images']} | {stats['mpix']:.1f} | {stats['cr_objects']} | "
                  f"{stats['ignored']:.4f} | {reasons} | {stats['fwhm_min']:.2f} / {stats['fwhm_median']:.2f} | "
                  f"{stats['below_2px']} | {stats['full_well_flagged']:.3f} | {stats['bleed_flagged']:.3f} |")
        print()
        print("astroscrappy on the small test splits (card objlim/sigfrac; truth and output dilated 3x3):")
        for name in DATASETS:
            points = ", ".join(f"sigclip {s:g}: TPR {t:.3f} FPR {f:.1e}" for s, t, f in astroscrappy_sweep(name))
            print(f"  {name}: {points}")


if __name__ == "__main__":
    main()
