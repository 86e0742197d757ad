"""``crbench datasets add`` then ``crbench run`` and ``datasets show``, from the command line alone."""

import numpy as np
import pytest
from astropy.io import fits
from click.testing import CliRunner

from crbench.cli import main
from crbench.records import load_record
from tests.datasets.user_files import write_labelled_images

pytestmark = pytest.mark.usefixtures("user_config_home")


def _invoke(*args):
    return CliRunner().invoke(main, [str(arg) for arg in args])


def _add(name, data, *extra):
    return _invoke("datasets", "add", name, "--images", data / "*.fits", "--masks", "{stem}_crmask.fits", *extra)


def _run(detector, dataset, results, *extra):
    return _invoke("run", "--quiet", "--bootstrap", "0", "--no-objects", "--detector", detector, "--dataset", dataset,
                   "--output", results, *extra)


def _record(results):
    (path,) = results.glob("run__*.json")
    return load_record(path)


def test_add_by_name_then_run_at_upstream_defaults_with_a_note(tmp_path, user_config_home):
    data = tmp_path / "data"
    write_labelled_images(data)
    added = _add("mine", data)
    assert added.exit_code == 0, added.output
    assert "mine: 3 images (6 files with sha256)" in added.output
    assert (user_config_home / "crbench" / "datasets" / "mine.yaml").is_file()
    run = _run("astroscrappy", "mine", tmp_path / "results")
    assert run.exit_code == 0, run.output
    assert "note: astroscrappy: the data set card states no parameters for it" in run.output
    record = _record(tmp_path / "results")
    assert record.dataset.name == "mine" and record.dataset.card["kind"] == "user"
    assert record.dataset.n_images == 3
    source = record.detector.extra["parameter_source"]
    assert source["source"] == "upstream defaults" and source["params"]["sigclip"] == 4.5
    # upstream's operating point, not crbench's DECam protocol (sigclip 3, objlim 1)
    assert record.detector.params["sigclip"] == 4.5 and record.detector.params["objlim"] == 5.0
    assert record.metrics["recall"].value == 1.0
    # a detector given its parameters explicitly: those win and the note says so
    explicit = _run("astroscrappy", "mine", tmp_path / "explicit", "--detector-args", "objlim=2")
    assert explicit.exit_code == 0, explicit.output
    assert "given explicitly: objlim" in explicit.output
    assert _record(tmp_path / "explicit").detector.params["objlim"] == 2


def test_family_with_card_parameters_runs_them_without_a_note(tmp_path):
    data = tmp_path / "data"
    write_labelled_images(data, n_images=1)
    assert _add("mine", data, "--family", "decam").exit_code == 0
    run = _run("astroscrappy", "mine", tmp_path / "results")
    assert run.exit_code == 0, run.output
    assert "upstream defaults" not in run.output
    record = _record(tmp_path / "results")
    assert "parameter_source" not in record.detector.extra and record.detector.params["objlim"] == 1.0


def test_add_beside_the_data_and_run_by_path(tmp_path):
    data = tmp_path / "data"
    write_labelled_images(data, ignore=True)
    card = data / "mine.yaml"
    added = _add("mine", data, "--ignore", "{stem}_bpm.fits", "--card", card, "--truth-dilation", "1",
                 "--split", "val")
    assert added.exit_code == 0, added.output
    assert f"--dataset {card}" in added.output
    run = _run("oracle", card, tmp_path / "results", "--split", "val")
    assert run.exit_code == 0, run.output
    assert "note:" not in run.output  # not a classical detector
    record = _record(tmp_path / "results")
    assert record.dataset.card["truth_dilation"] == 1 and record.dataset.split == "val"
    assert record.dataset.n_pixels_ignored == 3 * 64
    again = ("--ignore", "{stem}_bpm.fits", "--card", card)
    assert "exists; pass --overwrite" in _add("mine", data, *again).output  # refuses to replace it ...
    assert _add("mine", data, *again, "--overwrite").exit_code == 0  # ... unless told
    # without --ignore the bad-pixel files are images, and their CR masks are missing
    assert "frame0_bpm_crmask.fits: no such CR mask file" in _add("mine", data, "--card", card, "--overwrite").output


