import numpy as np
import pytest

from crbench.simulate.defects import (
    DEFECT_CLASSES,
    add_bad_columns,
    add_hot_pixels,
    add_satellite_trail,
    bleed_saturated_columns,
)
from crbench.simulate.labels import cr_objects, ignore_mask, truth_mask

CODE = {name: code for code, name in DEFECT_CLASSES.items()}


def test_bleed_conserves_charge_along_the_column():
    expected = np.full((200, 20), 100.0)
    expected[100, 10] = 1_000_000.0
    classes = np.zeros(expected.shape, dtype=np.uint8)
    before = expected.sum()
    n_columns = bleed_saturated_columns(expected, classes, full_well=50_000.0)
    assert n_columns == 1
    assert expected.sum() == pytest.approx(before)
    assert expected.max() <= 50_000.0 + 1e-6
    # the excess (950,000) fills ~19 pixels at full well, half up and half down
    trail = np.flatnonzero(classes[:, 10] == CODE["bleed_trail"])
    assert 18 <= trail.size <= 22
    assert trail.min() < 100 < trail.max()
    assert classes[100, 10] == CODE["saturated_star"]
    assert (classes[:, [9, 11]] == 0).all()


def test_hot_pixels_bad_columns_and_satellite():
    rng = np.random.default_rng(1)
    expected = np.full((500, 400), 300.0)
    master = np.zeros(expected.shape)
    classes = np.zeros(expected.shape, dtype=np.uint8)
    n_hot = add_hot_pixels(expected, master, classes, fraction=5e-4, exposure_time=100.0, rng=rng,
                           unstable_fraction=0.2)
    assert n_hot == pytest.approx(100, abs=35)
    hot = classes == CODE["hot_pixel"]
    assert hot.sum() == n_hot
    assert (expected[hot] > 300).all()
    # calibration removes the dark of stable hot pixels exactly and only part of it for unstable ones
    residual = expected[hot] - 300.0 - master[hot]
    assert np.mean(np.abs(residual) < 1e-6) == pytest.approx(0.8, abs=0.12)
    assert (residual > -1e-6).all() and (residual <= expected[hot] - 300.0).all()
    assert (master[~hot] == 0).all()
    n_columns = add_bad_columns(expected, master, classes, per_1000=10.0, noise_sigma=20.0, rng=rng)
    assert n_columns > 0
    column = classes == CODE["bad_column"]
    assert column.any()
    offset = expected[column] - 300.0 - master[column]
    assert (offset > 0).all() and (offset < 0.3 * (expected[column] - 300.0) + 1e-9).all()
    add_satellite_trail(expected, classes, psf_fwhm_px=3.0, noise_sigma=20.0, rng=rng)
    assert (classes == CODE["satellite_trail"]).sum() > 100


def test_truth_threshold_uses_local_noise_including_sources():
    cr = np.array([[100.0, 100.0, 1000.0]])
    expected = np.array([[400.0, 40_000.0, 40_000.0]])
    truth = truth_mask(cr, expected, read_noise=10.0, k_sigma=2.5)
    # sigma = sqrt(400 + 100) = 22.4 -> 100 > 55.9; on a star sigma = 200.2 -> only 1000 > 500.6
    assert truth.tolist() == [[True, False, True]]


def test_ignore_mask_border_and_saturation():
    saturated = np.zeros((10, 10), dtype=bool)
    saturated[5, 5] = True
    ignore = ignore_mask(saturated, border=2)
    assert ignore[5, 5] and ignore[0, 3] and ignore[9, 9] and ignore[3, 1]
    assert not ignore[3, 3]
    assert ignore.sum() == 100 - 36 + 1


def test_cr_objects_measure_length_and_charge():
    truth = np.zeros((20, 20), dtype=bool)
    truth[2, 2:12] = True  # horizontal, 10 px
    truth[15, 15] = True  # a dot
    charge = truth * 50.0
    kind_charge = np.stack([charge, np.zeros_like(charge), truth * 0.0])
    objects = cr_objects(truth, charge, kind_charge)
    order = np.argsort(objects["n_pixels"])
    assert objects["n_pixels"][order].tolist() == [1, 10]
    assert objects["length"][order].tolist() == [1.0, 10.0]
    assert objects["charge"][order].tolist() == [50.0, 500.0]
    assert (objects["kind"] == 0).all()
