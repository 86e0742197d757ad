"""Review items: the components the object-level scores count, with their positions and peaks."""

import numpy as np
import pytest

from crbench.datasets import Sample, SampleMeta
from crbench.review import review_items
from crbench.scoring.objects import object_components, object_counts

from ..scoring.test_objects import SHAPE, make_scene

META = SampleMeta(instrument="x", units="electron", gain=1.0, read_noise=1.0, saturation=1e5)


def _sample():
    truth, ignore, flagged, _ = make_scene()
    flagged[30, 31] = False  # object B (row 30, columns 30-33): 1 of 4 pixels flagged, missed
    image = np.zeros(SHAPE, np.float32)
    image[10, 13] = 70.0  # the peak of object A
    image[4, 51] = 9.0  # the peak of the FP blob
    return Sample("img", image, truth, ignore, META).validated(), flagged


def _by_kind(items):
    found = {}
    for item in items:
        found.setdefault(item.kind, []).append(item)
    return found


def test_truth_only_lists_every_counted_object():
    sample, _ = _sample()
    items = review_items(sample)
    assert [item.kind for item in items] == ["truth", "truth"]  # the spot C is wholly ignored: not counted
    track, worm = items
    assert (track.object_id, track.x, track.y, track.n_pixels, track.peak) == (1, 14.5, 10.0, 10, 70.0)
    assert (worm.object_id, worm.x, worm.y, worm.n_pixels) == (2, 31.5, 30.0, 4)


def test_detector_adds_false_positive_clusters_and_missed_objects():
    sample, flagged = _sample()
    items = _by_kind(review_items(sample, flagged=flagged))
    assert [item.object_id for item in items["missed"]] == [2]
    (blob,) = items["fp"]  # the flagged pixel wholly inside the ignore box is not counted
    assert (blob.x, blob.y, blob.n_pixels, blob.peak) == (50.5, 4.5, 4, 9.0)
    negative = _by_kind(review_items(sample, flagged=flagged, excludes_ignored=False))
    assert len(negative["fp"]) == 2  # ignored pixels count like any other under the "negative" policy


def test_items_agree_with_the_object_counts():
    sample, flagged = _sample()
    counts = object_counts(sample.truth, sample.ignore, flagged)
    items = _by_kind(review_items(sample, flagged=flagged))
    assert len(items["truth"]) == counts["n_objects"]
    assert len(items["fp"]) == counts["n_fp_objects"]
    assert len(items["missed"]) == counts["n_objects"] - counts["n_found"]


def test_components_refactor_keeps_object_counts():
    truth, ignore, flagged, extras = make_scene()
    components = object_components(truth, ignore, flagged)
    counts = object_counts(truth, ignore, flagged, extras=extras)
    assert counts["n_found"] == int(components.found.sum()) == 2
    assert counts["n_fp_objects"] == int(components.false_positive.sum()) == 1
    assert components.missed.tolist() == [False, False, False]


def test_mask_within_places_the_component_in_a_window():
    sample, _ = _sample()
    track = review_items(sample)[0]
    window = (slice(8, 12), slice(17, 25))
    mask = track.mask_within(window)
    assert mask.shape == (4, 8)
    assert np.argwhere(mask).tolist() == [[2, 0], [2, 1], [2, 2]]  # columns 17-19 of row 10
    assert not track.mask_within((slice(0, 4), slice(0, 4))).any()


@pytest.mark.parametrize(("x", "y", "expected"), [(14.5, 10.0, (slice(0, 32), slice(0, 32))),
                                                   (60.0, 60.0, (slice(SHAPE[0] - 32, SHAPE[0]),
                                                                 slice(SHAPE[1] - 32, SHAPE[1]))),
                                                   (32.0, 32.0, (slice(16, 48), slice(16, 48)))])
def test_cutout_window_stays_inside_the_image(x, y, expected):
    from crbench.review import cutout_window

    assert cutout_window(SHAPE, x=x, y=y, size=32) == expected
    assert cutout_window((10, 100), x=50, y=5, size=32) == (slice(0, 10), slice(34, 66))
