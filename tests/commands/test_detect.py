"""``crbench detect`` on small synthetic FITS files with known cosmic rays."""

import json

import numpy as np
import pytest
from astropy.io import fits
from click.testing import CliRunner

import crbench
from crbench.cli import main
from crbench.detectors import BUILTIN_DETECTORS, get_detector_class
from crbench.hashing import file_sha256
from crbench.testing.example_fits import EXAMPLE_GAIN, make_example_frame, write_example_fits
from tests.conftest import PUBLISHED_UNETS, onnx_engine

#: detectors whose output on the example frame is checked against its truth (the rest only round-trip);
#: lacosmic at its default parameter set is not (see test_lacosmic_thresholds_without_upstream_default)
_ACCURATE = ("astroscrappy", "cosmic_conn_pretrained")
_STRUCTURAL = ("SIMPLE", "XTENSION", "BITPIX", "NAXIS", "NAXIS1", "NAXIS2", "EXTEND", "PCOUNT", "GCOUNT")


def _detect(*args):
    return CliRunner().invoke(main, ["detect", "--quiet", "--device", "cpu", *map(str, args)])


def _native(array):
    """``array`` in native byte order (FITS stores big-endian); the values bit for bit."""
    return array.astype(array.dtype.newbyteorder("="))


def _user_cards(header):
    return {key: header[key] for key in header if key not in _STRUCTURAL and key not in ("COMMENT", "HISTORY", "")}


def _available(name, request):
    if name in PUBLISHED_UNETS:
        request.getfixturevalue("requires_published_weights")
    missing = get_detector_class(name).missing_requirements()
    if missing:
        pytest.skip(f"{name} needs {missing}, not installed")


@pytest.mark.parametrize("name", sorted(set(BUILTIN_DETECTORS) - {"oracle"}))
def test_every_builtin_detector_round_trips_a_fits_file(name, tmp_path, request):
    _available(name, request)
    source = tmp_path / "frame.fits"
    truth = write_example_fits(source)
    before = file_sha256(source)
    result = _detect(source, "--detector", name)
    assert result.exit_code == 0, result.output
    output = tmp_path / "frame_crbench.fits"
    assert file_sha256(source) == before  # the input is never touched
    detector_cls = get_detector_class(name)
    with fits.open(source) as original, fits.open(output) as written:
        # the image unchanged, bit for bit, with its own header
        assert written[0].data.dtype == original[0].data.dtype
        assert written[0].data.tobytes() == original[0].data.tobytes()
        assert _user_cards(written[0].header) == _user_cards(original[0].header)
        names = [hdu.name for hdu in written]
        mask = written["CRMASK"].data
        assert mask.dtype == np.uint8 and set(np.unique(mask)) <= {0, 1}
        header = written["CRMASK"].header
        if detector_cls.output_kind == "score":
            assert names == ["PRIMARY", "CRPROB", "CRMASK"]
            score = written["CRPROB"].data
            assert score.dtype.newbyteorder("=") == np.float32 and np.nanmin(score) >= 0 and np.nanmax(score) <= 1
            threshold = header["CRB_THR"]
            assert threshold == detector_cls.default_threshold
            np.testing.assert_array_equal(mask, (score >= np.float32(threshold)).astype(np.uint8))
        else:
            assert names == ["PRIMARY", "CRMASK"]
            assert "CRB_THR" not in header and header["CRB_OPP"] == detector_cls.sweep_parameter
    assert header["CRB_DET"] == name
    # a detector may refine its version when it loads its weights (crbench-trained: "1+<checkpoint sha256>")
    assert header["CRB_DVER"].split("+")[0] == str(detector_cls.version)
    assert header["CRB_VER"] == crbench.__version__
    assert header["CRB_SHA"] == before
    assert header["CRB_GAIN"] == EXAMPLE_GAIN
    params = json.loads(header["CRB_PARS"])
    assert set(params) == set(detector_cls.accepted_params())
    if name in _ACCURATE:
        flagged = mask.astype(bool)
        assert np.count_nonzero(flagged & truth) >= 0.8 * truth.sum()
        assert np.count_nonzero(flagged & ~truth) <= 0.5 * truth.sum()


