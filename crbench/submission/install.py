"""Install a submission's detector in a fresh virtual environment and run crbench inside it.

The environment is made with ``python -m venv --system-site-packages
--without-pip`` (crbench, numpy and the rest come from this interpreter's
site-packages, pip too) and the adapter is installed with ``pip install
--no-deps``: what is tested is that the stated requirement installs and
provides the detector, not that its dependencies resolve.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

__all__ = ["FreshEnvironment", "INSTALL_TIMEOUT"]

#: Seconds each step in the environment may take.
INSTALL_TIMEOUT = 900


class FreshEnvironment:
    """A new virtual environment in ``folder`` (created on construction)."""

    def __init__(self, folder):
        self.folder = Path(folder)
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(self.folder)],
                       check=True, capture_output=True, timeout=INSTALL_TIMEOUT)
        self.python = self.folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")

    def run(self, *args):
        """Run ``python ARGS`` in the environment; return ``(ok, combined output)``."""
        try:
            done = subprocess.run([str(self.python), *map(str, args)], capture_output=True, text=True,
                                  timeout=INSTALL_TIMEOUT)
        except subprocess.TimeoutExpired as error:
            return False, f"timed out after {error.timeout} s"
        return done.returncode == 0, (done.stdout + done.stderr).strip()

    def install(self, requirement, *, offline):
        """``pip install --no-deps REQUIREMENT`` (``--no-index`` when ``offline``)."""
        return self.run("-m", "pip", "install", "--no-deps", "--disable-pip-version-check",
                        *(("--no-index",) if offline else ()), requirement)

    def crbench(self, *args):
        """Run the crbench command line of the environment."""
        return self.run("-c", "from crbench.cli import main; main()", *args)

    def distribution_version(self, package):
        """Version of ``package`` installed in the environment, or None."""
        ok, text = self.run("-c", "import importlib.metadata, sys; print(importlib.metadata.version(sys.argv[1]))",
                            package)
        return text.splitlines()[-1].strip() if ok and text else None

    def rerun(self, bundle, n_images, *, seed, tolerance):
        """:mod:`crbench.submission.rerun` inside the environment; ``(checked, problems)`` or raise RuntimeError."""
        ok, text = self.run("-m", "crbench.submission.rerun", Path(bundle).resolve(), n_images, seed, tolerance)
        answers = [line for line in text.splitlines() if line.startswith('{"checked"')]
        if not ok or not answers:
            raise RuntimeError(f"the re-run failed in the fresh environment: {text[-2000:]}")
        answer = json.loads(answers[-1])
        return answer["checked"], answer["problems"]
