"""Compare real DECam sky with the simulator: noise, PSF, source counts and brightness.

Run from the repository root (needs the ``decam_stack_sfft`` reference set:
downloaded with sha256 verification, or ``CRBENCH_REFERENCE_DIR`` pointing at
a verified copy)::

    python benchmarks/realism_decam_sky.py [--n-sim 60] [--figures docs/figures] [--no-figures]

It measures the ten real frames (i band, 330 s, CCD N6), ``--n-sim``
simulated i-band frames of 330 s from :func:`crbench.simulate.simulate_frame`
(the matched comparison) and the i-band patches of the ``sim_decam`` small
test split (90 s, generated into ``$CRBENCH_CACHE`` on first use), prints a
table (per quantity: median and 16-84 % range of the real frames and of each
simulated set, and the ratio of the medians) and writes PNG figures. Method
and discussion: docs/realism_decam_sky.md. Takes about 20-40 s.
"""

import argparse
import math
from pathlib import Path

import numpy as np
from tabulate import tabulate

from crbench.datasets import get_dataset_class
from crbench.realism.decam_sky import DECAM_PIXEL_SCALE, NOISE_BLOCK, measure_real_frames, measure_simulated_frame
from crbench.simulate import get_profile, simulate_frame

REAL_EXPOSURE = 330.0
#: aperture S/N of the source-density cut
MIN_SNR = 10.0
#: "bright" sources: electron rate above 10^(0.4 * 6) = 251 e-/s, S/N > 30 at 90 s and at 330 s
BRIGHT_MAG = -6.0
SIM_SEED = 20261129


def _sim_decam_profile():
    """The DECam profile of the newest sim_decam version (seeing floor, CR physics), as its patches use it."""
    return get_dataset_class("sim_decam")().profile()


def simulate_matched(n_frames, *, exposure_time=REAL_EXPOSURE, seed=SIM_SEED):
    """Measure ``n_frames`` simulated DECam i-band frames of ``exposure_time`` seconds (newest sim_decam recipe)."""
    profile = _sim_decam_profile()
    protocol = get_dataset_class("sim_decam")().spec.protocol
    results = []
    for index, child in enumerate(np.random.SeedSequence(seed).spawn(n_frames)):
        frame = simulate_frame(profile, shape=(256, 256), band="i", rng=np.random.default_rng(child),
                               exposure_time=exposure_time, protocol=protocol)
        info = frame.info
        results.append(measure_simulated_frame(
            frame.image, source_model=frame.source_model, cr_model=frame.cr_model, defects=frame.defects,
            ignore=frame.ignore, gain=profile.gain_e_per_adu, read_noise=profile.read_noise_e,
            sky_level=info["sky_level"], exposure_time=info["exposure_time"], saturation=info["saturation"],
            label=f"sim-{index:03d}", kind=f"sim {exposure_time:.0f} s", truth=info,
        ))
    return results


def measure_sim_decam_patches(*, size="small"):
    """Measure the i-band patches of the ``sim_decam`` test split (generated on first use)."""
    from crbench.datasets import get_dataset_class

    dataset = get_dataset_class("sim_decam")(size=size)
    results = []
    for sample_id in dataset.sample_ids("test"):
        if "-i-" not in sample_id:
            continue
        sample = dataset.load_sample("test", sample_id)
        meta, extras = sample.meta, sample.extras
        results.append(measure_simulated_frame(
            sample.image, source_model=extras["source_model"], cr_model=extras["cr_model"],
            defects=extras["defects"], ignore=sample.ignore, gain=meta.gain, read_noise=meta.read_noise,
            sky_level=meta.sky_level, exposure_time=meta.exposure_time, saturation=meta.saturation,
            label=sample_id, kind="sim_decam", truth=dict(meta.extra, saturation=meta.saturation),
        ))
    return results


def _summary(values):
    values = np.asarray([v for v in values if np.isfinite(v)], dtype=float)
    if values.size == 0:
        return float("nan"), "n/a"
    low, median, high = np.percentile(values, [16, 50, 84])
    return float(median), f"{median:.3g} [{low:.3g}, {high:.3g}] (n={values.size})"