def test_classical_detectors_run_at_upstream_defaults_unless_given(tmp_path):
    write_example_fits(tmp_path / "frame.fits")
    result = _detect(tmp_path / "frame.fits", "--detector", "astroscrappy")
    assert result.exit_code == 0, result.output
    assert "upstream defaults of astroscrappy" in result.output and "detect_cosmics()" in result.output
    header = fits.getheader(tmp_path / "frame_crbench.fits", "CRMASK")
    params = json.loads(header["CRB_PARS"])
    assert (params["sigclip"], params["objlim"], params["sigfrac"]) == (4.5, 5.0, 0.3)  # not DECam's 3 / 1 / 0.1
    assert header["CRB_PSET"] == "upstream" and header["CRB_OPV"] == 4.5
    result = _detect(tmp_path / "frame.fits", "--detector", "astroscrappy", "--detector-args", "objlim=2",
                     "--overwrite")
    assert result.exit_code == 0, result.output
    assert "given: objlim" in result.output
    params = json.loads(fits.getheader(tmp_path / "frame_crbench.fits", "CRMASK")["CRB_PARS"])
    assert (params["sigclip"], params["objlim"]) == (4.5, 2)


def test_mef_input_by_extension_name_and_number_with_primary_keywords(tmp_path):
    image, _ = make_example_frame()
    primary = fits.PrimaryHDU()
    primary.header["GAIN"] = EXAMPLE_GAIN  # instruments often keep it in the primary header
    primary.header["RDNOISE"] = 5.0
    primary.header["SATURATE"] = 65535.0
    other = fits.ImageHDU(np.zeros((8, 8), dtype=np.int16), name="DQ")
    science = fits.ImageHDU(image, name="SCI")
    science.header["OBJECT"] = "M31"
    fits.HDUList([primary, other, science]).writeto(tmp_path / "mef.fits")
    for ext in ("SCI", "2"):
        result = _detect(tmp_path / "mef.fits", "--detector", "astroscrappy", "--ext", ext, "--output",
                         tmp_path / f"out{ext}")
        assert result.exit_code == 0, result.output
        with fits.open(tmp_path / f"out{ext}" / "mef_crbench.fits") as written:
            assert _native(written[0].data).tobytes() == image.tobytes()
            assert written[0].header["OBJECT"] == "M31" and written[0].header["EXTNAME"] == "SCI"
            assert written["CRMASK"].header["CRB_EXT"] == 2
            assert written["CRMASK"].data.any()
    # without --ext the first 2-D image is taken: the DQ plane here, not what was meant, but stated in the header
    result = _detect(tmp_path / "mef.fits", "--detector", "constant", "--output", tmp_path / "auto")
    assert result.exit_code == 0, result.output
    assert fits.getheader(tmp_path / "auto" / "mef_crbench.fits", "CRMASK")["CRB_EXT"] == 1
    result = _detect(tmp_path / "mef.fits", "--detector", "constant", "--ext", "NOPE", "--output", tmp_path / "x")
    assert result.exit_code == 1 and "no extension 'NOPE'" in result.output and "'SCI'" in result.output


def test_compressed_input(tmp_path):
    image, truth = make_example_frame()
    header = fits.Header({"GAIN": EXAMPLE_GAIN, "RDNOISE": 5.0, "SATURATE": 65535.0})
    # lossless: no quantisation of the floats, so the decompressed image equals the original
    compressed = fits.CompImageHDU(image, header=header, compression_type="GZIP_2", quantize_level=0.0)
    fits.HDUList([fits.PrimaryHDU(), compressed]).writeto(tmp_path / "frame.fits.fz")
    result = _detect(tmp_path / "frame.fits.fz", "--detector", "lacosmic")
    assert result.exit_code == 0, result.output
    with fits.open(tmp_path / "frame_crbench.fits") as written:
        assert _native(written[0].data).tobytes() == image.tobytes()
        assert written[0].header["GAIN"] == EXAMPLE_GAIN
        flagged = written["CRMASK"].data.astype(bool)
    assert np.count_nonzero(flagged & truth) >= 0.8 * truth.sum()


