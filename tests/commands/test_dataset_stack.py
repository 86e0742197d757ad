import json

import numpy as np
import pytest
from astropy.io import fits
from click.testing import CliRunner

from crbench.cli import main
from crbench.datasets import DATASETS, manifest_hash
from crbench.datasets.stack import StackDataset
from crbench.errors import ChecksumError
from crbench.records import load_record
from crbench.stack.synthetic import make_synthetic_stack


def _write_stack(folder, *, n_frames=5, shape=(96, 96), header=None, seed=11):
    stack = make_synthetic_stack(seed, n_frames=n_frames, shape=shape, n_stars=15, saturated_star=False)
    folder.mkdir(parents=True, exist_ok=True)
    for index, image in enumerate(stack.images):
        hdu = fits.PrimaryHDU(image.astype(np.float32))
        values = {"GAIN": 4.0, "RDNOISE": 7.0, "SATURATE": 30000.0, "FILTER": "r", "EXPTIME": 60.0,
                  "NIGHT": "n1", **(header or {})}
        for key, value in values.items():
            if value is not None:
                hdu.header[key] = value
        hdu.writeto(folder / f"frame{index}.fits")
    return stack


def _from_stack(*args):
    return CliRunner().invoke(main, ["datasets", "from-stack", *args])


def test_from_stack_builds_a_reviewable_folder_that_runs(tmp_path):
    stack = _write_stack(tmp_path / "in")
    result = _from_stack("mystack", "--images", str(tmp_path / "in" / "*.fits"), "--group", "NIGHT",
                         "--output", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out" / "mystack"
    info = json.loads((folder / "crbench_dataset.json").read_text())
    assert info["card"]["name"] == "mystack" and info["card"]["splits"] == ["test"]
    assert info["builder"]["params"]["seed_sigma"] == 5.0
    assert len(info["inputs"]) == 5 and all(len(entry["sha256"]) == 64 for entry in info["inputs"])
    with fits.open(folder / "frames" / "frame0.fits") as hdus:
        assert [hdu.name for hdu in hdus[1:]] == ["IMAGE", "TRUTH", "IGNORE", "IGNORE_REASON", "CLEANED",
                                                  "SIGNIFICANCE"]
        assert hdus["IGNORE_REASON"].header["BIT4"] == "bright_source"
        np.testing.assert_array_equal(hdus["IMAGE"].data, stack.images[0].astype(np.float32))
    # resolved by path without registration; the manifest matches the samples
    dataset = DATASETS.get(str(folder))()
    assert isinstance(dataset, StackDataset) and dataset.name == "mystack"
    assert dataset.sample_ids("test") == [f"frame{index}" for index in range(5)]
    assert sum(dataset.load_sample("test", f"frame{index}").truth.sum() for index in range(5)) > 0
    run = CliRunner().invoke(main, ["run", "--quiet", "--detector", "oracle", "--dataset", str(folder),
                                    "--output", str(tmp_path / "results")])
    assert run.exit_code == 0, run.output
    record = load_record(next((tmp_path / "results").glob("run__*.json"))).to_dict()
    assert record["dataset"]["name"] == "mystack"
    assert record["dataset"]["manifest_hash"] == manifest_hash(dataset.manifest("test"))


def test_built_folder_is_found_under_crbench_data(tmp_path, monkeypatch):
    _write_stack(tmp_path / "in")
    monkeypatch.setenv("CRBENCH_DATA", str(tmp_path / "data"))
    assert _from_stack("night1", "--images", str(tmp_path / "in" / "*.fits")).exit_code == 0
    assert DATASETS.get("night1")().name == "night1"
    with pytest.raises(KeyError, match="unknown dataset 'night2'"):
        DATASETS.get("night2")


def test_a_changed_frame_file_fails_the_manifest_check(tmp_path):
    _write_stack(tmp_path / "in")
    assert _from_stack("s", "--images", str(tmp_path / "in" / "*.fits"), "--output", str(tmp_path)).exit_code == 0
    path = tmp_path / "s" / "frames" / "frame1.fits"
    with fits.open(path, mode="update") as hdus:
        hdus["TRUTH"].data[0, 0] = 1 - hdus["TRUTH"].data[0, 0]
    with pytest.raises(ChecksumError, match="frame1"):
        StackDataset(data_dir=tmp_path / "s").manifest("test")


def test_missing_keyword_names_the_keyword_and_the_option(tmp_path):
    _write_stack(tmp_path / "in", header={"RDNOISE": None})
    result = _from_stack("s", "--images", str(tmp_path / "in" / "*.fits"), "--output", str(tmp_path / "out"))
    assert result.exit_code != 0
    assert "'RDNOISE'" in result.output and "--read-noise" in result.output
    fixed = _from_stack("s", "--images", str(tmp_path / "in" / "*.fits"), "--read-noise", "7.5",
                        "--output", str(tmp_path / "out"))
    assert fixed.exit_code == 0, fixed.output
    meta = json.loads((tmp_path / "out" / "s" / "crbench_dataset.json").read_text())["samples"]["frame0"]["meta"]
    assert meta["read_noise"] == 7.5 and meta["band"] == "r"


def test_frames_of_different_shapes_are_refused(tmp_path):
    _write_stack(tmp_path / "in")
    fits.PrimaryHDU(np.zeros((90, 96), dtype=np.float32)).writeto(tmp_path / "in" / "frame9.fits")
    result = _from_stack("s", "--images", str(tmp_path / "in" / "*.fits"), "--output", str(tmp_path / "out"))
    assert result.exit_code != 0
    assert "frame9.fits" in result.output and "shape" in result.output


def test_corrupt_fits_is_named(tmp_path):
    _write_stack(tmp_path / "in")
    data = (tmp_path / "in" / "frame2.fits").read_bytes()
    (tmp_path / "in" / "frame2.fits").write_bytes(data[: len(data) // 2])
    result = _from_stack("s", "--images", str(tmp_path / "in" / "*.fits"), "--output", str(tmp_path / "out"))
    assert result.exit_code != 0
    assert "frame2.fits" in result.output and "cannot read as FITS" in result.output


def test_align_is_refused_with_the_way_out(tmp_path):
    _write_stack(tmp_path / "in")
    result = _from_stack("s", "--images", str(tmp_path / "in" / "*.fits"), "--align")
    assert result.exit_code != 0 and "--align is not implemented" in result.output


def test_nan_pixels_become_ignored(tmp_path):
    _write_stack(tmp_path / "in")
    with fits.open(tmp_path / "in" / "frame3.fits", mode="update") as hdus:
        hdus[0].data[10:12, 20:25] = np.nan
    assert _from_stack("s", "--images", str(tmp_path / "in" / "*.fits"), "--output", str(tmp_path)).exit_code == 0
    with pytest.warns(UserWarning, match="NaN"):
        sample = next(s for s in StackDataset(data_dir=tmp_path / "s").iter_samples("test") if s.sample_id == "frame3")
    assert sample.ignore[10:12, 20:25].all()
    assert (sample.extras["ignore_reason"][10:12, 20:25] & 16).all()
