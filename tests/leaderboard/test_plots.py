"""ROC / PR plots from stored curves."""

import numpy as np
import pytest

from crbench.leaderboard.collect import collect_records
from crbench.leaderboard.plots import curve_rates, operating_point_pr, operating_point_roc, plot_group

from .factory import make_record

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_curve_rates_are_exact_ratios_of_counts():
    record = make_record()
    record["curves"] = {"thresholds": [None, 0.9, 0.5, 0.0], "tp": [0, 5, 8, 10], "fp": [0, 0, 10, 100],
                        "n_pos": 10, "n_neg": 100, "n_points_full": 4}
    rates = curve_rates(record)
    np.testing.assert_array_equal(rates["tpr"], [0.0, 0.5, 0.8, 1.0])
    np.testing.assert_array_equal(rates["fpr"], [0.0, 0.0, 0.1, 1.0])
    assert np.isnan(rates["precision"][0])  # nothing flagged: precision undefined
    np.testing.assert_allclose(rates["precision"][1:], [1.0, 8 / 18, 10 / 110])
    assert np.isinf(rates["thresholds"][0])
    record["operating_point"] = 0.5
    assert operating_point_roc(record) == (0.1, 0.8)
    del record["metrics"]["precision"]
    assert operating_point_pr(record) == pytest.approx((0.8, 8 / 18))


def test_operating_point_absent_from_curve_gives_no_marker():
    record = make_record(operating_point=0.123456789)
    assert operating_point_roc(record) is None


def test_record_without_curve():
    record = make_record()
    record["curves"] = None
    assert curve_rates(record) is None


def test_plots_are_png_and_reproducible():
    group = collect_records([make_record("deepcr"), make_record("astroscrappy", output_kind="mask", separation=2.0)]).groups[0]
    first = plot_group(group, ["deepcr", "astroscrappy"], title="t")
    second = plot_group(group, ["deepcr", "astroscrappy"], title="t")
    assert first["roc"].startswith(PNG_SIGNATURE) and first["pr"].startswith(PNG_SIGNATURE)
    assert first == second


def test_operating_point_at_zero_fpr_is_drawn():
    record = make_record(operating_point=0.9)
    record["curves"] = {"thresholds": [None, 0.9, 0.5, 0.0], "tp": [0, 5, 8, 10], "fp": [0, 0, 10, 100],
                        "n_pos": 10, "n_neg": 100, "n_points_full": 4}
    assert operating_point_roc(record) == (0.0, 0.5)
    group = collect_records([record]).groups[0]
    assert plot_group(group, ["deepcr"], title="t")["roc"].startswith(PNG_SIGNATURE)