def test_scaled_integer_input_is_written_back_unchanged(tmp_path):
    rng = np.random.default_rng(3)
    raw = rng.integers(900, 1100, (64, 64)).astype(np.uint16)
    raw[20, 10:14] = 60000
    hdu = fits.PrimaryHDU(raw)  # astropy stores uint16 as int16 with BZERO = 32768
    hdu.header.update({"GAIN": 1.5, "RDNOISE": 4.0, "SATURATE": 65000.0})
    hdu.writeto(tmp_path / "raw.fits")
    result = _detect(tmp_path / "raw.fits", "--detector", "astroscrappy")
    assert result.exit_code == 0, result.output
    with fits.open(tmp_path / "raw.fits") as original, fits.open(tmp_path / "raw_crbench.fits") as written:
        assert written[0].data.dtype == original[0].data.dtype == np.uint16
        assert written[0].data.tobytes() == original[0].data.tobytes()
        assert written[0].header["BZERO"] == 32768


def test_missing_gain_keyword_names_it_and_other_files_go_on(tmp_path):
    write_example_fits(tmp_path / "good.fits")
    fits.PrimaryHDU(make_example_frame()[0]).writeto(tmp_path / "bare.fits")  # no keywords at all
    (tmp_path / "broken.fits").write_bytes(b"SIMPLE  =                    T" + b" " * 50)
    result = _detect(tmp_path / "*.fits", "--detector", "constant")
    assert result.exit_code == 1
    assert "FAILED" in result.output and "header has no 'GAIN' keyword" in result.output
    assert "--gain KEY" in result.output and "--gain VALUE" in result.output
    assert "broken.fits" in result.output and "2 of 3 file(s) failed" in result.output
    assert (tmp_path / "good_crbench.fits").is_file()
    assert not (tmp_path / "bare_crbench.fits").exists()
    # the fix the message names works
    result = _detect(tmp_path / "bare.fits", "--detector", "constant", "--gain", "2", "--read-noise", "5",
                     "--saturation", "inf")
    assert result.exit_code == 0, result.output


def test_nan_pixels_stay_nan_and_are_never_flagged(tmp_path):
    image, truth = make_example_frame()
    ys, xs = np.nonzero(truth)
    image[ys[:3], xs[:3]] = np.nan  # on cosmic rays: exactly where a detector would flag
    image[0, :5] = np.inf
    bad = ~np.isfinite(image)
    fits.PrimaryHDU(image, header=fits.Header({"GAIN": EXAMPLE_GAIN, "RDNOISE": 5.0, "SATURATE": 65535.0})).writeto(
        tmp_path / "nan.fits")
    for name in ("cosmic_conn_pretrained", "astroscrappy", "constant"):
        result = _detect(tmp_path / "nan.fits", "--detector", name, "--output", tmp_path / name)
        assert result.exit_code == 0, result.output
        with fits.open(tmp_path / name / "nan_crbench.fits") as written:
            np.testing.assert_array_equal(written[0].data, image)  # NaN and inf where they were
            assert not written["CRMASK"].data[bad].any()
            if "CRPROB" in written:
                assert np.isnan(written["CRPROB"].data[bad]).all()
                assert np.isfinite(written["CRPROB"].data[~bad]).all()
    # the constant detector scores 0.5 everywhere: flags every finite pixel, none of the others
    constant = fits.getdata(tmp_path / "constant" / "nan_crbench.fits", "CRMASK")
    np.testing.assert_array_equal(constant, (~bad).astype(np.uint8))


