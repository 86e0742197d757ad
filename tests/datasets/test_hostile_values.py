"""Data whose values make a run meaningless fail with a message naming the cause (issue 16)."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from crbench.cli import main
from crbench.datasets.decam import BANDS, DECamDataset, band_file
from crbench.errors import CorruptFileError, NonFinitePixelsWarning

from .fixtures import write_decam_stacks


def _run(data_dir, output):
    return CliRunner().invoke(main, ["run", "--quiet", "--detector", "oracle", "--dataset", "decam",
                                     "--data-dir", str(data_dir), "--output", str(output)])


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_a_data_set_of_only_non_finite_pixels_fails_the_run(tmp_path, value):
    folder = tmp_path / "decam"
    write_decam_stacks(folder, n_per_band=2, seed=0)
    for band in BANDS:
        path = band_file(folder, band, "image")
        image = np.load(path)
        image[:] = value
        np.save(path, image)
    with pytest.warns(NonFinitePixelsWarning):
        result = _run(folder, tmp_path / "out")
    assert result.exit_code == 1, result.output
    assert "no pixel could be" in result.output and "NaN or inf" in result.output
    assert "Traceback" not in result.output
    assert not list((tmp_path / "out").glob("run__*.json"))  # no 'complete' record with null metrics


def test_a_partly_non_finite_data_set_still_scores(tmp_path):
    folder = tmp_path / "decam"
    write_decam_stacks(folder, n_per_band=2, seed=0)
    path = band_file(folder, "g", "image")
    image = np.load(path)
    image[0] = np.nan
    np.save(path, image)
    with pytest.warns(NonFinitePixelsWarning):
        result = _run(folder, tmp_path / "out")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("field,value", [("gain", "abc"), ("gain", -4.0), ("read_noise", None),
                                         ("saturation", True), ("units", "photons"), ("gain", float("nan"))])
def test_bad_decam_meta_values_name_the_file_and_field(tmp_path, field, value):
    folder = tmp_path / "decam"
    write_decam_stacks(folder, n_per_band=2, seed=0)
    (folder / "decam_meta.json").write_text(json.dumps({field: value}))
    with pytest.raises(CorruptFileError, match=rf"decam_meta.json: field '{field}' is .*; expected"):
        DECamDataset(data_dir=folder).load_sample("test", DECamDataset(data_dir=folder).sample_ids("test")[0])
    if (field, value) == ("gain", "abc"):
        result = _run(folder, tmp_path / "out")
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert "decam_meta.json: field 'gain' is 'abc'" in result.output
