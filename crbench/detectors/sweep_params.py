"""The optional ``sweep_refinement`` parameter of mask detectors with a swept parameter.

A mask detector opts into adaptive sweeps (:mod:`crbench.adaptive_sweep`)
by listing :class:`AdaptiveSweepParams` before :class:`~crbench.detectors.Detector`
among its bases; LACosmic and Astro-SCRAPPY do. The parameter is absent
from :attr:`~crbench.detectors.Detector.params` unless given, so records and
cache keys of fixed sweeps are unchanged.

Why a mixin and not a change of ``Detector`` itself: the score cache keys
every detector by the source of the modules defining its class and its
``Detector`` bases (:func:`crbench.detectors.base.detector_code_identity`),
so an edit of ``base.py`` would invalidate every cached map of every
detector. This class is not a ``Detector``, so only the detectors that
list it are re-keyed.
"""

__all__ = ["SWEEP_REFINEMENT", "AdaptiveSweepParams", "optional_params"]

#: Name of the optional parameter.
SWEEP_REFINEMENT = "sweep_refinement"


def optional_params(detector_class):
    """Parameters ``detector_class`` accepts beyond :meth:`~crbench.detectors.Detector.accepted_params` (a tuple)."""
    method = getattr(detector_class, "optional_params", None)
    return tuple(method()) if method is not None else ()


class AdaptiveSweepParams:
    """Mixin: accept ``sweep_refinement`` (True for the defaults, or a mapping of
    :class:`crbench.scoring.refine.SweepRefinement` fields; False/None = a fixed sweep).

    The policy is stored in one canonical form, so that equal policies hash
    equally, and left out of ``params`` when it is off.
    """

    @classmethod
    def optional_params(cls):
        """``("sweep_refinement",)`` for a mask detector with a swept parameter, else ``()``."""
        return (SWEEP_REFINEMENT,) if cls.output_kind == "mask" and cls.sweep_parameter is not None else ()

    def __init__(self, **params):
        given = SWEEP_REFINEMENT in params and SWEEP_REFINEMENT in self.optional_params()
        raw = params.pop(SWEEP_REFINEMENT) if given else None
        super().__init__(**params)
        if not given:
            return
        from ..scoring.refine import SweepRefinement  # scoring is imported lazily by detectors

        self.user_params[SWEEP_REFINEMENT] = raw
        policy = SweepRefinement.from_param(raw)
        if policy is not None:
            self.params[SWEEP_REFINEMENT] = policy.to_param()
