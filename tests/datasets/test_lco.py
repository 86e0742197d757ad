"""LCO CR loaders on format-exact fixture files."""

import numpy as np
import pytest
from astropy.io import fits

from crbench.datasets import get_dataset_class
from crbench.datasets.lco import (
    FALLBACK_READ_NOISE,
    IGNORE_BITS,
    LCO0m4Dataset,
    LCO1mDataset,
    LCO2mDataset,
    decode_ignore_bits,
    expected_extension_names,
    read_lco_frame,
    telescope_class_of,
)
from crbench.errors import CorruptFileError, DataNotAvailableError, InputError

from .fixtures import BOUNDARY, lco_file_name, write_lco_sequence, write_lco_tree


@pytest.fixture(autouse=True)
def isolated_locations(tmp_path, monkeypatch):
    monkeypatch.setenv("CRBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CRBENCH_DATA", raising=False)


@pytest.fixture(scope="module")
def lco_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("lco")
    written = write_lco_tree(root)
    return root, written


def _test_path(root, name):
    return root / "LCO_CR_dataset" / "test_set" / "masked_fits" / name


def test_registered_names_resolve_to_the_three_classes():
    assert get_dataset_class("lco_0m4") is LCO0m4Dataset
    assert get_dataset_class("lco_1m") is LCO1mDataset
    assert get_dataset_class("lco_2m") is LCO2mDataset


def test_fixture_has_the_published_extension_order(lco_tree):
    root, _ = lco_tree
    with fits.open(_test_path(root, lco_file_name("1m0", 0))) as hdul:
        names = [hdu.name for hdu in hdul]
        assert names == expected_extension_names(3)
        assert hdul[0].header["FRMTOTAL"] == 3
        assert all(isinstance(hdul[i], fits.CompImageHDU) for i in (1, 2, 3, 4, 6, 7, 8, 9, 10, 11))
        assert isinstance(hdul[5], fits.BinTableHDU)
        assert hdul[1].data.dtype == np.float32 and hdul[9].data.dtype == np.uint8


def test_each_frame_is_one_sample_of_its_telescope_class(lco_tree):
    root, _ = lco_tree
    ids_0m4 = LCO0m4Dataset(data_dir=root).sample_ids("test")
    stems = [lco_file_name("0m4", index)[: -len(".fits")] for index in range(2)]
    assert ids_0m4 == [f"{stem}#{frame}" for stem in stems for frame in range(3)]
    assert len(LCO1mDataset(data_dir=root).sample_ids("test")) == 3
    assert len(LCO2mDataset(data_dir=root).sample_ids("test")) == 3
    # training files live in per-class folders
    assert LCO1mDataset(data_dir=root).sample_ids("train") == [f"{lco_file_name('1m0', 0)[:-5]}#{f}" for f in range(3)]


def test_loaded_frames_match_the_file_and_the_scene(lco_tree):
    root, written = lco_tree
    name = lco_file_name("1m0", 0)
    truth_written = written[("test", name)]
    dataset = LCO1mDataset(data_dir=root)
    for frame in range(3):
        sample = dataset.load_sample("test", f"{name[:-5]}#{frame}").validated()
        on_disk = fits.getdata(_test_path(root, name), ext=1 + frame)
        np.testing.assert_array_equal(sample.image, on_disk)
        # RICE quantisation of float32 is lossy by a fraction of the noise
        np.testing.assert_allclose(sample.image, truth_written["images"][frame], atol=2.0)
        np.testing.assert_array_equal(sample.truth, truth_written["cr"][frame] > 0)
        np.testing.assert_array_equal(sample.ignore, truth_written["ignore_bits"][frame] != 0)
        np.testing.assert_array_equal(sample.extras["ignore_bits"], truth_written["ignore_bits"][frame])
    frames = [dataset.load_sample("test", f"{name[:-5]}#{frame}").truth for frame in range(3)]
    assert not np.array_equal(frames[0], frames[1])  # each frame has its own CRs


