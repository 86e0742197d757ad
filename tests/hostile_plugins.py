"""Detector plug-ins that misbehave on purpose, for the reliability tests of runs (issue 16).

Classes are named on the command line as ``tests.hostile_plugins:Class``
(:data:`HOSTILE`). Plug-ins whose hostility lives in their module (raising at
import, a module found only from the working directory) are written into a
test's ``tmp_path`` by :func:`write_plugin_module`.
"""

import textwrap

import numpy as np

from crbench.detectors import Detector
from crbench.errors import ChecksumError

__all__ = [
    "HOSTILE",
    "AlwaysFails",
    "EmptyName",
    "EscapingName",
    "AbstractPlugin",
    "SetupRaises",
    "ChecksumInSetup",
    "TypedParams",
    "GOOD_PLUGIN_SOURCE",
    "write_plugin_module",
]

#: Import path of this module, as ``--detector`` takes it.
HOSTILE = "tests.hostile_plugins"


class AlwaysFails(Detector):
    """Raises on every image."""

    name = "always_fails"
    version = "1"

    def detect(self, image, *, meta):
        raise RuntimeError("always fails")


class EmptyName(Detector):
    """Declares the empty name (its records would be named ``run__...____hash.json``)."""

    name = ""
    version = "1"

    def detect(self, image, *, meta):
        return np.zeros(image.shape, dtype=np.float32)


class EscapingName(Detector):
    """Declares a name that walks out of the results folder."""

    name = "../escaped"
    version = "1"

    def detect(self, image, *, meta):
        return np.zeros(image.shape, dtype=np.float32)


class AbstractPlugin(Detector):
    """Forgets to implement ``detect``."""

    name = "abstract_plugin"
    version = "1"


class SetupRaises(Detector):
    """``setup()`` raises a plain exception, as a plug-in with a missing weights file would."""

    name = "setup_raises"
    version = "1"

    def setup(self, *, device="cpu"):
        raise RuntimeError("weights file model.pth not found")

    def detect(self, image, *, meta):
        return np.zeros(image.shape, dtype=np.float32)


class ChecksumInSetup(Detector):
    """``setup()`` raises crbench's own weights checksum error."""

    name = "checksum_in_setup"
    version = "1"

    def setup(self, *, device="cpu"):
        raise ChecksumError("weights /tmp/model.pth: sha256 0123abcd... does not match the recorded 4567ef01...; "
                            "delete the file and re-download")

    def detect(self, image, *, meta):
        return np.zeros(image.shape, dtype=np.float32)


class TypedParams(Detector):
    """Declares one parameter of every type the checks know."""

    name = "typed_params"
    version = "1"
    default_params = {"factor": 1.5, "count": 2, "mode": "fast", "flag": True, "anything": None}

    def detect(self, image, *, meta):
        return np.zeros(image.shape, dtype=np.float32)


#: A well-behaved plug-in module, for "run it from the folder holding it".
GOOD_PLUGIN_SOURCE = """
import numpy as np

from crbench.detectors import Detector


class MyDet(Detector):
    name = "my_det"
    version = "1"

    def detect(self, image, *, meta):
        return np.zeros(image.shape, dtype=np.float32)
"""


def write_plugin_module(folder, module_name, source=GOOD_PLUGIN_SOURCE):
    """Write ``folder/<module_name>.py`` holding ``source``; return its path."""
    path = folder / f"{module_name}.py"
    path.write_text(textwrap.dedent(source))
    return path
