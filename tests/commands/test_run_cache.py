"""The score cache never credits one input or one detector with another's output."""

import importlib
import sys

from click.testing import CliRunner

from crbench.cli import main
from crbench.records import load_record

from ..datasets.fixtures import write_decam_stacks

TWINS = "tests.commands.twin_detectors"


def _run(output, *args):
    result = CliRunner().invoke(main, ["run", "--quiet", "--output", str(output), *args])
    assert result.exit_code == 0, result.output
    (path,) = sorted(output.glob("run__*.json"))
    return result.output, load_record(path).to_dict()


def test_same_file_names_in_another_data_dir_are_not_served_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CRBENCH_CACHE", str(tmp_path / "cache"))
    write_decam_stacks(tmp_path / "A", seed=0)
    write_decam_stacks(tmp_path / "B", seed=1)  # same file and sample names, other pixels and CRs
    args = ["--detector", "oracle", "--dataset", "decam"]
    _run(tmp_path / "out_A", *args, "--data-dir", str(tmp_path / "A"))
    text, after_a = _run(tmp_path / "out_B", *args, "--data-dir", str(tmp_path / "B"))
    monkeypatch.setenv("CRBENCH_CACHE", str(tmp_path / "empty_cache"))
    _, fresh = _run(tmp_path / "out_B_fresh", *args, "--data-dir", str(tmp_path / "B"))
    assert after_a["runtime"]["n_images_from_cache"] == 0
    assert "(0 from the score cache)" in text
    assert after_a["metrics"] == fresh["metrics"]
    assert after_a["metrics"]["recall"]["value"] > 0.5  # A's maps on B's truth score far lower


def test_two_detector_classes_with_one_name_and_version_do_not_share_outputs(tmp_path, isolated_cache):
    _, perfect = _run(tmp_path / "one", "--detector", f"{TWINS}:PerfectTwin", "--dataset", "tiny")
    _, blind = _run(tmp_path / "two", "--detector", f"{TWINS}:BlindTwin", "--dataset", "tiny")
    assert perfect["detector"]["params_hash"] == blind["detector"]["params_hash"]
    assert perfect["metrics"]["recall"]["value"] > 0.5
    assert blind["runtime"]["n_images_from_cache"] == 0
    assert blind["metrics"]["recall"]["value"] == 0.0


def test_editing_detect_without_a_version_bump_changes_the_cache_key(tmp_path, monkeypatch):
    source = '''
import numpy as np
from crbench.detectors import Detector

class Edited(Detector):
    name = "edited"
    version = "1"

    def detect(self, image, *, meta):
        return np.full(image.shape, VALUE, dtype=np.float32)
'''
    module_path = tmp_path / "edited_plugin.py"
    module_path.write_text(source.replace("VALUE", "0.25"))
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("edited_plugin")
    try:
        before = module.Edited.identity_hash()
        module_path.write_text(source.replace("VALUE", "0.75"))
        after = importlib.reload(module).Edited.identity_hash()
    finally:
        sys.modules.pop("edited_plugin", None)
    assert before != after


def test_fresh_ignores_the_cache(tmp_path, isolated_cache):
    args = ["--detector", "random", "--dataset", "tiny"]
    _run(tmp_path / "one", *args)
    text, cached = _run(tmp_path / "two", *args)
    assert cached["runtime"]["n_images_from_cache"] == 3 and "(3 from the score cache)" in text
    text, fresh = _run(tmp_path / "three", *args, "--fresh")
    assert fresh["runtime"]["n_images_from_cache"] == 0 and "(0 from the score cache)" in text
    assert fresh["metrics"] == cached["metrics"]


def test_record_names_the_torch_thread_count_of_the_images_it_detected(tmp_path, isolated_cache):
    torch = __import__("torch")
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _, detected = _run(tmp_path / "one", "--detector", "random", "--dataset", "tiny")
        _, cached = _run(tmp_path / "two", "--detector", "random", "--dataset", "tiny")
    finally:
        torch.set_num_threads(saved)
    assert detected["runtime"]["torch_threads"] == [1]
    assert cached["runtime"]["torch_threads"] == []  # nothing detected in this run: no thread count to claim
