"""Named evaluation protocols: crbench's own, and each paper's, rule by rule.

A :class:`ProtocolPreset` says everything that turns the same score maps into
a paper's numbers: which pixels are scored with which label and score (the
:class:`~crbench.scoring.PixelProtocol` it builds), how TPR at a target FPR
is read (threshold grid, interpolation, which ROC point), how purity at 95 %
TPR and F1 are read, and which images are evaluated. Numbers of different
presets are never comparable with each other; only ``crbench`` results are
ranked on the leaderboard.

Rules and where they come from (paths relative to ``site-packages`` for the
installed packages):

``crbench`` (the default; unchanged)
    Truth dilated with the card's square (3x3 for DECam and LCO), score maps
    of ``dilate_output`` detectors grey-dilated 3x3 (square), ignored pixels
    excluded, every distinct score a threshold (``score >= t``), TPR@FPR =
    largest TPR with FPR <= target, purity = precision at the highest
    threshold with TPR >= 0.95, F1 pooled over all pixels at the operating
    point. See :mod:`crbench.scoring`.

``xu2023`` (Cosmic-CoNN LCO evaluation, Xu et al. 2023)
    - ``cosmic_conn/evaluation/utils.py``, ``LCO_evaluate_and_save_masks``:
      ``msk_pdt = msk_pdt * (1 - msk_ignore)`` and ``msk_ref = msk_ref * (1 -
      msk_ignore)``: ignored pixels are scored as negatives with score 0
      (``ignore_policy="zero"``); neither truth nor prediction is dilated
      (the LCO labels are grown when the data set is built).
    - same file, ``evaluate_LCO_model_metrics``: ``roc_curve`` and
      ``precision_recall_curve`` of scikit-learn on all pooled pixels, i.e.
      every distinct score is a threshold (``score >= t``), and
      ``roc_curve``'s default ``drop_intermediate=True``.
    - ``cosmic_conn/evaluation/LCO_ROC_PR.py``, ``plot_ROC``: ``tpr[(fpr <
      0.01).sum()]`` with FPR and TPR in percent: the TPR of the first kept
      ROC point whose FPR is *not below* the target (``tpr_rule =
      "first_not_below"``).
    - same file, ``plot_PR``: ``thres_idx = np.sum(recall > 95) - 1``: the
      precision at the highest threshold whose recall is *strictly* above
      95 % (``purity_rule = "strictly_above"``).
    - ``utils.py``, ``calculate_dice_score``: Dice per image with
      ``prediction > threshold`` (strict) and ``eps = 1`` in the denominator,
      averaged over images (``dice_scores /= total``); crbench reads it at
      the detector's operating threshold (``f1_rule = "per_image_dice"``).
    - ``LCO_ROC_PR.py``, ``__main__``: ``opt.validRatio = 0.3`` and
      ``random.sample(valid_data, int(opt.validRatio * len(valid_data)))``
      after ``random.seed(0)``: a 30 % random subset of the test files
      (``subsample_fraction=0.3, subsample_seed=0``). crbench draws files
      too (ids ``<file stem>#<frame>`` grouped by file) with
      ``random.Random(0).sample`` from the sorted file names; upstream's list
      order comes from ``find_all_fits`` (directory order), so the subset is
      drawn by the same rule but is not necessarily upstream's subset.

``zhang_bloom2020`` (deepCR paper figures, "+" columns; deepCR's ``evaluate``)
    - ``deepCR/evaluate.py``, ``roc``: ``thresholds=np.linspace(0.001, 0.999,
      500)`` and ``_roc``: ``np.array(pdt_mask > thresholds[i]) * (1 -
      ignore)``: a 500-point grid with strict ``>``; ignored pixels have
      score 0 before dilation (``ignore_policy="zero"``); the truth
      ``msk * (1 - ignore)`` is not dilated.
    - ``_roc``: ``dilation(binary_mask, dilate)`` with ``dilate =
      disk(rad)``, ``rad=1``: the 3x3 **cross** (``footprint="cross"``),
      applied to every detector when ``dilate=True``.
    - ``_roc`` returns the dilated TPR and FPR next to the undilated ones;
      the paper's "+" columns read the dilated TPR against the undilated FPR
      (``tpr_from_dilated_output=True``; rule taken from the paper's tables
      as quoted in crbench issue 14, not from code).
    - TPR at a target FPR is linearly interpolated between grid points
      (``numpy.interp`` on FPR ascending). The interpolation is not in the
      package; its exact form is a choice left open by the paper.
    - Purity and F1 are not computed by ``deepCR/evaluate.py`` (None).

``bhavanam2022`` (Bhavanam et al. 2022, attention-augmented U-Nets)
    No evaluation code was released: the repository
    ``lfovia/Attention-Augmented-Cosmic-Ray-Detection-in-Astronomical-Images``
    holds ``README.md`` (a contact line only), ``Train.py``,
    ``model_train.py``, ``base_model_train.py``,
    ``Attentionbase_CR_detection_Models/{Train.py,dataset_norm.py}`` (deepCR's
    data set classes) and model weights. From the paper's text
    (``/work/shared/reference/README.md`` transcribes it): truth dilated 3x3
    on both the DECam and the LCO test sets; outputs of LACosmic,
    Astro-SCRAPPY and the pre-trained Cosmic-CoNN dilated 3x3 before
    scoring, MaxiMask and the DECam-trained models not; the probability
    threshold swept over [0, 1]; F1/IoU/FDR at threshold 0.5 (Table 2).
    Choices the text leaves open, taken as crbench does: the shape of the
    3x3 element (square), how ignored pixels count (excluded), the threshold
    grid (every distinct score, ``>=``), TPR@FPR without interpolation,
    purity's ``>=``, pooled rather than per-image F1, no subsampling. This
    preset therefore gives crbench's numbers by construction; it exists so
    that a record can say which paper's protocol it follows.

Mask detectors (parameter sweeps) follow each preset's pixel rules; the
sweep's own rules (:mod:`crbench.scoring.sweep`) read their metrics under
every preset, because the papers' sweep code (deepCR's ``roc_lacosmic``,
Cosmic-CoNN's precomputed Astro-SCRAPPY ``.npz`` files) re-runs the
detector or is not released.
"""

