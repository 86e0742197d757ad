"""A worked example of a crbench detector plug-in (see docs/submitting.md in crbench)."""

from .laplacian import LaplacianDetector

__all__ = ["LaplacianDetector"]
