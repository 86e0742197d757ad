"""The pixel protocol: one validated object that says which pixels are scored and how.

Every scorer (:class:`~crbench.scoring.PositiveScores`,
:class:`~crbench.scoring.ThresholdCounts`, :class:`~crbench.scoring.SweepCounts`,
:func:`~crbench.scoring.prepare_pixels`) takes a :class:`PixelProtocol`
instead of separate options, so the rules are validated once, here; the
rules themselves are spelled out in :mod:`crbench.scoring.pixels`.
"""

import dataclasses
import numbers

import numpy as np

from ..errors import InputError

__all__ = ["DEFAULT_PROTOCOL", "FOOTPRINTS", "IGNORE_POLICIES", "OUTPUT_DILATION", "PixelProtocol"]

#: How ignored pixels count: left out of every count, scored as negatives
#: with the detector's score, or scored as negatives with score 0 (the
#: upstream ``prediction * (1 - ignore)`` convention).
IGNORE_POLICIES = ("exclude", "negative", "zero")

#: Structuring elements of the dilations: a full square, or the 3x3 cross
#: (``skimage.morphology.disk(1)``, what deepCR's ``evaluate`` module uses).
FOOTPRINTS = ("square", "cross")

#: Side of the square output dilation of ``dilate_output`` detectors (both
#: papers dilate undilated detector masks 3x3 before scoring).
OUTPUT_DILATION = 3


@dataclasses.dataclass(frozen=True)
class PixelProtocol:
    """Which pixels are scored, with which label and which score.

    Parameters
    ----------
    truth_dilation : int
        Odd side of the square the truth mask is dilated with (1 = none).
    dilate_output : bool
        Dilate the detector output with an ``OUTPUT_DILATION`` square (grey
        dilation of score maps, binary dilation of masks) before scoring.
    ignore_policy : {"exclude", "negative", "zero"}
        Ignored pixels are left out of every count (``"exclude"``), or forced
        to truth = False after truth dilation and scored as negatives with
        the detector's score (``"negative"``) or with score 0 set *before*
        output dilation (``"zero"``: Cosmic-CoNN's and deepCR's
        ``prediction * (1 - ignore)``).
    footprint : {"square", "cross"}
        Structuring element of both dilations. ``"cross"`` (the 3x3 plus
        shape of ``skimage.morphology.disk(1)``) allows sides 1 and 3 only.

    Raises
    ------
    InputError
        An even, non-integer or non-positive ``truth_dilation``, a
        ``dilate_output`` that is not a bool, an unknown ``ignore_policy`` or
        ``footprint``, or a cross wider than 3.

    Examples
    --------
    >>> PixelProtocol(truth_dilation=3, dilate_output=True).output_dilation
    3
    """

    truth_dilation: int = 3
    dilate_output: bool = False
    ignore_policy: str = "exclude"
    footprint: str = "square"

    def __post_init__(self):
        size = self.truth_dilation
        if isinstance(size, (bool, np.bool_)) or not isinstance(size, numbers.Integral) or size < 1:
            raise InputError(f"truth_dilation must be an odd integer >= 1, got {size!r}")
        if size % 2 == 0:
            raise InputError(f"truth_dilation must be odd so the square is centred, got {size}")
        if not isinstance(self.dilate_output, (bool, np.bool_)):
            raise InputError(f"dilate_output must be True or False, got {self.dilate_output!r}")
        # numpy scalars become Python ones so that equal protocols compare and hash equal
        object.__setattr__(self, "truth_dilation", int(size))
        object.__setattr__(self, "dilate_output", bool(self.dilate_output))
        if self.ignore_policy not in IGNORE_POLICIES:
            raise InputError(f"ignore_policy must be one of {IGNORE_POLICIES}, got {self.ignore_policy!r}")
        if self.footprint not in FOOTPRINTS:
            raise InputError(f"footprint must be one of {FOOTPRINTS}, got {self.footprint!r}")
        if self.footprint == "cross" and self.truth_dilation > 3:
            raise InputError(f"a cross footprint has side 3; truth_dilation {self.truth_dilation} needs a square")

    @property
    def output_dilation(self):
        """Side of the square the output is dilated with (1 = none)."""
        return OUTPUT_DILATION if self.dilate_output else 1

    @property
    def excludes_ignored(self):
        """True when ignored pixels are left out of every count."""
        return self.ignore_policy == "exclude"

    @property
    def is_square_rule(self):
        """True for the rules the fast counters implement directly (square footprint, no score zeroing).

        Other protocols are applied by rewriting the arrays first
        (:func:`crbench.scoring.footprints.apply_upstream_rules`).
        """
        return self.footprint == "square" and self.ignore_policy != "zero"


#: Truth dilated 3x3, output not dilated, ignored pixels excluded: the
#: default of every scorer.
DEFAULT_PROTOCOL = PixelProtocol()
