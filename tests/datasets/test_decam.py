"""DECam loader on format-exact npy stacks."""

import json

import numpy as np
import pytest

from crbench.datasets import get_dataset_class
from crbench.datasets.decam import BANDS, HOLDOUT_SEED, NOMINAL_META, DECamDataset, band_file
from crbench.errors import CorruptFileError, DataNotAvailableError, InputError, NonFinitePixelsWarning

from .fixtures import write_decam_stacks


@pytest.fixture(autouse=True)
def isolated_locations(tmp_path, monkeypatch):
    monkeypatch.setenv("CRBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CRBENCH_DATA", raising=False)


@pytest.fixture
def split_layout(tmp_path):
    train = write_decam_stacks(tmp_path / "decam" / "train", n_per_band=5, seed=1)
    test = write_decam_stacks(tmp_path / "decam" / "test", n_per_band=3, seed=2)
    return tmp_path / "decam", train, test


def test_registered_and_card_protocol():
    assert get_dataset_class("decam") is DECamDataset
    card = DECamDataset.card
    assert card.truth_dilation == 1  # masks ship dilated 3x3
    assert card.family == "decam" and card.splits == ("train", "val", "test")
    assert card.protocol_for("astroscrappy") == {"objlim": 1.0, "sigfrac": 0.1, "sigclip": 3.0}


def test_split_layout_reproduces_the_authors_train_val_rule(split_layout):
    folder, _, _ = split_layout
    dataset = DECamDataset(data_dir=folder)
    assert dataset.layout() == "split"
    # independent re-statement of Train.py: bands stacked g, i, r, z; seed 0 shuffle; last 10 % val
    pool = [f"{band}-{index:05d}" for band in ("g", "i", "r", "z") for index in range(5)]
    shuffled = np.arange(len(pool))
    np.random.RandomState(0).shuffle(shuffled)
    n_train = int(len(pool) * 0.9)
    assert set(dataset.sample_ids("train")) == {pool[i] for i in shuffled[:n_train]}
    assert set(dataset.sample_ids("val")) == {pool[i] for i in shuffled[n_train:]}
    assert dataset.sample_ids("test") == [f"{band}-{index:05d}" for band in BANDS for index in range(3)]


def test_flat_layout_holds_out_a_documented_seeded_test_set(tmp_path):
    write_decam_stacks(tmp_path, n_per_band=7, seed=3)
    dataset = DECamDataset(data_dir=tmp_path)
    assert dataset.layout() == "flat"
    train, val, test = (set(dataset.sample_ids(split)) for split in ("train", "val", "test"))
    assert not (train & val or train & test or val & test)
    assert len(train | val | test) == 28
    # 2 of 7 per band (the paper's 16 of 56), chosen by default_rng(HOLDOUT_SEED)
    expected_test = {
        f"{band}-{index:05d}" for band in BANDS for index in np.random.default_rng(HOLDOUT_SEED).permutation(7)[5:]
    }
    assert test == expected_test
    assert len(val) == 20 - int(20 * 0.9)
    assert DECamDataset(data_dir=tmp_path).sample_ids("train") == dataset.sample_ids("train")


def test_sample_content_and_metadata(split_layout):
    folder, train, test = split_layout
    dataset = DECamDataset(data_dir=folder)
    sample = dataset.load_sample("test", "r-00002").validated()
    np.testing.assert_array_equal(sample.image, test["r"]["image"][2])
    np.testing.assert_array_equal(sample.truth, test["r"]["mask"][2] > 0)  # no re-dilation
    assert not sample.ignore.any()
    meta = sample.meta
    assert meta.band == "r" and meta.instrument == "decam"
    assert meta.sky_level == pytest.approx(float(test["r"]["sky"][2])) and meta.sky_subtracted
    assert (meta.units, meta.gain, meta.read_noise, meta.saturation) == tuple(NOMINAL_META.values())
    assert meta.extra["meta_source"] == "nominal DECam values"
    train_id = dataset.sample_ids("train")[0]
    band, index = train_id.split("-")
    np.testing.assert_array_equal(dataset.load_sample("train", train_id).image, train[band]["image"][int(index)])


def test_meta_file_overrides_nominal_values(split_layout):
    folder, _, _ = split_layout
    (folder / "decam_meta.json").write_text(json.dumps({"units": "electron", "gain": 1.0, "saturation": 1e5}))
    meta = DECamDataset(data_dir=folder).load_sample("test", "g-00000").meta
    assert (meta.units, meta.gain, meta.read_noise, meta.saturation) == ("electron", 1.0, 7.0, 1e5)
    (folder / "decam_meta.json").write_text(json.dumps({"gian": 1.0}))
    with pytest.raises(CorruptFileError, match="decam_meta.json"):
        DECamDataset(data_dir=folder).load_sample("test", "g-00000")


def test_manifest_covers_the_split_and_tracks_content(split_layout):
    folder, _, _ = split_layout
    manifest = DECamDataset(data_dir=folder).manifest("test")
    assert list(manifest) == DECamDataset(data_dir=folder).sample_ids("test")
    image = np.load(band_file(folder / "test", "z", "image"))
    image[1, 0, 0] += 1
    np.save(band_file(folder / "test", "z", "image"), image)
    changed = DECamDataset(data_dir=folder).manifest("test")
    assert changed["z-00001"] != manifest["z-00001"] and changed["z-00000"] == manifest["z-00000"]


