"""The scoring stream: both passes over a sequence of images, loaded one at a time.

This is the one orchestration of exact scoring. The runner feeds it images
whose detector outputs come from the score cache, :func:`~crbench.scoring.score_images`
feeds it in-memory arrays; both get the same counts.

1. **Pass 1**: per image, load the map, prepare it under the protocol and
   merge its :class:`~crbench.scoring.PositiveScores`.
2. **Grid**: the union of positive scores plus the operating threshold.
3. **Pass 2**: per image, load the map again, count it on the grid and sum
   the :class:`~crbench.scoring.ThresholdCounts`.

Only one image's arrays are held at a time (plus the pass-1 state and the
running sum), so the stream scales to data sets that do not fit in memory.
Mask sweeps need one pass (:func:`sweep_stream`).
"""

import dataclasses
from collections.abc import Callable

from .counts import ThresholdCounts
from .grid import PositiveScores
from .prepare import prepare_image
from .sweep import SweepCounts

__all__ = ["ImageSource", "score_stream", "sweep_stream"]


@dataclasses.dataclass(frozen=True)
class ImageSource:
    """One image of a scoring stream: its id and how to load its arrays.

    The masks and the detector output are loaded on demand, once per pass,
    so that a stream over many images never holds more than one of them.

    Attributes
    ----------
    sample_id : str
    load_masks : callable
        ``load_masks() -> (truth, ignore)``; ``ignore`` may be None.
    load_output : callable
        ``load_output() -> ndarray``: the score map (ny, nx) or the mask
        stack (n_values, ny, nx), before output dilation.
    """

    sample_id: str
    load_masks: Callable
    load_output: Callable

    @classmethod
    def in_memory(cls, truth, ignore, output, sample_id):
        """Wrap arrays that are already in memory."""
        return cls(sample_id, load_masks=lambda: (truth, ignore), load_output=lambda: output)

    def prepare(self, *, protocol, kind):
        """Load this image and return its :class:`~crbench.scoring.PreparedImage`."""
        truth, ignore = self.load_masks()
        return prepare_image(truth, ignore, self.load_output(), protocol=protocol, kind=kind,
                             sample_id=self.sample_id)


def _no_progress(items, desc):
    return items


def score_stream(sources, *, protocol, operating_point, progress=None, extra_thresholds=(), on_image=None):
    """Score a sequence of score maps exactly, in two passes.

    Parameters
    ----------
    sources : sequence of ImageSource
        Iterated twice (a list, not a generator).
    protocol : PixelProtocol
    operating_point : float
        Added to the threshold grid, so counts at it are exact.
    progress : callable, optional
        ``progress(iterable, desc) -> iterable``, e.g. a tqdm wrapper.
    extra_thresholds : sequence of float
        More thresholds to put on the grid (exact counts at each, per image
        too), e.g. a protocol preset's fixed threshold grid.
    on_image : callable, optional
        ``on_image(state)`` receives each image's pass-2
        :class:`~crbench.scoring.ThresholdCounts` before it is summed (the
        bootstrap keeps them; see :mod:`crbench.uncertainty`).

    Returns
    -------
    ThresholdCounts or None
        The sum over the images, with one :class:`~crbench.scoring.ImageCounts`
        per image in ``.images``; None when ``sources`` is empty.
    """
    progress = progress or _no_progress
    positives = PositiveScores.empty()
    for source in progress(sources, "scoring (pass 1)"):
        positives = positives.merge(PositiveScores.from_prepared(source.prepare(protocol=protocol, kind="score")))
    grid = positives.grid(extra_thresholds=(operating_point, *extra_thresholds))
    total = None
    for source in progress(sources, "scoring (pass 2)"):
        state = ThresholdCounts.from_prepared(source.prepare(protocol=protocol, kind="score"), grid=grid)
        if on_image is not None:
            on_image(state)
        total = state if total is None else total + state
    return total


def sweep_stream(sources, *, protocol, values, progress=None, on_image=None):
    """Count a sequence of mask stacks of a parameter sweep (one pass).

    Parameters
    ----------
    sources : iterable of ImageSource
    protocol : PixelProtocol
    values : sequence of float
        Sweep values in the order of each stack's masks.
    progress : callable, optional
        ``progress(iterable, desc) -> iterable``.
    on_image : callable, optional
        ``on_image(state)`` receives each image's
        :class:`~crbench.scoring.SweepCounts` before it is summed.

    Returns
    -------
    SweepCounts or None
        The sum over the images (per-image counts in ``.images``); None when
        ``sources`` is empty.
    """
    progress = progress or _no_progress
    total = None
    for source in progress(sources, "scoring"):
        state = SweepCounts.from_prepared(source.prepare(protocol=protocol, kind="mask"), values=values)
        if on_image is not None:
            on_image(state)
        total = state if total is None else total + state
    return total