def quantity_rows(real, matched, patches):
    """Rows of the comparison table.

    Per quantity: real summary, then for the matched 330 s simulation and the
    sim_decam patches: summary, ratio of the medians (sim / real) and the
    fraction of simulated frames at or above the real median.
    """
    native = [m for m in real if m.kind == "real native"]
    resampled = [m for m in real if m.kind == "real resampled"]
    profile = get_profile("decam")
    depth_factor = math.sqrt(REAL_EXPOSURE / 90.0)
    quantities = [
        ("gain (e-/ADU)", [m.gain for m in real], lambda ms: [m.gain for m in ms]),
        ("read noise (e-)", [m.read_noise for m in real], lambda ms: [m.read_noise for m in ms]),
        ("sky (e-/pixel/s), 2018-08-04 frames (moon 55 % lit)", [m.sky_e_per_s for m in real
                                                                   if m.truth["night"] == "180804"],
         lambda ms: [m.sky_e_per_s for m in ms]),
        ("sky (e-/pixel/s), 2016-08-18 frames (full moon)", [m.sky_e_per_s for m in real
                                                             if m.truth["night"] == "160818"],
         lambda ms: [m.sky_e_per_s for m in ms]),
        ("saturation level incl. sky (ke-)", _saturation_ke(real), _saturation_ke),
        ("pixel sigma / expected, native", [m.pixel_sigma / m.expected_sigma for m in native],
         lambda ms: [m.pixel_sigma / m.expected_sigma for m in ms]),
        ("pixel sigma / expected, resampled", [m.pixel_sigma / m.expected_sigma for m in resampled],
         lambda ms: [m.pixel_sigma / m.expected_sigma for m in ms]),
        (f"{NOISE_BLOCK}x{NOISE_BLOCK}-block sigma / expected, all", [m.noise_ratio for m in real],
         lambda ms: [m.noise_ratio for m in ms]),
        ("lag-1 correlation (max of x, y), native", [max(m.lag1_x, m.lag1_y) for m in native],
         lambda ms: [max(m.lag1_x, m.lag1_y) for m in ms]),
        ("lag-1 correlation (max of x, y), resampled", [max(m.lag1_x, m.lag1_y) for m in resampled],
         lambda ms: [max(m.lag1_x, m.lag1_y) for m in ms]),
        ("PSF FWHM measured (px)", [m.fwhm for m in real], lambda ms: [m.fwhm for m in ms]),
        ("PSF FWHM drawn / header (px)", [m.truth["header_fwhm"] for m in real],
         lambda ms: [m.truth["psf_fwhm_px"] for m in ms]),
        (f"sources S/N>={MIN_SNR:g} (per arcmin^2)", [m.density(min_snr=MIN_SNR) for m in real],
         lambda ms: [m.density(min_snr=MIN_SNR) for m in ms]),
        (f"sources S/N>={MIN_SNR * depth_factor:.1f} (per arcmin^2; 330 s S/N of a 90 s S/N 10)",
         [m.density(min_snr=MIN_SNR * depth_factor) for m in real],
         lambda ms: [m.density(min_snr=MIN_SNR * (depth_factor if m.exposure_time > 200 else 1.0)) for m in ms]),
        (f"sources brighter than {BRIGHT_MAG:g} inst. mag (> 251 e-/s, per arcmin^2)",
         [_bright_density(m) for m in real], lambda ms: [_bright_density(m) for m in ms]),
        (f"median flux of S/N>={MIN_SNR:g} sources (e-/s)", [_median_rate(m) for m in real],
         lambda ms: [_median_rate(m) for m in ms]),
    ]
    rows = []
    for name, real_values, sim_values in quantities:
        real_median, real_text = _summary(real_values)
        row = [name, real_text]
        for measurements in (matched, patches):
            sim_median, sim_text = _summary(sim_values(measurements))
            ratio = sim_median / real_median if real_median != 0.0 and np.isfinite(real_median) else np.nan
            finite = np.asarray([v for v in sim_values(measurements) if np.isfinite(v)], dtype=float)
            above = float((finite >= real_median).mean()) if finite.size else np.nan
            row += [sim_text, f"{ratio:.3g}", f"{above:.2f}"]
        rows.append(row)
    rows[1][2] += f" (profile {profile.read_noise_e:g})"
    return rows


def _saturation_ke(measurements):
    return [(m.truth["saturation"] + m.sky_level) * m.gain / 1e3 for m in measurements]


