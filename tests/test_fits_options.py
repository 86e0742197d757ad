"""Header numbers given as KEY or VALUE, and the image HDU reader shared by from-stack and detect."""

import numpy as np
import pytest
from astropy.io import fits

from crbench.errors import InputError
from crbench.fits_options import HeaderValue, frame_name, parse_ext, read_fits_image


def test_header_value_reads_keyword_then_primary_header_and_names_what_is_missing():
    gain = HeaderValue.parse("--gain", "gain")
    assert gain.keyword == "GAIN" and HeaderValue.parse("--gain", "1.5").value == 1.5
    assert gain.resolve(fits.Header({"GAIN": 2}), "f.fits", fallback=fits.Header({"GAIN": 3})) == 2.0
    assert gain.resolve(fits.Header(), "f.fits", fallback=fits.Header({"GAIN": 3})) == 3.0
    with pytest.raises(InputError, match="image header and primary header has no 'GAIN' keyword; pass --gain KEY"):
        gain.resolve(fits.Header(), "f.fits", fallback=fits.Header())
    with pytest.raises(InputError, match=r"f.fits: header has no 'GAIN'"):
        gain.resolve(fits.Header(), "f.fits")


def test_first_image_hdu_is_found_in_a_compressed_file(tmp_path):
    image = np.arange(64, dtype=np.int32).reshape(8, 8)
    fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(image, name="SCI")]).writeto(tmp_path / "a.fits.fz")
    read = read_fits_image(tmp_path / "a.fits.fz", None)
    assert (read.index, read.name) == (1, "SCI") and np.array_equal(read.data, image)
    assert read_fits_image(tmp_path / "a.fits.fz", "SCI").index == 1
    with pytest.raises(InputError, match="holds no 2-D image"):
        read_fits_image(tmp_path / "a.fits.fz", 0)


def test_small_parsers():
    assert (parse_ext("2"), parse_ext("SCI"), parse_ext(None), parse_ext("")) == (2, "SCI", None, None)
    assert frame_name("dir/x.fits.fz") == "x" and frame_name("y.FITS") == "y"
