import pickle

import numpy as np
import pytest
from astropy.io import fits

from crbench.datasets import DATASETS
from crbench.datasets.user import UserDataset, user_dataset_class
from crbench.datasets.user_card import (
    build_user_card,
    default_card_path,
    find_user_card,
    mask_path_for,
    read_user_card,
    write_user_card,
)
from crbench.errors import ChecksumError, CorruptFileError, DataNotAvailableError, InputError, ShapeMismatchError
from crbench.hashing import file_sha256
from crbench.stack.fits_input import HeaderValue

from .user_files import write_labelled_images

pytestmark = pytest.mark.usefixtures("user_config_home")


def _numbers(gain="GAIN"):
    return {"gain": HeaderValue.parse("--gain", gain), "read_noise": HeaderValue.parse("--read-noise", "RDNOISE"),
            "saturation": HeaderValue.parse("--saturation", "SATURATE")}


def _card(folder, card_path, **options):
    values = {"images": [str(folder / "*.fits")], "masks": "{stem}_crmask.fits", **_numbers(), **options}
    return build_user_card("mine", card_path=card_path, **values)


def test_card_beside_the_data_round_trips_with_relative_paths_and_file_hashes(tmp_path):
    data = tmp_path / "data"
    truths = write_labelled_images(data, ignore=True)
    card_path = data / "mine.yaml"
    content = _card(data, card_path, ignore="{stem}_bpm.fits")
    write_user_card(card_path, content)
    read, card = read_user_card(card_path)
    assert read == content
    assert card.kind == "user" and card.splits == ("test",) and card.detector_params == {}
    # the glob matched the masks too; they are not images
    assert list(read["samples"]) == ["frame0", "frame1", "frame2"]
    entry = read["samples"]["frame1"]
    assert entry["image"]["path"] == "frame1.fits" and entry["mask"]["path"] == "frame1_crmask.fits"
    assert entry["ignore"]["sha256"] == file_sha256(data / "frame1_bpm.fits")
    assert entry["meta"]["gain"] == 2.0 and entry["meta"]["read_noise"] == 5.0 and entry["meta"]["band"] == "r"
    # the card moves with the data
    moved = tmp_path / "moved"
    data.rename(moved)
    dataset = UserDataset(data_dir=moved / "mine.yaml")
    sample = dataset.load_sample("test", "frame1")
    np.testing.assert_array_equal(sample.truth, truths["frame1"])
    assert sample.ignore[:, 0].all() and sample.ignore.sum() == 64  # bit-flagged bad column, nonzero = ignored
    np.testing.assert_array_equal(sample.image, fits.getdata(moved / "frame1.fits"))


def test_card_elsewhere_stores_absolute_paths(tmp_path):
    data = tmp_path / "data"
    write_labelled_images(data, n_images=2)
    content = _card(data, default_card_path("mine"))
    assert content["samples"]["frame0"]["image"]["path"] == str((data / "frame0.fits").resolve())


def test_changed_file_is_named_on_load(tmp_path):
    data = tmp_path / "data"
    write_labelled_images(data, n_images=2)
    write_user_card(data / "mine.yaml", _card(data, data / "mine.yaml"))
    mask = fits.getdata(data / "frame1_crmask.fits")
    mask[0, 0] = 1
    fits.writeto(data / "frame1_crmask.fits", mask, overwrite=True)
    dataset = UserDataset(data_dir=data / "mine.yaml")
    dataset.load_sample("test", "frame0")
    with pytest.raises(ChecksumError, match=r"frame1_crmask\.fits: sha256 .* changed since"):
        dataset.load_sample("test", "frame1")
    (data / "frame0.fits").unlink()
    with pytest.raises(DataNotAvailableError, match=r"frame0\.fits: listed in"):
        dataset.check_available()


def test_missing_mask_is_named(tmp_path):
    data = tmp_path / "data"
    write_labelled_images(data, n_images=2)
    (data / "frame1_crmask.fits").unlink()
    with pytest.raises(DataNotAvailableError, match=r"frame1_crmask\.fits: no such CR mask file"):
        _card(data, data / "mine.yaml")


def test_non_binary_mask_is_named(tmp_path):
    data = tmp_path / "data"
    write_labelled_images(data, n_images=2)
    mask = fits.getdata(data / "frame0_crmask.fits").astype(np.int16)
    mask[3, 3] = 2
    fits.writeto(data / "frame0_crmask.fits", mask, overwrite=True)
    with pytest.raises(InputError, match=r"frame0_crmask\.fits: CR mask is not binary: 1 pixels .*\(e\.g\. 2\)"):
        _card(data, data / "mine.yaml")


def test_mask_of_another_shape_is_named(tmp_path):
    data = tmp_path / "data"
    write_labelled_images(data, n_images=2)
    fits.writeto(data / "frame1_crmask.fits", np.zeros((32, 64), np.uint8), overwrite=True)
    with pytest.raises(ShapeMismatchError, match=r"frame1_crmask\.fits: CR mask shape \(32, 64\) differs"):
        _card(data, data / "mine.yaml")


def test_header_without_the_keyword_is_named(tmp_path):
    data = tmp_path / "data"
    write_labelled_images(data, n_images=2, header={"GAIN": None})
    with pytest.raises(InputError, match=r"frame0\.fits: header has no 'GAIN' keyword; pass --gain"):
        _card(data, data / "mine.yaml")
    assert _card(data, data / "mine.yaml", gain=HeaderValue.parse("--gain", "1.5"))["samples"]["frame0"]["meta"][
        "gain"] == 1.5


def test_names_of_registered_sets_and_unsafe_names_are_refused(tmp_path):
    data = tmp_path / "data"
    write_labelled_images(data, n_images=1)
    for name in ("tiny", "../up", "card.yaml"):
        with pytest.raises(InputError, match="data set name"):
            build_user_card(name, images=[str(data / "*.fits")], masks="{stem}_crmask.fits",
                            card_path=data / "x.yaml", **_numbers())


def test_family_decides_the_classical_parameters(tmp_path):
    data = tmp_path / "data"
    write_labelled_images(data, n_images=1)
    decam = _card(data, data / "mine.yaml", family="decam")["card"]["detector_params"]
    assert decam == DATASETS.get("decam").card.detector_params
    assert _card(data, data / "mine.yaml", family="hst")["card"]["detector_params"] == {}


def test_registry_finds_cards_by_name_and_path_and_the_class_pickles(tmp_path):
    data = tmp_path / "data"
    write_labelled_images(data, n_images=2)
    write_user_card(default_card_path("mine"), _card(data, default_card_path("mine")))
    by_name = DATASETS.get("mine")
    assert by_name.card.name == "mine" and by_name().sample_ids("test") == ["frame0", "frame1"]
    write_user_card(data / "other.yaml", _card(data, data / "other.yaml"))
    by_path = DATASETS.get(str(data / "other.yaml"))
    assert by_path is user_dataset_class(data / "other.yaml")
    assert pickle.loads(pickle.dumps(by_path)) is by_path
    assert find_user_card("nothing") is None
    with pytest.raises(InputError, match="exists; pass --overwrite"):
        write_user_card(data / "other.yaml", {})


def test_unreadable_or_foreign_cards_are_refused(tmp_path):
    path = tmp_path / "card.yaml"
    path.write_text("format: something-else\n")
    with pytest.raises(CorruptFileError, match="expected 'crbench-user-dataset/1'"):
        read_user_card(path)
    path.write_text("!!python/object/apply:os.system ['true']\n")
    with pytest.raises(CorruptFileError, match="cannot read the data set card"):
        read_user_card(path)


def test_mask_pattern_placeholders(tmp_path):
    assert mask_path_for(tmp_path / "a.fits.fz", "{stem}_m.fits") == tmp_path / "a_m.fits"
    assert mask_path_for(tmp_path / "a.fits", "masks/{name}") == tmp_path / "masks" / "a.fits"
    with pytest.raises(InputError, match=r"placeholders are \{stem\} and \{name\}"):
        mask_path_for(tmp_path / "a.fits", "{file}.fits")