def test_run_names_a_file_changed_after_add(tmp_path):
    data = tmp_path / "data"
    write_labelled_images(data, n_images=2)
    assert _add("mine", data).exit_code == 0
    image = fits.getdata(data / "frame1.fits")
    fits.writeto(data / "frame1.fits", image + np.float32(1), overwrite=True)
    run = _run("oracle", "mine", tmp_path / "results")
    assert run.exit_code != 0
    assert "frame1.fits: sha256" in run.output and "changed since 'crbench datasets add'" in run.output


@pytest.mark.parametrize(("damage", "message"), [
    ("missing", "frame1_crmask.fits: no such CR mask file"),
    ("non-binary", "frame1_crmask.fits: CR mask is not binary"),
])
def test_add_refuses_bad_masks_naming_the_file(tmp_path, user_config_home, damage, message):
    data = tmp_path / "data"
    write_labelled_images(data, n_images=2)
    if damage == "missing":
        (data / "frame1_crmask.fits").unlink()
    else:
        fits.writeto(data / "frame1_crmask.fits", np.full((64, 64), 0.5, np.float32), overwrite=True)
    added = _add("mine", data)
    assert added.exit_code != 0 and message in added.output
    assert not (user_config_home / "crbench" / "datasets" / "mine.yaml").exists()


def test_add_names_the_header_keyword_it_could_not_find(tmp_path):
    data = tmp_path / "data"
    write_labelled_images(data, n_images=1, header={"RDNOISE": None})
    added = _add("mine", data)
    assert added.exit_code != 0 and "frame0.fits: header has no 'RDNOISE' keyword; pass --read-noise" in added.output
    assert _add("mine", data, "--read-noise", "4.5").exit_code == 0


def test_show_user_set_with_a_detector_overlay(tmp_path):
    data = tmp_path / "data"
    write_labelled_images(data, n_images=2)
    empty = np.zeros((64, 64), np.uint8)
    fits.writeto(data / "frame0_crmask.fits", empty, overwrite=True)  # the first sample has no CR
    assert _add("mine", data).exit_code == 0
    out = tmp_path / "show.png"
    shown = _invoke("datasets", "show", "mine", "--output", out, "--detector", "oracle", "--device", "cpu")
    assert shown.exit_code == 0, shown.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "sample 1 (frame1): the first of test with CR pixels" in shown.output
    # oracle flags the truth: all 30 positives (a 5-pixel track and one pixel, 3x3-dilated), nothing else
    assert "oracle at 0.5: 30 true-positive, 0 false-positive, 0 missed CR pixels" in shown.output
    classical = _invoke("datasets", "show", "mine", "--out", out, "--index", "1", "--detector", "astroscrappy")
    assert classical.exit_code == 0, classical.output
    assert "note: astroscrappy: the data set card states no parameters" in classical.output


def test_show_a_simulated_set_defaults_to_a_sample_with_crs(tmp_path):
    out = tmp_path / "tiny.png"
    shown = _invoke("datasets", "show", "tiny", "--output", out)
    assert shown.exit_code == 0, shown.output
    assert "the first of test with CR pixels" in shown.output and out.read_bytes()[:4] == b"\x89PNG"
    assert _invoke("datasets", "show", "tiny", "--output", out, "--index", "99").exit_code != 0


def test_add_help_lists_the_options():
    shown = _invoke("datasets", "add", "--help")
    assert shown.exit_code == 0
    for option in ("--images", "--masks", "--ignore", "--ext", "--mask-ext", "--gain", "--read-noise",
                   "--saturation", "--sky-subtracted", "--truth-dilation", "--family", "--split", "--card"):
        assert option in shown.output
