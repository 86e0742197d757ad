"""crbench mock-run: the contract suite from the command line."""

import numpy as np
from click.testing import CliRunner

from crbench.cli import main
from crbench.detectors.base import Detector


class ShapeBugDetector(Detector):
    """Returns a transposed map: the contract's non-square check must catch it."""

    name = "shape_bug"
    version = "1"

    def detect(self, image, *, meta):
        return np.zeros(np.shape(image)[::-1], dtype=np.float32)


class CrashingDetector(Detector):
    name = "crashing"
    version = "1"

    def detect(self, image, *, meta):
        raise RuntimeError("model exploded")


def test_mock_run_passes_a_good_detector():
    result = CliRunner().invoke(main, ["mock-run", "random", "--detector-args", "seed=3"])
    assert result.exit_code == 0, result.output
    assert "all 8 contract checks passed" in result.output
    for check in ("metadata", "output", "no_mutation", "determinism", "nan_input", "tiny_image", "non_square"):
        assert f"  {check}" in result.output


def test_mock_run_runs_a_real_adapter_quickly():
    result = CliRunner().invoke(main, ["mock-run", "astroscrappy"])
    assert result.exit_code == 0, result.output
    assert "sweep" in result.output


def test_mock_run_reports_the_failing_check():
    result = CliRunner().invoke(main, ["mock-run", f"{__name__}:ShapeBugDetector"])
    assert result.exit_code == 1
    assert "FAIL" in result.output
    assert "contract check 'output' failed" in result.output
    assert "differs from image shape" in result.output


def test_mock_run_reports_crashes_and_unknown_names():
    result = CliRunner().invoke(main, ["mock-run", f"{__name__}:CrashingDetector"])
    assert result.exit_code == 1 and "RuntimeError: model exploded" in result.output
    result = CliRunner().invoke(main, ["mock-run", "astroscrapy"])
    assert result.exit_code == 1 and "Did you mean 'astroscrappy'" in result.output
