"""The figure of ``crbench datasets show``: one sample of any data set, optionally with a detector's prediction.

Panels (zscale, as :mod:`crbench.review.gallery`):

1. the whole image with the CR truth contour;
2. a zoom on the densest group of CR pixels;
3. and 4. the defects: for simulated samples a zoom on the most notable hard
   negative (bleed trail, satellite, saturated star, bad column, hot pixel)
   and its defect class map; for other samples the ignored pixels (by
   reason, where the data set records reasons) over the whole image and in
   the CR zoom. Each has a legend naming the colours.

With a prediction (:func:`prediction_classes` of a detector's flagged
pixels at its operating point) two more panels show true-positive,
false-positive and missed CR pixels in three colours over the whole image
and the CR zoom, with a legend and the counts in their titles.
"""

import numpy as np

from ..scoring.pixels import scored_positive_mask

__all__ = ["OVERLAY_CLASSES", "OVERLAY_COLOURS", "plot_sample", "densest_window", "prediction_classes"]

# hard negatives shown in the defect zoom, most interesting first
_DEFECT_PRIORITY = ("bleed_trail", "satellite_trail", "saturated_star", "bad_column", "hot_pixel")
#: codes of the prediction overlay (0 = nothing to show)
OVERLAY_CLASSES = {1: "true positive", 2: "false positive", 3: "missed CR"}
#: colours of the overlay codes
OVERLAY_COLOURS = {1: "lime", 2: "magenta", 3: "orange"}
_IGNORED_COLOUR = "deepskyblue"


def prediction_classes(truth, ignore, flagged, *, protocol):
    """Return each pixel's class in the scorer's terms: true positive, false positive or missed CR.

    The truth is dilated as ``protocol`` says (``truth_dilation``) and
    ignored pixels are never positives; under the ``exclude`` policy they
    are in no class (the scorer leaves them out), under the others a flagged
    ignored pixel is a false positive.

    Parameters
    ----------
    truth, ignore : ndarray of bool
        The sample's undilated truth and ignore mask.
    flagged : ndarray of bool
        The detector's flagged pixels at its operating point, after output dilation.
    protocol : crbench.scoring.PixelProtocol

    Returns
    -------
    classes : ndarray of uint8
        Codes of :data:`OVERLAY_CLASSES` (0 = true negative or not scored).
    counts : dict of str to int
        ``true_positive``, ``false_positive``, ``missed`` pixel counts.

    Examples
    --------
    >>> from crbench.scoring import PixelProtocol
    >>> truth = np.zeros((5, 5), bool); truth[2, 2] = True
    >>> flagged = np.zeros((5, 5), bool); flagged[2, 2] = flagged[0, 4] = True
    >>> _, counts = prediction_classes(truth, np.zeros((5, 5), bool), flagged,
    ...                                protocol=PixelProtocol(truth_dilation=1))
    >>> counts
    {'true_positive': 1, 'false_positive': 1, 'missed': 0}
    """
    truth, ignore, flagged = (np.asarray(array, dtype=bool) for array in (truth, ignore, flagged))
    positive = scored_positive_mask(truth, ignore, truth_dilation=protocol.truth_dilation)
    scored = ~ignore if protocol.excludes_ignored else np.ones_like(ignore)
    classes = np.zeros(truth.shape, dtype=np.uint8)
    classes[flagged & positive] = 1
    classes[flagged & ~positive & scored] = 2
    classes[~flagged & positive] = 3
    counts = {"true_positive": int((classes == 1).sum()), "false_positive": int((classes == 2).sum()),
              "missed": int((classes == 3).sum())}
    return classes, counts


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


def _legend(axis, entries, *, title=None):
    """A legend of coloured patches: ``entries`` is a list of (colour, label)."""
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=colour, edgecolor="black", label=label) for colour, label in entries]
    if not handles:
        handles = [Patch(facecolor="none", edgecolor="none", label="none in view")]
    axis.legend(handles=handles, loc="upper right", fontsize=7, framealpha=0.85, title=title, title_fontsize=7)


def _ignore_layers(sample):
    """``[(mask, label), ...]`` of the ignored pixels, by reason where the sample records reasons."""
    reasons = sample.extras.get("ignore_reason")
    if reasons is None:
        return [(sample.ignore, "ignored (excluded from scoring)")]
    from ..stack.params import IGNORE_REASONS

    layers = [((np.asarray(reasons) & bit) > 0, f"ignored: {name}") for name, bit in IGNORE_REASONS.items()]
    flagged = np.zeros(sample.ignore.shape, dtype=bool)
    for mask, _ in layers:
        flagged |= mask
    layers.append((sample.ignore & ~flagged, "ignored: other"))
    return layers


def _overlay(axis, codes, colours):
    """Paint each code of ``codes`` (an int map) in its colour, transparent elsewhere."""
    from matplotlib.colors import to_rgba

    rgba = np.zeros(codes.shape + (4,), dtype=float)
    for code, colour in colours.items():
        rgba[codes == code] = to_rgba(colour, alpha=0.9)
    axis.imshow(rgba, origin="lower", interpolation="nearest")