def test_existing_output_and_input_are_never_overwritten(tmp_path):
    write_example_fits(tmp_path / "frame.fits")
    assert _detect(tmp_path / "frame.fits", "--detector", "constant").exit_code == 0
    output = tmp_path / "frame_crbench.fits"
    before = file_sha256(output)
    result = _detect(tmp_path / "frame.fits", "--detector", "astroscrappy")
    assert result.exit_code == 1 and "exists; pass --overwrite" in result.output
    assert file_sha256(output) == before
    assert _detect(tmp_path / "frame.fits", "--detector", "astroscrappy", "--overwrite").exit_code == 0
    assert fits.getheader(output, "CRMASK")["CRB_DET"] == "astroscrappy"
    # an input that is itself named like an output would be replaced by its own product: refused
    (tmp_path / "x").mkdir()
    write_example_fits(tmp_path / "x" / "a_crbench.fits")
    result = _detect(tmp_path / "x" / "a_crbench.fits", "--detector", "constant", "--overwrite")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "x" / "a_crbench_crbench.fits").is_file()


def test_threshold_applies_to_score_detectors_only(tmp_path):
    write_example_fits(tmp_path / "frame.fits")
    result = _detect(tmp_path / "frame.fits", "--detector", "cosmic_conn_pretrained", "--threshold", "0.9")
    assert result.exit_code == 0, result.output
    with fits.open(tmp_path / "frame_crbench.fits") as written:
        assert written["CRMASK"].header["CRB_THR"] == 0.9
        np.testing.assert_array_equal(written["CRMASK"].data, written["CRPROB"].data >= np.float32(0.9))
    result = _detect(tmp_path / "frame.fits", "--detector", "lacosmic", "--threshold", "0.5", "--overwrite")
    assert result.exit_code == 1
    assert "returns a mask, not scores" in result.output and "cr_threshold" in result.output
    result = _detect(tmp_path / "frame.fits", "--detector", "oracle", "--overwrite")
    assert result.exit_code == 1 and "test double that reads the truth" in result.output


def test_jobs_run_files_in_worker_processes(tmp_path):
    for seed in range(3):
        write_example_fits(tmp_path / f"f{seed}.fits", seed=seed)
    (tmp_path / "f9.fits").write_text("not fits")
    result = _detect(tmp_path / "f*.fits", "--detector", "astroscrappy", "--jobs", "2", "--output", tmp_path / "out")
    assert result.exit_code == 1
    assert "1 of 4 file(s) failed" in result.output and "f9.fits" in result.output
    serial = _detect(tmp_path / "f0.fits", "--detector", "astroscrappy", "--output", tmp_path / "serial")
    assert serial.exit_code == 0, serial.output
    for seed in range(3):
        assert (tmp_path / "out" / f"f{seed}_crbench.fits").is_file()
    np.testing.assert_array_equal(fits.getdata(tmp_path / "out" / "f0_crbench.fits", "CRMASK"),
                                  fits.getdata(tmp_path / "serial" / "f0_crbench.fits", "CRMASK"))


def test_a_plugin_class_path_runs_at_its_own_defaults(tmp_path):
    write_example_fits(tmp_path / "frame.fits")
    result = _detect(tmp_path / "frame.fits", "--detector", "tests.commands.twin_detectors:BlindTwin")
    assert result.exit_code == 0, result.output
    assert "the detector's own defaults" in result.output
    with fits.open(tmp_path / "frame_crbench.fits") as written:
        assert written["CRMASK"].header["CRB_DET"] == "twin" and written["CRMASK"].header["CRB_PSET"] == "adapter"
        assert not written["CRMASK"].data.any()