import dataclasses
import difflib
import numbers
import random

import numpy as np

from ..errors import InputError
from .protocol import FOOTPRINTS, IGNORE_POLICIES, PixelProtocol

__all__ = [
    "DEFAULT_PRESET_NAME",
    "PRESETS",
    "ProtocolPreset",
    "TPR_RULES",
    "PURITY_RULES",
    "F1_RULES",
    "get_preset",
    "preset_names",
]

DEFAULT_PRESET_NAME = "crbench"

#: How TPR at a target FPR is read from the ROC points.
TPR_RULES = ("max_at_or_below", "first_not_below", "interpolated")
#: How purity at 95 % TPR picks its point: TPR >= 0.95, or recall > 95 %.
PURITY_RULES = ("at_least", "strictly_above", None)
#: F1 pooled over all pixels at the operating point, or Dice per image averaged.
F1_RULES = ("pooled", "per_image_dice", None)
#: Output dilation: the detector's ``dilate_output`` flag, never, or always.
OUTPUT_RULES = ("detector", "never", "always")


@dataclasses.dataclass(frozen=True)
class ProtocolPreset:
    """One named evaluation protocol (see the module docstring for each preset's sources).

    Parameters
    ----------
    name : str
    citation : str
        The paper (and code) the preset reproduces.
    truth_dilation : int or None
        Side of the truth dilation; None = the data set card's.
    output_dilation : {"detector", "never", "always"}
        Whether score maps are dilated (3x3) before scoring.
    footprint : {"square", "cross"}
        Structuring element of both dilations.
    ignore_policy : {"exclude", "negative", "zero"} or None
        None = the data set card's.
    threshold_grid : tuple of float or None
        None: every distinct score is a threshold. Otherwise a fixed grid.
    strict_threshold : bool
        Flag ``score > t`` (True) instead of ``score >= t``.
    tpr_rule : {"max_at_or_below", "first_not_below", "interpolated"}
    tpr_from_dilated_output : bool
        Read TPR on output-dilated maps and FPR on undilated maps.
    purity_rule : {"at_least", "strictly_above"} or None
        None = the protocol defines no purity.
    f1_rule : {"pooled", "per_image_dice"} or None
    dice_epsilon : int
        Added to the per-image Dice denominator.
    subsample_fraction : float or None
        Evaluate ``int(fraction * n)`` images drawn with ``random.Random(seed).sample``.
    subsample_seed : int or None
    open_choices : tuple of str
        Rules the source leaves open, with the choice taken.

    Raises
    ------
    InputError
        An unknown rule, a fraction outside (0, 1], or a grid outside [0, 1].
    """

    name: str
    citation: str
    truth_dilation: int | None = None
    output_dilation: str = "detector"
    footprint: str = "square"
    ignore_policy: str | None = None
    threshold_grid: tuple | None = None
    strict_threshold: bool = False
    tpr_rule: str = "max_at_or_below"
    tpr_from_dilated_output: bool = False
    purity_rule: str | None = "at_least"
    f1_rule: str | None = "pooled"
    dice_epsilon: int = 0
    subsample_fraction: float | None = None
    subsample_seed: int | None = None
    open_choices: tuple = ()

    def __post_init__(self):
        checks = (("output_dilation", OUTPUT_RULES), ("footprint", FOOTPRINTS), ("tpr_rule", TPR_RULES),
                  ("purity_rule", PURITY_RULES), ("f1_rule", F1_RULES))
        for field, allowed in checks:
            if getattr(self, field) not in allowed:
                raise InputError(f"preset {self.name!r}: {field} must be one of {allowed}, got "
                                 f"{getattr(self, field)!r}")
        if self.ignore_policy is not None and self.ignore_policy not in IGNORE_POLICIES:
            raise InputError(f"preset {self.name!r}: ignore_policy must be one of {IGNORE_POLICIES} or None")
        if self.threshold_grid is not None:
            grid = np.asarray(self.threshold_grid, dtype=np.float64)
            if grid.ndim != 1 or grid.size == 0 or np.any((grid < 0) | (grid > 1)) or np.any(np.diff(grid) <= 0):
                raise InputError(f"preset {self.name!r}: threshold_grid must be increasing values in [0, 1]")
            object.__setattr__(self, "threshold_grid", tuple(float(t) for t in grid))
        if self.tpr_rule == "interpolated" and self.threshold_grid is None:
            raise InputError(f"preset {self.name!r}: an interpolated TPR needs a threshold_grid")
        if self.tpr_from_dilated_output and self.threshold_grid is None:
            raise InputError(f"preset {self.name!r}: dilated TPR with undilated FPR needs a threshold_grid")
        if self.subsample_fraction is not None:
            if not 0 < self.subsample_fraction <= 1 or not isinstance(self.subsample_seed, numbers.Integral):
                raise InputError(f"preset {self.name!r}: subsampling needs a fraction in (0, 1] and an integer seed")
        # a protocol that the preset builds must itself be valid
        self.pixel_protocol(card_truth_dilation=3, card_ignore_policy="exclude", detector_dilates=True)

    @property
    def is_default(self):
        """True for crbench's own protocol (the only one the leaderboard ranks)."""
        return self.name == DEFAULT_PRESET_NAME

    def pixel_protocol(self, *, card_truth_dilation, card_ignore_policy, detector_dilates, dilated=None):
        """Return the :class:`PixelProtocol` of this preset for one card and detector.

        Parameters
        ----------
        card_truth_dilation : int
        card_ignore_policy : str
        detector_dilates : bool
            The detector's ``dilate_output`` flag.
        dilated : bool, optional
            Force output dilation on or off (used for the two curves of
            ``tpr_from_dilated_output``); default: the preset's rule.

        Returns
        -------
        PixelProtocol
        """
        if dilated is None:
            dilated = {"detector": bool(detector_dilates), "never": False, "always": True}[self.output_dilation]
        return PixelProtocol(
            truth_dilation=card_truth_dilation if self.truth_dilation is None else self.truth_dilation,
            dilate_output=bool(dilated),
            ignore_policy=self.ignore_policy or card_ignore_policy,
            footprint=self.footprint,
        )

    def grid_thresholds(self):
        """The float64 thresholds ``t'`` with ``score >= t'`` equal to the grid's rule, or ().

        With ``strict_threshold``, ``score > t`` is ``score >= nextafter(t, inf)``
        for float32 and float64 scores compared as real numbers (as numpy does
        when a float32 map meets a float64 threshold).
        """
        if self.threshold_grid is None:
            return ()
        grid = np.asarray(self.threshold_grid, dtype=np.float64)
        return tuple(np.nextafter(grid, np.inf).tolist()) if self.strict_threshold else tuple(grid.tolist())

    def operating_threshold(self, operating_point):
        """The grid threshold that applies the preset's comparison at ``operating_point``."""
        value = float(operating_point)
        return float(np.nextafter(value, np.inf)) if self.strict_threshold else value

    def select_images(self, sample_ids):
        """Return the sample ids this preset evaluates, in their given order.

        Without subsampling: all. Otherwise files are drawn, as upstream
        draws FITS files: the ids are grouped by file (the part before
        ``"#"``, as in the LCO loader's ``<file stem>#<frame>``; an id without
        ``"#"`` is its own file), and ``random.Random(seed).sample`` picks
        ``int(fraction * n_files)`` of the sorted file names.
        """
        sample_ids = list(sample_ids)
        if self.subsample_fraction is None:
            return sample_ids
        files = sorted({sample_id.split("#", 1)[0] for sample_id in sample_ids})
        chosen = set(random.Random(self.subsample_seed).sample(files, int(self.subsample_fraction * len(files))))
        return [sample_id for sample_id in sample_ids if sample_id.split("#", 1)[0] in chosen]