def plot_sample(sample, *, title="", zoom=96, prediction=None):
    """Return a matplotlib Figure of ``sample`` (any data set) with its truth, defects and a prediction.

    Parameters
    ----------
    sample : crbench.datasets.Sample
    title : str
    zoom : int
        Side of the zoom windows in pixels.
    prediction : dict, optional
        ``classes`` and ``counts`` from :func:`prediction_classes` and a
        ``label`` (detector and operating point) for the overlay panels.
    """
    import matplotlib

    matplotlib.use("Agg")
    from astropy.visualization import ZScaleInterval
    from matplotlib.colors import to_hex
    from matplotlib.figure import Figure

    image, truth = sample.image, sample.truth
    finite = image[np.isfinite(image)]
    vmin, vmax = ZScaleInterval().get_limits(finite if finite.size else np.zeros(1))
    columns = 3 if prediction is not None else 2
    figure = Figure(figsize=(5.5 * columns, 11))
    axes = figure.subplots(2, columns)
    flat = list(axes[:, :2].ravel())

    def panel(axis, window, label):
        data = image[window]
        axis.imshow(data, origin="lower", cmap="gray", vmin=vmin, vmax=vmax, interpolation="nearest")
        if truth[window].any():
            axis.contour(truth[window].astype(float), levels=[0.5], colors="red", linewidths=0.7)
        axis.set_title(label, fontsize=9)

    panel(flat[0], np.s_[:, :], "image (zscale), red = CR truth contour")
    row, col = densest_window(truth, size=zoom)
    cr_window = np.s_[row:row + zoom, col:col + zoom]
    panel(flat[1], cr_window, f"CR zoom at row {row}, col {col}")
    defects = sample.extras.get("defects")
    classes = sample.meta.extra.get("defect_classes", {})
    if defects is not None:
        focus, focus_name = _defect_focus(defects, classes)
        row, col = densest_window(focus, size=zoom)
        window = np.s_[row:row + zoom, col:col + zoom]
        panel(flat[2], window, f"hard-negative zoom ({focus_name}) at row {row}, col {col}")
        flat[3].imshow(defects[window], origin="lower", cmap="tab10", vmin=0, vmax=9, interpolation="nearest")
        present = sorted({int(code) for code in np.unique(defects[window])} - {0})
        tab10 = matplotlib.colormaps["tab10"]
        _legend(flat[3], [(to_hex(tab10(code / 9.0)), classes.get(str(code), str(code))) for code in present],
                title="defect class")
        flat[3].set_title("defect classes in that zoom (red = CR truth contour)", fontsize=9)
        if truth[window].any():
            flat[3].contour(truth[window].astype(float), levels=[0.5], colors="red", linewidths=0.7)
    else:
        layers = [(mask, label) for mask, label in _ignore_layers(sample) if mask.any()]
        palette = matplotlib.colormaps["tab10"]
        colours = {index + 1: _IGNORED_COLOUR if len(layers) == 1 else to_hex(palette(index % 10))
                   for index in range(len(layers))}
        codes = np.zeros(image.shape, dtype=np.uint8)
        for index, (mask, _) in enumerate(layers):
            codes[mask & (codes == 0)] = index + 1
        for axis, window, label in ((flat[2], np.s_[:, :], "ignored pixels"),
                                    (flat[3], cr_window, "ignored pixels in the CR zoom")):
            panel(axis, window, f"{label}: {int((codes[window] > 0).sum())} px")
            _overlay(axis, codes[window], colours)
            in_view = sorted({int(code) for code in np.unique(codes[window])} - {0})
            _legend(axis, [(colours[code], layers[code - 1][1]) for code in in_view])
    if prediction is not None:
        counts = prediction["counts"]
        summary = (f"TP {counts['true_positive']}, FP {counts['false_positive']}, "
                   f"missed {counts['missed']} px")
        legend = [(OVERLAY_COLOURS[code], name) for code, name in OVERLAY_CLASSES.items()]
        for axis, window, label in ((axes[0, 2], np.s_[:, :], "whole image"),
                                    (axes[1, 2], cr_window, "CR zoom")):
            panel(axis, window, f"{prediction['label']}, {label}\n{summary}")
            _overlay(axis, prediction["classes"][window], OVERLAY_COLOURS)
            _legend(axis, legend)
    meta = sample.meta
    psf = meta.extra.get("psf_fwhm_px")
    details = [f"band {meta.band}" if meta.band else None,
               f"{meta.exposure_time:.0f} s" if meta.exposure_time is not None else None,
               meta.units,
               f"PSF FWHM {psf:.2f} px" if psf is not None else None,
               f"CR pixels {int(truth.sum())} (fraction {truth.mean():.2e})",
               f"ignored {int(sample.ignore.sum())}"]
    figure.suptitle(f"{title}\n{', '.join(item for item in details if item)}", fontsize=10)
    for axis in axes.ravel():
        axis.set_xticks([])
        axis.set_yticks([])
    figure.tight_layout()
    return figure
