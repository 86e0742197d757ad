"""``crbench.detect`` on arrays and CCDData, and its runnable docstring example."""

import doctest
import subprocess
import sys

import numpy as np
import pytest
from astropy.nddata import CCDData
from astropy.wcs import WCS

import crbench
import crbench.detection
from crbench.errors import InputError
from crbench.testing.example_fits import EXAMPLE_GAIN, make_example_frame


def test_docstring_example_runs():
    # the README test command (python -m pytest) collects no doctests, so the example is run here
    result = doctest.testmod(crbench.detection, verbose=False, raise_on_error=False)
    assert result.attempted >= 6 and result.failed == 0


def test_import_crbench_stays_fast_and_lists_detect():
    code = "import sys, crbench; assert 'astropy' not in sys.modules and 'torch' not in sys.modules; print(dir(crbench))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "'detect'" in out


def test_detect_is_the_function_even_after_importing_its_module():
    assert callable(crbench.detect) and crbench.detect is crbench.detection.detect


def test_ccddata_mask_is_honoured_and_result_follows_astropy_convention():
    image, truth = make_example_frame()
    bad = np.zeros(truth.shape, dtype=bool)
    ys, xs = np.nonzero(truth)
    bad[ys[::2], xs[::2]] = True  # half the CR pixels declared bad: never flagged
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    ccd = CCDData(image, unit="adu", mask=bad, meta={"OBJECT": "field"}, wcs=wcs)
    result = crbench.detect(ccd, detector="cosmic_conn_pretrained", gain=EXAMPLE_GAIN, read_noise=5.0,
                            device="cpu")
    assert isinstance(result, CCDData) and result.unit == ccd.unit
    np.testing.assert_array_equal(result.data, image)
    assert result.mask.dtype == bool and not result.mask[bad].any()
    assert np.count_nonzero(result.mask & truth) >= 0.8 * np.count_nonzero(truth & ~bad)
    score = result.meta["crbench_score"]
    assert score.dtype == np.float32 and np.isnan(score[bad]).all()
    np.testing.assert_array_equal(result.mask, score >= np.float32(result.meta["CRB_THR"]))
    assert result.wcs.wcs.ctype[0] == "RA---TAN"
    assert result.meta["OBJECT"] == "field" and result.meta["CRB_DET"] == "cosmic_conn_pretrained"
    # without the mask the same pixels are flagged: the mask, not chance, kept them clear
    unmasked = crbench.detect(CCDData(image, unit="adu"), detector="cosmic_conn_pretrained", gain=EXAMPLE_GAIN,
                              read_noise=5.0, device="cpu")
    assert unmasked.mask[bad & truth].any()


def test_electron_ccddata_is_converted_as_the_detector_declares():
    image, truth = make_example_frame()
    electrons = CCDData(image * EXAMPLE_GAIN, unit="electron")
    in_adu = crbench.detect(CCDData(image, unit="adu"), detector="astroscrappy", gain=EXAMPLE_GAIN, read_noise=5.0)
    in_electrons = crbench.detect(electrons, detector="astroscrappy", gain=EXAMPLE_GAIN, read_noise=5.0)
    np.testing.assert_array_equal(in_adu.mask, in_electrons.mask)
    with pytest.raises(InputError, match="gain"):  # astroscrappy takes ADU: electrons need the gain
        crbench.detect(electrons, detector="astroscrappy", read_noise=5.0)
    # cosmic_conn takes electrons: no gain needed
    result = crbench.detect(electrons, detector="cosmic_conn_pretrained", read_noise=5.0, device="cpu")
    assert np.count_nonzero(result.mask & truth) >= 0.8 * truth.sum()


def test_plain_array_needs_gain_and_read_noise_and_units_are_checked():
    image, _ = make_example_frame()
    with pytest.raises(InputError, match="gain"):
        crbench.detect(image, detector="astroscrappy", read_noise=5.0)
    with pytest.raises(InputError, match="read_noise"):
        crbench.detect(image, detector="astroscrappy", gain=2.0)
    with pytest.raises(InputError, match="neither adu nor electron"):
        crbench.detect(CCDData(image, unit="electron/s"), detector="astroscrappy", gain=2.0, read_noise=5.0)
    with pytest.raises(InputError, match="returns a mask"):
        crbench.detect(image, detector="lacosmic", gain=2.0, read_noise=5.0, threshold=0.5)
    result = crbench.detect(image, detector="lacosmic", gain=2.0, read_noise=5.0, cr_threshold=6.0)
    assert result.meta["CRB_OPV"] == 6.0 and result.meta["crbench_score"] is None