def _bright_density(measurement):
    catalog = measurement.catalog
    return float((catalog.instrumental_mag < BRIGHT_MAG).sum() / catalog.area_arcmin2)


def _median_rate(measurement):
    catalog = measurement.catalog
    rates = catalog.flux[catalog.snr >= MIN_SNR] / catalog.exposure_time
    return float(np.median(rates)) if rates.size else float("nan")


def print_real_frames(real):
    rows = []
    for m in real:
        rows.append([m.label, m.truth["night"], m.kind.split()[-1], f"{m.truth['airmass']:.2f}", m.truth["sky_source"],
                     f"{m.sky_e_per_s:.1f}", f"{m.expected_sigma:.2f}", f"{m.pixel_sigma:.2f}",
                     f"{m.white_sigma:.2f}", f"{m.lag1_x:.3f}", f"{m.lag1_y:.3f}", f"{m.block_variance_ratio:.2f}",
                     f"{m.fwhm:.2f}", f"{m.truth['header_fwhm']:.2f}", m.n_psf_stars,
                     m.truth["n_cosmic_ray_pixels"], f"{m.density(min_snr=MIN_SNR):.1f}",
                     int((m.catalog.snr >= MIN_SNR).sum())])
    headers = ["frame", "night", "grid", "airmass", "sky from", "sky e-/s", "expected sigma", "pixel sigma",
               f"{NOISE_BLOCK}x{NOISE_BLOCK} sigma", "lag1 x", "lag1 y", "block var ratio", "FWHM px",
               "header FWHM", "PSF stars", "CR px", f"n/arcmin2 S/N>={MIN_SNR:g}", "n"]
    print(tabulate(rows, headers=headers, tablefmt="github"))


