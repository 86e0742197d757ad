import numpy as np
import pytest

from crbench.datasets import Sample, SampleMeta
from crbench.review.sample_figure import OVERLAY_CLASSES, plot_sample, prediction_classes
from crbench.scoring import PixelProtocol


def _masks():
    truth = np.zeros((20, 20), bool)
    truth[5, 5] = True
    ignore = np.zeros((20, 20), bool)
    ignore[15:, 15:] = True
    flagged = np.zeros((20, 20), bool)
    flagged[5, 4:6] = True  # the CR and a neighbour inside the 3x3-dilated truth
    flagged[10, 10] = True  # a false positive
    flagged[16, 16] = True  # flagged in the ignored corner
    return truth, ignore, flagged


def test_classes_follow_the_truth_dilation_and_the_ignore_policy():
    truth, ignore, flagged = _masks()
    classes, counts = prediction_classes(truth, ignore, flagged, protocol=PixelProtocol(truth_dilation=3))
    # 9 dilated truth pixels: 2 flagged, 7 missed; the ignored flagged pixel is not scored
    assert counts == {"true_positive": 2, "false_positive": 1, "missed": 7}
    assert classes[10, 10] == 2 and classes[16, 16] == 0 and classes[4, 4] == 3
    _, counts = prediction_classes(truth, ignore, flagged, protocol=PixelProtocol(truth_dilation=1))
    assert counts == {"true_positive": 1, "false_positive": 2, "missed": 0}
    negative = PixelProtocol(truth_dilation=1, ignore_policy="negative")
    classes, counts = prediction_classes(truth, ignore, flagged, protocol=negative)
    assert counts["false_positive"] == 3 and classes[16, 16] == 2
    for code, name in zip((1, 2, 3), ("true_positive", "false_positive", "missed"), strict=True):
        assert int((classes == code).sum()) == counts[name]
    assert set(OVERLAY_CLASSES) == {1, 2, 3}


@pytest.mark.parametrize("with_reasons", [False, True])
def test_figure_of_a_real_sample_with_a_prediction_has_legends(with_reasons):
    truth, ignore, flagged = _masks()
    image = np.random.default_rng(1).normal(0, 1, truth.shape).astype(np.float32)
    extras = {"ignore_reason": np.where(ignore, 4, 0).astype(np.uint8)} if with_reasons else {}
    sample = Sample("s", image, truth, ignore, SampleMeta("x", "adu", 1.0, 5.0, 6e4), extras=extras)
    classes, counts = prediction_classes(truth, ignore, flagged, protocol=PixelProtocol())
    figure = plot_sample(sample, title="t", zoom=8, prediction={"classes": classes, "counts": counts, "label": "d"})
    axes = figure.get_axes()
    assert len(axes) == 6
    labels = [[text.get_text() for text in axis.get_legend().get_texts()] for axis in axes if axis.get_legend()]
    assert ["true positive", "false positive", "missed CR"] in labels
    assert ["ignored: bright_source"] in labels if with_reasons else ["ignored (excluded from scoring)"] in labels
    assert any("TP 2, FP 1, missed 7 px" in axis.get_title() for axis in axes)