PRESETS = {
    preset.name: preset
    for preset in (
        ProtocolPreset(
            name="crbench",
            citation="crbench's default protocol (docs: README 'Scoring conventions')",
        ),
        ProtocolPreset(
            name="xu2023",
            citation="Xu et al. 2023, Cosmic-CoNN; cosmic_conn/evaluation/{utils.py,LCO_ROC_PR.py}",
            truth_dilation=1,
            output_dilation="never",
            ignore_policy="zero",
            strict_threshold=True,
            tpr_rule="first_not_below",
            purity_rule="strictly_above",
            f1_rule="per_image_dice",
            dice_epsilon=1,
            subsample_fraction=0.3,
            subsample_seed=0,
            open_choices=(
                "which 30 % of the files: upstream samples FITS files in find_all_fits (directory) order; "
                "crbench samples sorted file names",
                "the Dice threshold: upstream prints the best of 51 thresholds; crbench reads the operating one",
            ),
        ),
        ProtocolPreset(
            name="zhang_bloom2020",
            citation="Zhang & Bloom 2020, deepCR ('+' columns); deepCR/evaluate.py (roc, _roc)",
            truth_dilation=1,
            output_dilation="always",
            footprint="cross",
            ignore_policy="zero",
            threshold_grid=tuple(np.linspace(0.001, 0.999, 500).tolist()),
            strict_threshold=True,
            tpr_rule="interpolated",
            tpr_from_dilated_output=True,
            purity_rule=None,
            f1_rule=None,
            open_choices=(
                "the interpolation of TPR at a target FPR (not in deepCR's package): linear, numpy.interp",
            ),
        ),
        ProtocolPreset(
            name="bhavanam2022",
            citation="Bhavanam et al. 2022 (arXiv:2207.10411), from its text; no evaluation code released",
            open_choices=(
                "3x3 element shape: square", "ignored pixels: excluded", "threshold grid: every distinct score",
                "TPR@FPR: largest TPR with FPR <= target, no interpolation", "purity: TPR >= 0.95",
                "F1: pooled over pixels at threshold 0.5", "no subsampling",
            ),
        ),
    )
}


def preset_names():
    """Names of the presets, crbench's first."""
    return list(PRESETS)


def get_preset(name):
    """Return the preset called ``name``.

    Raises
    ------
    InputError
        Unknown name (the message suggests the nearest one).
    """
    if isinstance(name, ProtocolPreset):
        return name
    try:
        return PRESETS[name]
    except KeyError:
        close = difflib.get_close_matches(str(name), PRESETS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise InputError(f"unknown protocol {name!r} (known: {', '.join(PRESETS)}){hint}") from None
