"""Detector plug-ins that misbehave on purpose, for the reliability tests of runs (issue 16).

Classes are named on the command line as ``tests.hostile_plugins:Class``
(:data:`HOSTILE`). Plug-ins whose hostility lives in their module (raising at
import, a module found only from the working directory) are written into a
test's ``tmp_path`` by :func:`write_plugin_module`.
"""

import ctypes
import os
import textwrap
import time

import numpy as np

from crbench.detectors import Detector
from crbench.detectors.sweep_params import AdaptiveSweepParams
from crbench.errors import ChecksumError

__all__ = [
    "clean_failure",
    "HOSTILE",
    "AlwaysFails",
    "EmptyName",
    "EscapingName",
    "AbstractPlugin",
    "SetupRaises",
    "ChecksumInSetup",
    "TypedParams",
    "ExitsOnTall",
    "HardExitOnTall",
    "SegfaultOnTall",
    "HangsOnTall",
    "HangsOnTallMask",
    "SegfaultInSetup",
    "RecordsPid",
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


class _OnTall(Detector):
    """Misbehaves (:meth:`misbehave`) on images taller than wide, one of the three ``tiny`` test frames; zeros else."""

    version = "1"

    def detect(self, image, *, meta):
        if image.shape[0] > image.shape[1]:
            self.misbehave()
        return np.zeros(image.shape, dtype=np.float32)

    def misbehave(self):
        raise NotImplementedError


class ExitsOnTall(_OnTall):
    """Raises ``SystemExit(3)`` (``sys.exit(3)``) on the tall image: a BaseException, not an Exception."""

    name = "exits_on_tall"

    def misbehave(self):
        raise SystemExit(3)


class HardExitOnTall(_OnTall):
    """Ends its process with ``os._exit(3)`` on the tall image (no exception, no clean-up)."""

    name = "hard_exit_on_tall"

    def misbehave(self):
        os._exit(3)


class SegfaultOnTall(_OnTall):
    """Reads address 0 on the tall image: the process dies with SIGSEGV, as a crashing C extension would."""

    name = "segfault_on_tall"

    def misbehave(self):
        import faulthandler

        faulthandler.disable()  # the parent reports the signal; no stack dump in the test output
        ctypes.string_at(0)


class HangsOnTall(_OnTall):
    """Sleeps for ``seconds`` (default an hour) on the tall image, as a detector stuck in a loop would."""

    name = "hangs_on_tall"
    default_params = {"seconds": 3600.0}

    def misbehave(self):
        time.sleep(self.params["seconds"])


class HangsOnTallMask(AdaptiveSweepParams, Detector):
    """A mask detector with a sweep (adaptive with ``sweep_refinement``) that sleeps an hour on the tall image."""

    name = "hangs_on_tall_mask"
    version = "1"
    output_kind = "mask"
    sweep_parameter = "factor"
    sweep_grid = (1.5, 3.0, 10.0)
    default_params = {"factor": 3.0}

    def detect(self, image, *, meta):
        if image.shape[0] > image.shape[1]:
            time.sleep(3600)
        return image > self.params["factor"] * np.median(image)


class SegfaultInSetup(Detector):
    """Segfaults in ``setup()``, as a broken GPU driver or weights loader would."""

    name = "segfault_in_setup"
    version = "1"

    def setup(self, *, device="cpu"):
        import faulthandler

        faulthandler.disable()
        ctypes.string_at(0)

    def detect(self, image, *, meta):
        return np.zeros(image.shape, dtype=np.float32)


class RecordsPid(Detector):
    """Well behaved; remembers the process id of every ``detect`` call in ``pids`` (in the process that ran it)."""

    name = "records_pid"
    version = "1"

    def __init__(self, **params):
        super().__init__(**params)
        self.pids = []

    def detect(self, image, *, meta):
        self.pids.append(os.getpid())
        return np.zeros(image.shape, dtype=np.float32)


#: A well-behaved plug-in module, for "run it from the folder holding it".
GOOD_PLUGIN_SOURCE = """
import numpy as np

from crbench.detectors import Detector
from crbench.detectors.sweep_params import AdaptiveSweepParams


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


def clean_failure(result):
    """Assert that a CLI command failed with a message (click's exit 1), not an escaped exception and its traceback.

    Returns the command's output.
    """
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result.output
