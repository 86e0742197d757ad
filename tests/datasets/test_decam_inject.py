import numpy as np
import pytest
from click.testing import CliRunner
from scipy import ndimage

from crbench.cli import main
from crbench.datasets import DATASETS
from crbench.datasets.decam_inject import N_REALISATIONS, DecamInject
from crbench.datasets.decam_stack import DecamStack
from crbench.errors import InputError
from crbench.records import load_record

EIGHT = np.ones((3, 3), dtype=bool)


def test_card_is_real_data_with_its_caveat():
    card = DATASETS.get("decam_inject").card
    assert card.kind == "real" and card.family == DecamStack.card.family and card.splits == ("test",)
    assert card.truth_dilation == 3 and card.ignore_policy == "exclude"
    assert "share their sky" in card.caveat
    with pytest.raises(InputError, match="CRBENCH_REFERENCE_DIR"):
        DecamInject(data_dir="/somewhere")


def test_samples_are_cleaned_frames_plus_exact_injected_charge(requires_reference_data):
    dataset = DecamInject()
    ids = dataset.sample_ids("test")
    assert len(ids) == 10 * N_REALISATIONS and len(set(ids)) == len(ids)
    cleaned = {frame.sample_id: frame for frame in DecamStack().load_cleaned_frames()}
    n_objects = 0
    for sample_id in ids[:: N_REALISATIONS // 4]:
        sample = dataset.load_sample("test", sample_id).validated()
        frame = cleaned[sample.meta.extra["frame"]]
        charge = sample.extras["cr_model"]
        unclipped = sample.image < np.float32(sample.meta.saturation)
        # the image is the cleaned frame plus the injected charge (ADU), up to float32 rounding
        np.testing.assert_allclose(sample.image[unclipped], (frame.image + charge)[unclipped], rtol=1e-6, atol=1e-3)
        assert (charge[sample.truth] > 0).all() and not (sample.truth & sample.ignore).any()
        np.testing.assert_array_equal(sample.ignore, frame.ignore)
        labels, n = ndimage.label(sample.truth, structure=EIGHT)
        assert n == sample.extras["objects"]["n_pixels"].size
        n_objects += n
    assert n_objects > 0


def test_samples_are_deterministic_and_differ_between_realisations(requires_reference_data):
    first, second = DecamInject(), DecamInject()
    a = first.load_sample("test", "DEC-OBS18b-r03")
    b = second.load_sample("test", "DEC-OBS18b-r03")
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.truth, b.truth)
    other = first.load_sample("test", "DEC-OBS18b-r04")
    assert not np.array_equal(a.truth, other.truth)
    with pytest.raises(InputError, match="not in split"):
        first.load_sample("test", f"DEC-OBS18b-r{N_REALISATIONS:02d}")


def test_run_on_decam_inject_works_offline(requires_reference_data, tmp_path):
    result = CliRunner().invoke(main, ["run", "--quiet", "--detector", "oracle", "--dataset", "decam_inject",
                                       "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    record = load_record(next(tmp_path.glob("run__*.json"))).to_dict()
    assert record["dataset"]["name"] == "decam_inject" and record["dataset"]["n_images"] == 10 * N_REALISATIONS


def test_built_from_the_source_urls_with_verification(requires_reference_data, monkeypatch):
    # a networked machine: no pre-seeded copy; every file comes from its URL (here 127.0.0.1) and is verified
    import dataclasses
    import os
    from pathlib import Path

    from crbench import reference_data
    from crbench.simulate import real_cosmics
    from tests.local_http import serve

    real_cosmics._itl_library.cache_clear()  # the footprint library is cached per process: read it afresh

    seed = Path(os.environ["CRBENCH_REFERENCE_DIR"])
    files, entries = {}, {}
    for set_name, (provenance, set_files) in reference_data.REFERENCE_SETS.items():
        files.update({f"/{set_name}/{entry.file_name}": (seed / set_name / entry.file_name).read_bytes()
                      for entry in set_files})
        entries[set_name] = (provenance, set_files)
    monkeypatch.delenv("CRBENCH_REFERENCE_DIR")
    with serve(files) as server:
        for set_name, (provenance, set_files) in entries.items():
            moved = tuple(dataclasses.replace(entry, base_url=f"{server.url}/{set_name}/") for entry in set_files)
            monkeypatch.setitem(reference_data.REFERENCE_SETS, set_name, (provenance, moved))
        sample = DecamInject().load_sample("test", "DEC-OBS04a-r00")
    real_cosmics._itl_library.cache_clear()  # built from this test's cache folder, which is deleted after it
    assert sample.truth.any()
    assert len(server.requests) == len(files)  # each file fetched once, then read from the verified cache
    assert (reference_data.reference_cache_dir("decam_stack_sfft") / "DEC-OBS04a.mini.fits").exists()