def test_units_come_from_bunit_or_units(tmp_path):
    image, _ = make_example_frame()
    keywords = {"GAIN": EXAMPLE_GAIN, "RDNOISE": 5.0, "SATURATE": 65535.0}
    fits.PrimaryHDU(image, header=fits.Header(keywords)).writeto(tmp_path / "adu.fits")
    electrons = image * np.float32(EXAMPLE_GAIN)
    fits.PrimaryHDU(electrons, header=fits.Header({**keywords, "BUNIT": "electron",
                                                   "SATURATE": 65535.0 * EXAMPLE_GAIN})).writeto(tmp_path / "e.fits")
    fits.PrimaryHDU(electrons, header=fits.Header({**keywords, "BUNIT": "electron/s"})).writeto(tmp_path / "rate.fits")
    assert _detect(tmp_path / "adu.fits", "--detector", "astroscrappy").exit_code == 0
    assert _detect(tmp_path / "e.fits", "--detector", "astroscrappy").exit_code == 0
    assert fits.getheader(tmp_path / "e_crbench.fits", "CRMASK")["CRB_UNIT"] == "electron"
    np.testing.assert_array_equal(fits.getdata(tmp_path / "adu_crbench.fits", "CRMASK"),
                                  fits.getdata(tmp_path / "e_crbench.fits", "CRMASK"))
    result = _detect(tmp_path / "rate.fits", "--detector", "astroscrappy")
    assert result.exit_code == 1 and "BUNIT = 'electron/s'" in result.output and "--units" in result.output
    assert _detect(tmp_path / "rate.fits", "--detector", "astroscrappy", "--units", "electron").exit_code == 0


def test_lacosmic_thresholds_without_upstream_default_keep_adapter_values_and_say_so(tmp_path):
    # lacosmic.remove_cosmics has no default for contrast, cr_threshold, neighbor_threshold: crbench's adapter
    # values (the DECam protocol) stay, the note says so, and --detector-args sets them
    truth = write_example_fits(tmp_path / "frame.fits")
    result = _detect(tmp_path / "frame.fits", "--detector", "lacosmic")
    assert result.exit_code == 0, result.output
    assert "upstream has no default for contrast=1.0, cr_threshold=3.0" in result.output
    params = json.loads(fits.getheader(tmp_path / "frame_crbench.fits", "CRMASK")["CRB_PARS"])
    assert (params["contrast"], params["cr_threshold"], params["maxiter"]) == (1.0, 3.0, 4)
    result = _detect(tmp_path / "frame.fits", "--detector", "lacosmic", "--overwrite",
                     "--detector-args", "contrast=5,cr_threshold=4.5,sigfrac=0.3")  # L.A.Cosmic's own values
    assert result.exit_code == 0, result.output
    flagged = fits.getdata(tmp_path / "frame_crbench.fits", "CRMASK").astype(bool)
    assert np.count_nonzero(flagged & truth) >= 0.8 * truth.sum()
    assert np.count_nonzero(flagged & ~truth) <= 0.5 * truth.sum()


@onnx_engine
def test_a_mask_made_on_onnxruntime_names_its_engine_and_matches_eager(tmp_path, requires_published_weights):
    source = tmp_path / "frame.fits"
    write_example_fits(source)
    assert _detect(source, "--detector", "deepcr", "--output", tmp_path / "eager").exit_code == 0
    result = _detect(source, "--detector", "deepcr", "--backend", "onnxruntime", "--output", tmp_path / "onnx")
    assert result.exit_code == 0, result.output
    with fits.open(tmp_path / "eager" / "frame_crbench.fits") as eager, \
            fits.open(tmp_path / "onnx" / "frame_crbench.fits") as engine:
        assert "CRB_ENG" not in eager["CRMASK"].header
        assert engine["CRMASK"].header["CRB_ENG"].startswith("onnxruntime ")
        np.testing.assert_allclose(engine["CRPROB"].data, eager["CRPROB"].data, rtol=0, atol=1e-5)
    result = _detect(source, "--detector", "att_cosmic_conn", "--backend", "onnxruntime")
    assert result.exit_code != 0 and "GroupNorm layers" in result.output