def test_truth_is_stored_undilated_and_the_card_dilates_3x3(lco_tree):
    root, written = lco_tree
    name = lco_file_name("2m0", 0)
    sample = LCO2mDataset(data_dir=root).load_sample("test", f"{name[:-5]}#1")
    assert sample.truth.sum() == written[("test", name)]["cr"][1].sum()
    for dataset_class in (LCO0m4Dataset, LCO1mDataset, LCO2mDataset):
        assert dataset_class.card.truth_dilation == 3
        assert dataset_class.card.ignore_policy == "exclude"
        assert dataset_class.card.family == "lco"


def test_ignore_bits_decode_to_their_reasons(lco_tree):
    root, written = lco_tree
    bits = written[("test", lco_file_name("0m4", 1))]["ignore_bits"][0]
    decoded = decode_ignore_bits(bits)
    boundary = np.ones(bits.shape, bool)
    boundary[BOUNDARY:-BOUNDARY, BOUNDARY:-BOUNDARY] = False
    np.testing.assert_array_equal(decoded["boundary"], boundary)
    no_data = np.zeros(bits.shape, bool)
    no_data[:, -6:] = True
    np.testing.assert_array_equal(decoded["no_data"], no_data)
    assert decoded["source"].any() and decoded["hot_pixel"].sum() >= 1
    np.testing.assert_array_equal(decoded["any"], bits != 0)
    # every combination of the four bits
    values = np.arange(16, dtype=np.uint8)
    decoded = decode_ignore_bits(values)
    for name, bit in IGNORE_BITS.items():
        np.testing.assert_array_equal(decoded[name], (values // bit) % 2 == 1)
    with pytest.raises(InputError):
        decode_ignore_bits(np.zeros(3, dtype=float))


def test_truth_never_overlaps_ignored_pixels(lco_tree):
    root, _ = lco_tree
    dataset = LCO0m4Dataset(data_dir=root)
    for sample_id in dataset.sample_ids("test"):
        sample = dataset.load_sample("test", sample_id)
        assert not (sample.truth & sample.ignore).any()


def test_metadata_comes_from_the_headers(lco_tree):
    root, written = lco_tree
    name = lco_file_name("0m4", 0)
    sample = LCO0m4Dataset(data_dir=root).load_sample("test", f"{name[:-5]}#2")
    meta = sample.meta
    assert meta.units == "electron" and meta.gain == 1.0
    assert meta.read_noise == pytest.approx(written[("test", name)]["read_noise"])
    assert meta.saturation == 120000.0 and meta.sky_level == 150.0 and not meta.sky_subtracted
    assert meta.band == "rp" and meta.exposure_time == 120.0
    assert meta.telescope_class == "0m4" and meta.instrument == "lco_0m4"
    assert meta.extra["header_gain"] == pytest.approx(1.12)
    assert meta.extra["frame"] == 2 and meta.extra["camera"] == "kb24" and meta.extra["site"] == "coj"
    assert meta.extra["frame_name"] == "coj0m403-kb24-20190101-0149-e91"


def test_missing_header_keywords_use_documented_fallbacks(tmp_path):
    name = lco_file_name("1m0", 0)
    path = tmp_path / "LCO_CR_dataset" / "test_set" / "masked_fits" / name
    written = write_lco_sequence(path, seed=5, telescope_class="1m0", headers=False)
    sample = LCO1mDataset(data_dir=tmp_path).load_sample("test", f"{name[:-5]}#0")
    assert sample.meta.read_noise == FALLBACK_READ_NOISE["1m0"]
    assert "fallback" in sample.meta.extra["read_noise_source"]
    assert "disabled" in sample.meta.extra["saturation_source"]
    usable = (written["ignore_bits"][0] & 3) == 0
    assert sample.meta.sky_level == pytest.approx(np.median(sample.image[usable]))


def test_classical_protocol_parameters_per_class():
    assert LCO0m4Dataset.card.protocol_for("astroscrappy")["objlim"] == 0.5
    for dataset_class in (LCO1mDataset, LCO2mDataset):
        assert dataset_class.card.protocol_for("astroscrappy")["objlim"] == 2.0
    for dataset_class in (LCO0m4Dataset, LCO1mDataset, LCO2mDataset):
        params = dataset_class.card.protocol_for("astroscrappy")
        assert params["sigfrac"] == 0.1
        lacosmic = dataset_class.card.protocol_for("lacosmic")
        assert lacosmic["contrast"] == params["objlim"]


def test_telescope_class_from_lco_names():
    assert telescope_class_of("coj0m403-kb24-20190101-0147-e91_3frms_masks.fits") == "0m4"
    assert telescope_class_of("cpt1m010-fa16-20190101-0001-e91_3frms_masks.fits") == "1m0"
    assert telescope_class_of("ogg2m001-fs02-20190101-0001-e91_3frms_masks.fits") == "2m0"
    assert telescope_class_of("image.fits") is None


def test_missing_data_names_the_command_and_the_size(tmp_path):
    dataset = LCO1mDataset(data_dir=tmp_path / "nowhere")
    assert not dataset.is_available()
    with pytest.raises(DataNotAvailableError, match="crbench datasets download lco") as excinfo:
        dataset.check_available()
    assert "GB" in str(excinfo.value) and "--data-dir" in str(excinfo.value)
    with pytest.raises(DataNotAvailableError, match="crbench datasets download lco"):
        dataset.sample_ids("test")


def test_data_found_through_crbench_data(lco_tree, monkeypatch, tmp_path):
    root, _ = lco_tree
    (tmp_path / "lco").symlink_to(root, target_is_directory=True)
    monkeypatch.setenv("CRBENCH_DATA", str(tmp_path))
    dataset = LCO2mDataset()
    assert dataset.is_available()
    assert len(dataset.sample_ids("test")) == 3


def test_unknown_sample_ids_are_refused(lco_tree):
    root, _ = lco_tree
    dataset = LCO1mDataset(data_dir=root)
    with pytest.raises(InputError, match="not in split"):
        dataset.load_sample("test", "cpt1m010-fa16-20190101-9999-e91_3frms_masks#0")
    with pytest.raises(InputError, match="only 3 frames"):
        dataset.load_sample("test", f"{lco_file_name('1m0', 0)[:-5]}#3")
    with pytest.raises(InputError, match="splits"):
        dataset.sample_ids("val")


def test_manifest_hashes_files_and_follows_their_bytes(tmp_path):
    write_lco_tree(tmp_path, test_counts={"1m0": 2}, train_counts={})
    dataset = LCO1mDataset(data_dir=tmp_path)
    manifest = dataset.manifest("test")
    assert list(manifest) == dataset.sample_ids("test")
    assert len(set(manifest.values())) == 6
    assert LCO1mDataset(data_dir=tmp_path).manifest("test") == manifest
    path = _test_path(tmp_path, lco_file_name("1m0", 1))
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    changed = LCO1mDataset(data_dir=tmp_path).manifest("test")
    stem0, stem1 = lco_file_name("1m0", 0)[:-5], lco_file_name("1m0", 1)[:-5]
    assert changed[f"{stem0}#0"] == manifest[f"{stem0}#0"]
    assert changed[f"{stem1}#0"] != manifest[f"{stem1}#0"]


# -- bad input ---------------------------------------------------------------


@pytest.fixture
def one_file(tmp_path):
    name = lco_file_name("1m0", 0)
    path = tmp_path / "LCO_CR_dataset" / "test_set" / "masked_fits" / name
    write_lco_sequence(path, seed=3, telescope_class="1m0")
    return path


def _rewrite(path, change):
    with fits.open(path) as hdul:
        hdus = [hdu.copy() for hdu in hdul]
    hdus = change(hdus)
    fits.HDUList(hdus).writeto(path, overwrite=True)


def test_truncated_file_names_the_file(one_file):
    data = one_file.read_bytes()
    one_file.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptFileError, match=one_file.name):
        read_lco_frame(one_file, 0)


def test_garbage_file_names_the_file(one_file):
    one_file.write_bytes(b"this is not FITS" * 200)
    with pytest.raises(CorruptFileError, match="cannot read as FITS"):
        read_lco_frame(one_file, 0)


def test_missing_extension_says_what_was_expected(one_file):
    _rewrite(one_file, lambda hdus: [hdu for hdu in hdus if hdu.name != "CAT"])
    with pytest.raises(CorruptFileError, match=r"expected \['PRIMARY', 'SCI'.*'CAT'") as excinfo:
        read_lco_frame(one_file, 0)
    assert str(one_file) in str(excinfo.value)


def test_extensions_out_of_order_are_refused(one_file):
    def swap(hdus):
        hdus[6], hdus[9] = hdus[9], hdus[6]
        return hdus

    _rewrite(one_file, swap)
    with pytest.raises(CorruptFileError, match="extensions are"):
        read_lco_frame(one_file, 0)


def test_missing_frame_count_is_refused(one_file):
    def drop(hdus):
        del hdus[0].header["FRMTOTAL"]
        return hdus

    _rewrite(one_file, drop)
    with pytest.raises(CorruptFileError, match="FRMTOTAL"):
        read_lco_frame(one_file, 0)


def test_mask_of_the_wrong_shape_is_refused(one_file):
    def shrink(hdus):
        hdus[7] = fits.CompImageHDU(np.zeros((10, 10), np.uint8), header=hdus[7].header, name="CR")
        return hdus

    _rewrite(one_file, shrink)
    read_lco_frame(one_file, 0)  # frame 0 is intact
    with pytest.raises(CorruptFileError, match=r"CR frame 1 has shape \(10, 10\); expected the SCI shape"):
        read_lco_frame(one_file, 1)


def test_wrong_dtypes_are_refused(one_file):
    def retype(hdus):
        hdus[2] = fits.CompImageHDU(hdus[2].data.astype(np.int16), header=hdus[2].header, name="SCI")
        hdus[9] = fits.CompImageHDU(hdus[9].data.astype(np.float32), header=hdus[9].header, name="IGNORE")
        return hdus

    _rewrite(one_file, retype)
    with pytest.raises(CorruptFileError, match="SCI frame 1.*dtype int16; expected float32"):
        read_lco_frame(one_file, 1)
    with pytest.raises(CorruptFileError, match="IGNORE frame 0.*expected uint8"):
        read_lco_frame(one_file, 0)


def test_out_of_range_ignore_bits_are_refused(one_file):
    def poison(hdus):
        data = hdus[9].data.copy()
        data[5, 5] = 64
        hdus[9] = fits.CompImageHDU(data, header=hdus[9].header, name="IGNORE")
        return hdus

    _rewrite(one_file, poison)
    with pytest.raises(CorruptFileError, match="outside 0-15"):
        read_lco_frame(one_file, 0)


def test_unrecognised_file_name_is_refused(tmp_path):
    path = tmp_path / "LCO_CR_dataset" / "test_set" / "masked_fits" / "mystery_3frms_masks.fits"
    write_lco_sequence(path, seed=1)
    with pytest.raises(CorruptFileError, match="telescope class"):
        LCO1mDataset(data_dir=tmp_path).sample_ids("test")


def test_training_folders_name_the_class_when_the_file_name_does_not(tmp_path):
    folder = tmp_path / "LCO_CR_dataset" / "train_set" / "1m0_2019_2018" / "masked_fits"
    write_lco_sequence(folder / "renamed_3frms_masks.fits", seed=2)
    assert LCO1mDataset(data_dir=tmp_path).sample_ids("train") == [f"renamed_3frms_masks#{f}" for f in range(3)]
    with pytest.raises(DataNotAvailableError, match="no 0m4 files"):
        LCO0m4Dataset(data_dir=tmp_path).sample_ids("train")
