"""CI installs Chromium before the tests and runs the regression check after them."""

from pathlib import Path

CI = (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text().splitlines()


def _line_index(fragment):
    return next(index for index, line in enumerate(CI) if fragment in line and not line.lstrip().startswith("#"))


def test_chromium_is_installed_before_the_test_command():
    install = _line_index("apt-get install -y --no-install-recommends chromium")
    assert _line_index("apt-get update") < install < _line_index("python -m pytest")
    assert "DEBIAN_FRONTEND=noninteractive" in CI[install]


def test_regression_check_runs_after_the_tests():
    assert _line_index("python -m pytest") < _line_index("crbench check --baseline leaderboard/baseline.json --rerun")
