import numpy as np
import pytest

from crbench.datasets import DatasetCard, Sample, SampleMeta, manifest_hash, sample_sha256
from crbench.datasets.tiny import TinyDataset, make_tiny_sample
from crbench.errors import InputError, NonFinitePixelsWarning, ShapeMismatchError

META = SampleMeta(instrument="x", units="electron", gain=1.0, read_noise=1.0, saturation=1e5)


def _sample(image, truth=None, ignore=None):
    shape = np.shape(image)
    return Sample(
        "s1",
        image,
        np.zeros(shape, bool) if truth is None else truth,
        np.zeros(shape, bool) if ignore is None else ignore,
        META,
    )


def test_nonfinite_pixels_move_to_ignore_and_are_counted():
    image = np.ones((3, 3), np.float32)
    image[0, 0], image[1, 1] = np.nan, np.inf
    with pytest.warns(NonFinitePixelsWarning, match="2 NaN/inf pixels"):
        sample = _sample(image).validated()
    assert sample.extras["n_nonfinite"] == 2
    assert sample.ignore[0, 0] and sample.ignore[1, 1] and sample.ignore.sum() == 2
    assert np.isfinite(sample.image).all()


def test_shape_mismatch_names_the_sample_and_the_shapes():
    with pytest.raises(ShapeMismatchError, match=r"sample 's1': truth mask shape \(2, 2\) differs"):
        _sample(np.ones((3, 3), np.float32), truth=np.zeros((2, 2), bool)).validated()


def test_non_2d_image_is_refused():
    with pytest.raises(InputError, match="must be 2-D"):
        _sample(np.ones((2, 3, 3), np.float32)).validated()


def test_sample_hash_depends_on_every_array():
    base = _sample(np.ones((3, 3), np.float32))
    changed = _sample(np.ones((3, 3), np.float32), ignore=np.eye(3, dtype=bool))
    assert sample_sha256(base) != sample_sha256(changed)
    assert manifest_hash({"a": "1", "b": "2"}) == manifest_hash({"b": "2", "a": "1"})


def test_card_rejects_even_dilation_and_unknown_policy():
    with pytest.raises(ValueError, match="odd"):
        DatasetCard(name="x", version="1", family="x", description="", instrument="x", truth_dilation=2)
    with pytest.raises(ValueError, match="ignore_policy"):
        DatasetCard(name="x", version="1", family="x", description="", instrument="x", ignore_policy="maybe")


def test_tiny_dataset_is_deterministic_and_has_crs():
    dataset = TinyDataset()
    ids = dataset.sample_ids("test")
    assert ids == ["test-00", "test-01", "test-02"]
    first = dataset.load_sample("test", ids[0])
    again = dataset.load_sample("test", ids[0])
    assert sample_sha256(first) == sample_sha256(again)
    assert first.truth.sum() > 0
    assert make_tiny_sample(seed=1).image.dtype == np.float32
    with pytest.raises(InputError, match="splits"):
        dataset.sample_ids("holdout")


def test_card_of_kind_real_carries_its_caveat():
    card = DatasetCard(name="x", version="1", family="x", description="", instrument="x", kind="real",
                       caveat="few CR objects: a sanity check with wide intervals")
    assert card.to_dict()["kind"] == "real"
    assert card.to_dict()["caveat"] == "few CR objects: a sanity check with wide intervals"
    with pytest.raises(InputError, match="kind must be one of"):
        DatasetCard(name="x", version="1", family="x", description="", instrument="x", kind="simulated")


def test_card_without_caveat_serialises_as_before_the_field_existed():
    card = DatasetCard(name="x", version="1", family="x", description="", instrument="x")
    assert "caveat" not in card.to_dict()


def test_committed_records_store_the_current_card_dicts():
    """A record written before ``caveat`` existed holds the same card dict a fresh run writes."""
    import json
    from pathlib import Path

    from crbench.datasets import get_dataset_class

    records = Path(__file__).resolve().parents[2] / "leaderboard" / "records"
    exact = 0
    for path in sorted(records.glob("run__*.json")):
        dataset = json.loads(path.read_text())["dataset"]
        card = get_dataset_class(dataset["name"]).card
        if str(dataset["version"]) != str(card.version):
            continue  # an older version of the set: its card may differ for other reasons
        fresh = json.loads(json.dumps(card.to_dict()))
        # records older than a card field lack its key; every key they hold must read the same
        assert {key: fresh.get(key) for key in dataset["card"]} == dataset["card"], path.name
        exact += dataset["card"] == fresh
    assert exact > 0  # the newest records hold exactly the dict a fresh run writes