def test_non_finite_pixels_move_to_the_ignore_mask(tmp_path):
    written = write_decam_stacks(tmp_path, n_per_band=2, bands=("g",), seed=4)
    image = written["g"]["image"]
    image[0, 3, 4] = np.nan
    np.save(band_file(tmp_path, "g", "image"), image)
    dataset = DECamDataset(data_dir=tmp_path)
    with pytest.warns(NonFinitePixelsWarning):
        samples = list(dataset.iter_samples("test")) + list(dataset.iter_samples("train"))
    flagged = [sample for sample in samples if sample.extras["n_nonfinite"]]
    assert len(flagged) == 1 and flagged[0].ignore[3, 4] and flagged[0].sample_id == "g-00000"


def test_missing_data_explains_how_to_supply_it(tmp_path):
    dataset = DECamDataset(data_dir=tmp_path / "empty")
    assert not dataset.is_available()
    with pytest.raises(DataNotAvailableError, match="not publicly downloadable") as excinfo:
        dataset.sample_ids("test")
    message = str(excinfo.value)
    assert "--data-dir" in message and "CRBENCH_DATA" in message and "GB" in message


def test_missing_split_is_reported(tmp_path):
    write_decam_stacks(tmp_path / "test", n_per_band=2, seed=5)
    dataset = DECamDataset(data_dir=tmp_path)
    assert len(dataset.sample_ids("test")) == 8
    with pytest.raises(DataNotAvailableError, match="no 'train' patches"):
        dataset.sample_ids("train")


def test_found_through_crbench_data(tmp_path, monkeypatch):
    write_decam_stacks(tmp_path / "decam", n_per_band=2, bands=("i",), seed=6)
    monkeypatch.setenv("CRBENCH_DATA", str(tmp_path))
    assert DECamDataset().is_available()


def test_bad_sample_ids(split_layout):
    folder, _, _ = split_layout
    dataset = DECamDataset(data_dir=folder)
    for bad in ("x-00001", "g00001", "g-abc"):
        with pytest.raises(InputError):
            dataset.load_sample("test", bad)
    with pytest.raises(InputError, match="not in split"):
        dataset.load_sample("test", "g-00099")


# -- bad input ---------------------------------------------------------------


def test_mask_of_the_wrong_shape_names_file_and_expectation(tmp_path):
    write_decam_stacks(tmp_path, n_per_band=3, bands=("g",), seed=7)
    np.save(band_file(tmp_path, "g", "mask"), np.zeros((3, 16, 16), np.uint8))
    with pytest.raises(CorruptFileError, match=r"decam_g_mask_wd.npy: shape \(3, 16, 16\); expected the image stack"):
        DECamDataset(data_dir=tmp_path).sample_ids("test")


def test_non_square_or_flat_images_are_refused(tmp_path):
    write_decam_stacks(tmp_path, n_per_band=3, bands=("g",), seed=8)
    np.save(band_file(tmp_path, "g", "image"), np.zeros((3, 32, 16), np.float32))
    with pytest.raises(CorruptFileError, match=r"expected \(N, W, W\)"):
        DECamDataset(data_dir=tmp_path).sample_ids("test")


def test_wrong_dtype_is_refused(tmp_path):
    write_decam_stacks(tmp_path, n_per_band=3, bands=("g",), seed=9)
    np.save(band_file(tmp_path, "g", "image"), np.zeros((3, 32, 32), dtype="U1"))
    with pytest.raises(CorruptFileError, match="dtype <U1; expected float32"):
        DECamDataset(data_dir=tmp_path).sample_ids("test")
    np.save(band_file(tmp_path, "g", "image"), np.empty((3, 32, 32), dtype=object), allow_pickle=True)
    with pytest.raises(CorruptFileError, match="Python objects"):
        DECamDataset(data_dir=tmp_path).sample_ids("test")


def test_truncated_npy_is_refused(tmp_path):
    write_decam_stacks(tmp_path, n_per_band=3, bands=("z",), seed=10)
    path = band_file(tmp_path, "z", "image")
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(CorruptFileError, match="decam_z_image_wd.npy: cannot read"):
        DECamDataset(data_dir=tmp_path).sample_ids("test")


def test_sky_of_the_wrong_shape_is_refused(tmp_path):
    write_decam_stacks(tmp_path, n_per_band=3, bands=("g",), seed=11)
    np.save(band_file(tmp_path, "g", "sky"), np.ones((3, 1), np.float32))
    with pytest.raises(CorruptFileError, match=r"decam_g_sky_wd.npy: shape \(3, 1\); expected \(3,\)"):
        DECamDataset(data_dir=tmp_path).sample_ids("test")


def test_non_binary_float_mask_is_refused(tmp_path):
    written = write_decam_stacks(tmp_path / "test", n_per_band=2, bands=("g",), seed=12, mask_dtype=np.float32)
    mask = written["g"]["mask"]
    mask[1, 0, 0] = 0.5
    np.save(band_file(tmp_path / "test", "g", "mask"), mask)
    dataset = DECamDataset(data_dir=tmp_path)
    dataset.load_sample("test", "g-00000")
    with pytest.raises(CorruptFileError, match="patch 1 holds values other than 0 and 1"):
        dataset.load_sample("test", "g-00001")


def test_incomplete_band_is_refused(tmp_path):
    write_decam_stacks(tmp_path, n_per_band=2, bands=("g", "r"), seed=13)
    band_file(tmp_path, "r", "mask").unlink()
    with pytest.raises(CorruptFileError, match="band 'r'.*incomplete"):
        DECamDataset(data_dir=tmp_path).check_available()