def write_figures(real, matched, patches, out_dir):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []

    # 1. noise: per-pixel and block sigma over expectation, per frame
    fig, ax = plt.subplots(figsize=(7, 4))
    groups = [("real native", "C3", "o"), ("real resampled", "C0", "s")]
    for kind, colour, marker in groups:
        chosen = [m for m in real if m.kind == kind]
        ax.scatter([max(m.lag1_x, m.lag1_y) for m in chosen], [m.pixel_sigma / m.expected_sigma for m in chosen],
                   color=colour, marker=marker, facecolors="none", label=f"{kind}: single pixels")
        ax.scatter([max(m.lag1_x, m.lag1_y) for m in chosen], [m.noise_ratio for m in chosen], color=colour,
                   marker=marker, label=f"{kind}: {NOISE_BLOCK}x{NOISE_BLOCK} block sums")
    ax.scatter([max(m.lag1_x, m.lag1_y) for m in matched], [m.noise_ratio for m in matched], color="0.5", s=8,
               label=f"simulated 330 s: {NOISE_BLOCK}x{NOISE_BLOCK} block sums")
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_xlabel("lag-1 noise correlation (larger of x, y)")
    ax.set_ylabel("measured sigma / sqrt(sky*g + rn^2)/g")
    ax.set_title("DECam i 330 s background noise vs header gain, read noise and sky")
    ax.legend(fontsize=7)
    paths.append(_save(fig, out_dir / "realism_decam_noise.png"))

    # 2. PSF FWHM
    fig, ax = plt.subplots(figsize=(7, 4))
    bins = np.linspace(1.0, 8.0, 29)
    drawn = [m.truth["psf_fwhm_px"] for m in matched] + [m.truth["psf_fwhm_px"] for m in patches]
    ax.hist(drawn, bins=bins, density=True, color="0.8", label="simulator: drawn i-band FWHM (330 s and sim_decam)")
    measured_sim = [m.fwhm for m in matched + patches if np.isfinite(m.fwhm)]
    ax.hist(measured_sim, bins=bins, density=True, histtype="step", color="0.3", label="simulator: measured")
    ax.hist([m.fwhm for m in real], bins=bins, density=True, histtype="step", color="C3", lw=2,
            label="real: measured (Moffat, 3-4 stars each)")
    ax.hist([m.truth["header_fwhm"] for m in real], bins=bins, density=True, histtype="step", color="C1",
            ls="--", label="real: header FWHM (whole CCD)")
    ax.set_xlabel(f"PSF FWHM (pixels of {DECAM_PIXEL_SCALE}\")")
    ax.set_ylabel("frames (normalised)")
    ax.legend(fontsize=7)
    paths.append(_save(fig, out_dir / "realism_decam_fwhm.png"))

    # 3. cumulative counts against instrumental magnitude and against S/N
    fig, (ax_mag, ax_snr) = plt.subplots(1, 2, figsize=(11, 4))
    mag_grid = np.linspace(-11, -2, 91)
    snr_grid = np.logspace(0.7, 3.5, 60)
    sets = [(real, "C3", "real (10 frames, one field)"), (matched, "0.3", "simulated 330 s"),
            (patches, "C0", "sim_decam i, 90 s")]
    for measurements, colour, label in sets:
        area = sum(m.catalog.area_arcmin2 for m in measurements)
        mags = np.concatenate([m.catalog.instrumental_mag[m.catalog.snr >= MIN_SNR] for m in measurements])
        snrs = np.concatenate([m.catalog.snr for m in measurements])
        ax_mag.step(mag_grid, [(mags < g).sum() / area for g in mag_grid], where="post", color=colour, label=label)
        ax_snr.step(snr_grid, [(snrs >= g).sum() / area for g in snr_grid], where="post", color=colour, label=label)
    ax_mag.set_yscale("log")
    ax_mag.set_xlabel("instrumental magnitude -2.5 log10(e-/s)  (i ~ this + 26.4 with the profile zero point)")
    ax_mag.set_ylabel(f"N(< m) per arcmin^2, S/N >= {MIN_SNR:g}")
    ax_mag.legend(fontsize=7)
    ax_snr.set_xscale("log")
    ax_snr.set_yscale("log")
    ax_snr.set_xlabel("aperture S/N")
    ax_snr.set_ylabel("N(>= S/N) per arcmin^2")
    ax_snr.axvline(MIN_SNR, color="k", lw=0.6)
    paths.append(_save(fig, out_dir / "realism_decam_counts.png"))

    # 4. images with the same stretch in sky sigmas
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.9))
    from crbench.realism.decam_sky import load_decam_stack

    native = next(frame for frame in load_decam_stack() if not frame.resampled)
    native_sigma = next(m for m in real if m.kind == "real native").pixel_sigma
    sim_frame = simulate_frame(_sim_decam_profile(), shape=(256, 256), band="i",
                               rng=np.random.default_rng(np.random.SeedSequence(SIM_SEED).spawn(1)[0]),
                               exposure_time=REAL_EXPOSURE, protocol=get_dataset_class("sim_decam")().spec.protocol)
    sim_sigma = matched[0].pixel_sigma
    for ax, image, sigma, title in [(axes[0], native.image, native_sigma, "real DEC-OBS04a (native grid)"),
                                    (axes[1], sim_frame.image, sim_sigma, "simulated i, 330 s (frame 0)"),
                                    (axes[2], native.image, native_sigma, "real, wider stretch")]:
        high = 5 if ax is not axes[2] else 50
        ax.imshow(image / sigma, origin="lower", cmap="gray", vmin=-3, vmax=high)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    # noise does not compress: a low resolution keeps the PNG small
    paths.append(_save(fig, out_dir / "realism_decam_images.png", dpi=60))
    return paths


def _save(fig, path, *, dpi=110):
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-sim", type=int, default=60, help="matched 330 s simulated frames")
    parser.add_argument("--size", default="small", help="sim_decam size whose i-band test patches are measured")
    parser.add_argument("--figures", default="docs/figures", help="folder for the PNG figures")
    parser.add_argument("--no-figures", action="store_true")
    args = parser.parse_args()

    real = measure_real_frames()
    matched = simulate_matched(args.n_sim)
    patches = measure_sim_decam_patches(size=args.size)

    print("Real DECam frames (i, 330 s, CCD N6):\n")
    print_real_frames(real)
    print(f"\nReal vs simulated (median [16 %, 84 %] over frames; ratio = sim median / real median; "
          f">= real: fraction of simulated frames at or above the real median); "
          f"{len(matched)} simulated 330 s frames, {len(patches)} sim_decam i-band 90 s patches:\n")
    headers = ["quantity", "real", "sim 330 s", "ratio", ">= real", "sim_decam 90 s", "ratio", ">= real"]
    print(tabulate(quantity_rows(real, matched, patches), headers=headers, tablefmt="github"))
    if not args.no_figures:
        for path in write_figures(real, matched, patches, args.figures):
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
