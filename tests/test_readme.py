"""The README quick start: CI runs its test command, and its ``crbench detect`` line works as written."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

from astropy.io import fits
from click.testing import CliRunner

from crbench.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _quick_start_commands():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_quick_start_has_two_install_commands_and_one_detect_line():
    commands = _quick_start_commands()
    assert len(commands) == 3, commands
    assert all(command.startswith("pip install torch==2.13.0") for command in commands[:2])
    assert " && crbench detect " in commands[2]


def test_quick_start_detect_line_runs_offline(tmp_path, monkeypatch):
    make_file, detect = _quick_start_commands()[2].split(" && ")
    # the line's own python one-liner, with this interpreter, in an empty folder
    argv = shlex.split(make_file)
    assert argv[0] == "python"
    subprocess.run([sys.executable, *argv[1:]], cwd=tmp_path, check=True)
    monkeypatch.chdir(tmp_path)
    argv = shlex.split(detect)
    assert argv[0] == "crbench"
    result = CliRunner().invoke(main, [*argv[1:], "--device", "cpu", "--quiet"])
    assert result.exit_code == 0, result.output
    with fits.open(tmp_path / "frame_crbench.fits") as written:
        assert [hdu.name for hdu in written] == ["PRIMARY", "CRPROB", "CRMASK"]
        assert written["CRMASK"].data.any()


def test_ci_runs_the_readme_test_command():
    test_command = _quick_start_commands()[1]
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines
