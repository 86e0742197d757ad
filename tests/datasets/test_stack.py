import pickle

import numpy as np
import pytest

from crbench.datasets.stack import StackDataset, find_stack_folder, stack_dataset_class
from crbench.errors import DataNotAvailableError, InputError
from crbench.stack import build_stack_truth
from crbench.stack.fits_input import HeaderValue
from crbench.stack.from_fits import build_stack_dataset
from crbench.stack.synthetic import make_synthetic_stack


@pytest.fixture
def built(tmp_path):
    from astropy.io import fits

    stack = make_synthetic_stack(12, n_frames=4, shape=(80, 80), n_stars=10, saturated_star=False)
    paths = []
    for index, image in enumerate(stack.images):
        paths.append(tmp_path / f"f{index}.fits")
        fits.PrimaryHDU(image).writeto(paths[-1])
    folder = build_stack_dataset("tinystack", paths, output=tmp_path / "out", gain=HeaderValue("--gain", value=4.0),
                                 read_noise=HeaderValue("--read-noise", value=7.0),
                                 saturation=HeaderValue("--saturation", value=1e5))
    return folder, stack


def test_bound_class_pickles_as_its_folder(built):
    folder, _ = built
    cls = stack_dataset_class(folder)
    assert cls.card.name == "tinystack"
    assert pickle.loads(pickle.dumps(cls)) is cls
    assert pickle.loads(pickle.dumps(cls))().sample_ids("test") == ["f0", "f1", "f2", "f3"]


def test_samples_match_the_builder(built):
    folder, stack = built
    results = build_stack_truth(stack.images, gains=4.0, read_noises=7.0, saturations=1e5)
    dataset = StackDataset(data_dir=folder)
    for index, result in enumerate(results):
        sample = dataset.load_sample("test", f"f{index}")
        np.testing.assert_array_equal(sample.truth, result.truth)
        np.testing.assert_array_equal(sample.ignore, result.ignore)
        np.testing.assert_array_equal(dataset.load_cleaned(f"f{index}"), result.cleaned.astype(np.float32))


def test_folders_are_found_only_when_built(built, tmp_path):
    folder, _ = built
    assert find_stack_folder(str(folder)) == folder
    assert find_stack_folder(str(tmp_path)) is None
    assert find_stack_folder("pkg.module:Class") is None
    with pytest.raises(DataNotAvailableError, match="from-stack"):
        StackDataset(data_dir=tmp_path)
    with pytest.raises(InputError, match="data_dir"):
        StackDataset()


@pytest.mark.parametrize("content", ["{", '{"test": 5}', '{"test": {"f0": [1]}}', '["test"]'])
def test_a_damaged_manifest_names_the_file(built, content):
    from crbench.errors import CorruptFileError
    from crbench.stack.folder import MANIFEST_FILE, read_stack_folder

    folder, _ = built
    (folder / MANIFEST_FILE).write_text(content)
    with pytest.raises(CorruptFileError, match=MANIFEST_FILE):
        read_stack_folder(folder)
