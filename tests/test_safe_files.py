"""Hostile FITS and NPY files fail fast with a named error instead of exhausting memory or hanging (issue 16)."""

import faulthandler
import os

import numpy as np
import pytest
from astropy.io import fits

from crbench.datasets.decam import DECamDataset, band_file
from crbench.datasets.lco import LCO1mDataset, read_lco_frame
from crbench.errors import CorruptFileError, UnsafeFileError
from crbench.safe_files import MAX_ARRAY_BYTES_ENV, check_fits_file, check_npy_file
from crbench.stack.fits_input import HeaderValue, read_stack_frames

from .datasets.fixtures import lco_file_name, write_decam_stacks, write_lco_sequence

NUMBERS = {"gain": HeaderValue.parse("gain", "1"), "read_noise": HeaderValue.parse("read_noise", "5"),
           "saturation": HeaderValue.parse("saturation", "60000")}


@pytest.fixture(autouse=True)
def no_hang():
    """End the test process with a traceback if a reader hangs (the failure these tests guard against).

    A watchdog thread, not a signal: a reader stuck in C code (astropy reading /dev/zero) never
    returns to the interpreter to run a signal handler.
    """
    faulthandler.dump_traceback_later(60, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def lco_file(tmp_path, monkeypatch):
    monkeypatch.delenv("CRBENCH_DATA", raising=False)
    path = tmp_path / "LCO_CR_dataset" / "test_set" / "masked_fits" / lco_file_name("1m0", 0)
    write_lco_sequence(path, seed=3, telescope_class="1m0")
    return path


def _set_card(path, key, value, *, occurrence=0):
    """Overwrite one header card in place, as a hostile editor would (no astropy re-validation)."""
    raw = bytearray(path.read_bytes())
    start = -1
    for _ in range(occurrence + 1):
        start = raw.index(key.ljust(8).encode() + b"=", start + 1)
    raw[start:start + 80] = f"{key.ljust(8)}= {value:>20}".ljust(80).encode()
    path.write_bytes(bytes(raw))


def test_a_compressed_image_claiming_149_gib_is_refused_before_reading(lco_file):
    assert b"ZNAXIS1 =" in lco_file.read_bytes()  # the fixture's images are tile-compressed
    _set_card(lco_file, "ZNAXIS1", 200000)
    _set_card(lco_file, "ZNAXIS2", 200000)
    with pytest.raises(UnsafeFileError, match=r"149.0 GiB.*CRBENCH_MAX_ARRAY_BYTES") as excinfo:
        check_fits_file(lco_file)
    assert str(lco_file) in str(excinfo.value)
    with pytest.raises(CorruptFileError, match="149.0 GiB"):
        read_lco_frame(lco_file, 0)


def test_the_array_limit_is_configurable(lco_file, monkeypatch):
    check_fits_file(lco_file)
    monkeypatch.setenv(MAX_ARRAY_BYTES_ENV, "1000")
    with pytest.raises(UnsafeFileError, match="above the limit"):
        check_fits_file(lco_file)


def test_a_plain_hdu_declaring_more_data_than_the_file_holds_is_refused(tmp_path):
    path = tmp_path / "frame.fits"
    fits.PrimaryHDU(np.zeros((16, 16), np.float32)).writeto(path)
    _set_card(path, "NAXIS1", 100000)
    with pytest.raises(UnsafeFileError, match="but the file has"):
        check_fits_file(path)
    with pytest.raises(UnsafeFileError, match="but the file has"):
        read_stack_frames([path, path], **NUMBERS)


def test_a_forged_frame_count_is_refused_without_a_memory_error(lco_file):
    _set_card(lco_file, "FRMTOTAL", 10**15)
    with pytest.raises(CorruptFileError, match="FRMTOTAL is 1000000000000000"):
        read_lco_frame(lco_file, 0)


def _make_fifo(path):
    path.unlink(missing_ok=True)
    os.mkfifo(path)


def _link_to_dev_zero(path):
    path.unlink(missing_ok=True)
    path.symlink_to("/dev/zero")


SPECIALS = {"fifo": (_make_fifo, "a FIFO"), "dev-zero": (_link_to_dev_zero, "a character device")}


@pytest.mark.parametrize("special", sorted(SPECIALS))
def test_an_lco_file_that_is_a_fifo_or_dev_zero_is_refused(lco_file, special):
    make, kind = SPECIALS[special]
    make(lco_file)
    with pytest.raises(UnsafeFileError, match=f"{lco_file}.* is {kind}"):
        read_lco_frame(lco_file, 0)
    dataset = LCO1mDataset(data_dir=lco_file.parents[2])
    with pytest.raises(UnsafeFileError, match=kind):
        dataset.manifest("test")  # hashing the file must not read forever either


@pytest.mark.parametrize("special", sorted(SPECIALS))
def test_a_decam_stack_that_is_a_fifo_or_dev_zero_is_refused(tmp_path, special):
    write_decam_stacks(tmp_path, n_per_band=3, bands=("g",), seed=9)
    make, kind = SPECIALS[special]
    make(band_file(tmp_path, "g", "image"))
    with pytest.raises(UnsafeFileError, match=f"decam_g_image_wd.npy is {kind}"):
        DECamDataset(data_dir=tmp_path).sample_ids("test")


@pytest.mark.parametrize("special", sorted(SPECIALS))
def test_a_stack_input_that_is_a_fifo_or_dev_zero_is_refused(tmp_path, special):
    good = tmp_path / "good.fits"
    fits.PrimaryHDU(np.zeros((16, 16), np.float32)).writeto(good)
    make, kind = SPECIALS[special]
    make(tmp_path / "bad.fits")
    with pytest.raises(UnsafeFileError, match=kind):
        read_stack_frames([good, tmp_path / "bad.fits"], **NUMBERS)


def test_an_npy_header_claiming_more_than_the_file_or_the_limit_is_refused(tmp_path):
    path = tmp_path / "a.npy"
    with open(path, "wb") as handle:
        np.lib.format.write_array_header_1_0(handle, {"descr": "<f4", "fortran_order": False,
                                                      "shape": (200000, 200000)})
        handle.write(bytes(64))
    with pytest.raises(UnsafeFileError, match="149.0 GiB of data, above the limit"):
        check_npy_file(path)
    with pytest.raises(UnsafeFileError, match="cannot read: its header declares shape"):
        check_npy_file(path, mmap=True)
