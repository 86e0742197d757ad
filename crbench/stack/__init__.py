"""Cosmic-ray truth from repeated exposures of one field (``crbench datasets from-stack``).

:func:`build_stack_truth` compares each frame of an aligned stack with the
robust combination of the other frames and labels cosmic rays, pixels to
ignore (with reasons) and a cleaned frame; :mod:`.folder` writes and reads
the labelled data set folders built from FITS files.
"""

from .params import IGNORE_REASONS, StackParams, decode_ignore_reasons
from .truth import FrameTruth, build_stack_truth

__all__ = ["StackParams", "IGNORE_REASONS", "decode_ignore_reasons", "FrameTruth", "build_stack_truth"]
