"""A figure of one simulated sample: zscale image, truth contour, defects."""

import numpy as np

__all__ = ["plot_sample", "densest_window"]


def densest_window(mask, *, size):
    """Return (row, col) of the top-left corner of a ``size`` window centred on the densest True pixels."""
    from scipy import ndimage

    ny, nx = mask.shape
    size = min(size, ny, nx)
    # a smooth kernel (not a box) so that the window is centred on the group, not merely containing it
    counts = ndimage.gaussian_filter(mask.astype(float), sigma=size / 6.0, mode="constant")
    row, col = np.unravel_index(np.argmax(counts), counts.shape)
    return int(np.clip(row - size // 2, 0, ny - size)), int(np.clip(col - size // 2, 0, nx - size))


def plot_sample(sample, *, title="", zoom=96):
    """Return a matplotlib Figure of ``sample`` with its truth contour.

    Left: the whole image (zscale). Middle: a ``zoom``-pixel window around
    the densest group of CR pixels. Right: the same window's defect classes
    (hot pixels, bad columns, bleed and satellite trails, saturated stars).
    """
    import matplotlib

    matplotlib.use("Agg")
    from astropy.visualization import ZScaleInterval
    from matplotlib.figure import Figure

    image, truth = sample.image, sample.truth
    vmin, vmax = ZScaleInterval().get_limits(image)
    figure = Figure(figsize=(15, 5.4))
    axes = figure.subplots(1, 3)
    row, col = densest_window(truth, size=zoom)
    window = np.s_[row:row + zoom, col:col + zoom]
    for axis, data, label in ((axes[0], image, "image"), (axes[1], image[window], f"zoom at ({row}, {col})")):
        axis.imshow(data, origin="lower", cmap="gray", vmin=vmin, vmax=vmax, interpolation="nearest")
        mask = truth if data is image else truth[window]
        if mask.any():
            axis.contour(mask.astype(float), levels=[0.5], colors="red", linewidths=0.6)
        axis.set_title(label, fontsize=9)
    defects = sample.extras.get("defects")
    if defects is not None:
        axes[2].imshow(defects[window], origin="lower", cmap="tab10", vmin=0, vmax=9, interpolation="nearest")
        classes = sample.meta.extra.get("defect_classes", {})
        present = sorted({int(code) for code in np.unique(defects[window])} - {0})
        names = ", ".join(classes.get(str(code), str(code)) for code in present) or "none"
        axes[2].set_title(f"defects in zoom: {names}", fontsize=9)
        if truth[window].any():
            axes[2].contour(truth[window].astype(float), levels=[0.5], colors="red", linewidths=0.6)
    meta = sample.meta
    extra = meta.extra
    figure.suptitle(
        f"{title}\nband {meta.band}, {meta.exposure_time:.0f} s, {meta.units}, PSF FWHM "
        f"{extra.get('psf_fwhm_px', float('nan')):.2f} px, CR pixels {int(truth.sum())} "
        f"({truth.mean():.2e}), red = truth contour",
        fontsize=10,
    )
    for axis in axes:
        axis.set_xticks([])
        axis.set_yticks([])
    figure.tight_layout()
    return figure
