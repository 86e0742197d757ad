"""A figure of one simulated sample: zscale image, truth contour, hard negatives."""

import numpy as np

__all__ = ["plot_sample", "densest_window"]

# hard negatives shown in the defect zoom, most interesting first
_DEFECT_PRIORITY = ("bleed_trail", "satellite_trail", "saturated_star", "bad_column", "hot_pixel")


def densest_window(mask, *, size):
    """Return (row, col) of the top-left corner of a ``size`` window centred on the densest True pixels."""
    from scipy import ndimage

    ny, nx = mask.shape
    size = min(size, ny, nx)
    # a smooth kernel (not a box) so that the window is centred on the group, not merely containing it
    counts = ndimage.gaussian_filter(mask.astype(float), sigma=size / 6.0, mode="constant")
    row, col = np.unravel_index(np.argmax(counts), counts.shape)
    return int(np.clip(row - size // 2, 0, ny - size)), int(np.clip(col - size // 2, 0, nx - size))


def _defect_focus(defects, classes):
    codes = {name: int(code) for code, name in classes.items()}
    for name in _DEFECT_PRIORITY:
        if name in codes and (defects == codes[name]).any():
            return defects == codes[name], name
    return defects > 0, "none"


def plot_sample(sample, *, title="", zoom=96):
    """Return a matplotlib Figure of ``sample`` with its truth contour.

    Panels: the whole image (zscale) with the truth contour in red; a
    ``zoom``-pixel window on the densest group of CR pixels; a window on the
    most notable hard negative (bleed trail, satellite, saturated star, bad
    column or hot pixel, in that order) and that window's defect class map.
    """
    import matplotlib

    matplotlib.use("Agg")
    from astropy.visualization import ZScaleInterval
    from matplotlib.figure import Figure

    image, truth = sample.image, sample.truth
    vmin, vmax = ZScaleInterval().get_limits(image)
    figure = Figure(figsize=(11, 11))
    axes = figure.subplots(2, 2).ravel()

    def panel(axis, window, label):
        data = image[window]
        axis.imshow(data, origin="lower", cmap="gray", vmin=vmin, vmax=vmax, interpolation="nearest")
        if truth[window].any():
            axis.contour(truth[window].astype(float), levels=[0.5], colors="red", linewidths=0.7)
        axis.set_title(label, fontsize=9)

    panel(axes[0], np.s_[:, :], "image (zscale), red = CR truth contour")
    row, col = densest_window(truth, size=zoom)
    panel(axes[1], np.s_[row:row + zoom, col:col + zoom], f"CR zoom at row {row}, col {col}")
    defects = sample.extras.get("defects")
    classes = sample.meta.extra.get("defect_classes", {})
    if defects is not None:
        focus, focus_name = _defect_focus(defects, classes)
        row, col = densest_window(focus, size=zoom)
        window = np.s_[row:row + zoom, col:col + zoom]
        panel(axes[2], window, f"hard-negative zoom ({focus_name}) at row {row}, col {col}")
        axes[3].imshow(defects[window], origin="lower", cmap="tab10", vmin=0, vmax=9, interpolation="nearest")
        present = sorted({int(code) for code in np.unique(defects[window])} - {0})
        names = ", ".join(classes.get(str(code), str(code)) for code in present) or "none"
        axes[3].set_title(f"defect classes in that zoom: {names}", fontsize=9)
        if truth[window].any():
            axes[3].contour(truth[window].astype(float), levels=[0.5], colors="red", linewidths=0.7)
    meta = sample.meta
    extra = meta.extra
    figure.suptitle(
        f"{title}\nband {meta.band}, {meta.exposure_time:.0f} s, {meta.units}, PSF FWHM "
        f"{extra.get('psf_fwhm_px', float('nan')):.2f} px, CR pixels {int(truth.sum())} "
        f"(fraction {truth.mean():.2e})",
        fontsize=10,
    )
    for axis in axes:
        axis.set_xticks([])
        axis.set_yticks([])
    figure.tight_layout()
    return figure
