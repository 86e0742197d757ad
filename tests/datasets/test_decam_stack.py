import shutil

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import ndimage

from crbench.cli import main
from crbench.datasets import DATASETS
from crbench.datasets.decam_stack import DecamStack
from crbench.errors import ChecksumError, InputError
from crbench.records import load_record

FRAMES = [f"DEC-OBS04{c}" for c in "abcde"] + [f"DEC-OBS18{c}" for c in "abcde"]
EIGHT = np.ones((3, 3), dtype=bool)


def test_card_is_its_own_family_and_states_few_objects():
    card = DecamStack.card
    assert card.family == "decam_real" and card.splits == ("test",)
    assert card.truth_dilation == 3 and card.ignore_policy == "exclude" and card.bootstrap_strata is None
    assert card.detector_params == DATASETS.get("sim_decam").card.detector_params
    assert "wide" in card.description
    with pytest.raises(InputError, match="CRBENCH_REFERENCE_DIR"):
        DecamStack(data_dir="/somewhere")


def test_decam_stack_builds_from_the_verified_copy(requires_reference_data):
    dataset = DATASETS.get("decam_stack")()
    assert dataset.sample_ids("test") == FRAMES
    objects = {}
    for sample in dataset.iter_samples("test"):
        objects[sample.sample_id] = ndimage.label(sample.truth, structure=EIGHT)[1]
        assert sample.meta.units == "adu" and sample.meta.band == "i" and sample.meta.exposure_time == 330.0
        assert sample.meta.sky_subtracted and 3.9 < sample.meta.gain < 4.2
        assert sample.ignore.mean() < 0.05
    # the native frame has no CR the stack can find; about two dozen objects in all (docs/real_data.md)
    assert objects["DEC-OBS04a"] == 0
    assert 15 <= sum(objects.values()) <= 40
    assert len(dataset.manifest("test")) == 10


def test_cleaned_frames_differ_only_at_cosmic_rays(requires_reference_data):
    dataset = DecamStack()
    frames = dataset.load_cleaned_frames()
    assert [frame.sample_id for frame in frames] == FRAMES
    for frame in frames:
        sample = dataset.load_sample("test", frame.sample_id)
        changed = frame.image != sample.image
        assert not (changed & ~ndimage.binary_dilation(sample.truth | sample.ignore, structure=EIGHT)).any()
        assert changed[sample.truth].all()


def test_built_products_are_cached_and_reused(requires_reference_data):
    first = DecamStack().built().folder
    stamp = (first / "crbench_dataset.json").stat().st_mtime_ns
    assert DecamStack().built().folder == first
    assert (first / "crbench_dataset.json").stat().st_mtime_ns == stamp


def test_a_tampered_copy_is_refused(requires_reference_data, tmp_path, monkeypatch):
    import os
    from pathlib import Path

    source = Path(os.environ["CRBENCH_REFERENCE_DIR"]) / "decam_stack_sfft"
    copy = tmp_path / "reference" / "decam_stack_sfft"
    shutil.copytree(source, copy)
    target = copy / "DEC-OBS18c.mini.fits"
    data = bytearray(target.read_bytes())
    data[-10] ^= 0xFF
    target.chmod(0o644)
    target.write_bytes(bytes(data))
    monkeypatch.setenv("CRBENCH_REFERENCE_DIR", str(tmp_path / "reference"))
    with pytest.raises(ChecksumError, match="DEC-OBS18c"):
        DecamStack().sample_ids("test")


def test_run_on_decam_stack_works_offline(requires_reference_data, tmp_path):
    result = CliRunner().invoke(main, ["run", "--quiet", "--detector", "oracle", "--dataset", "decam_stack",
                                       "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    record = load_record(next(tmp_path.glob("run__*.json"))).to_dict()
    assert record["dataset"]["name"] == "decam_stack" and record["dataset"]["n_images"] == 10
