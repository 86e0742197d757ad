"""crbench.allocator: freed memory is reused instead of faulted in again, and only speed changes.

The settings are process-wide and permanent, so every check runs in a child process.
"""

import json
import platform
import subprocess
import sys

import pytest

glibc_only = pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                                reason="the malloc settings apply to glibc only")

# allocate, touch and free a 96 MB block three times (through libc itself, so no numpy madvise
# or caching is involved); print the minor page faults of the last round
_FAULTS = """
import ctypes, json, resource, sys
from crbench.allocator import retain_freed_memory
applied = retain_freed_memory()
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
size = 96 * 2**20
for _ in range(3):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    block = libc.malloc(size)
    ctypes.memset(block, 1, size)
    libc.free(block)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
print(json.dumps({"applied": applied, "faults": faults}))
"""


def run_child(code, *, tuning, monkeypatch):
    monkeypatch.setenv("CRBENCH_MALLOC_TUNING", tuning)
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


@glibc_only
def test_a_freed_block_is_reused_without_page_faults(monkeypatch):
    pages = 96 * 2**20 // 4096
    plain = run_child(_FAULTS, tuning="0", monkeypatch=monkeypatch)
    # glibc's default: a 96 MB block is mmapped and unmapped, so every round faults in every page again
    assert plain["applied"] is None and plain["faults"] > pages // 2
    tuned = run_child(_FAULTS, tuning="1", monkeypatch=monkeypatch)
    assert tuned["applied"]["mmap_threshold"] >= 32 * 2**20
    assert tuned["faults"] < pages // 100


_SET_UP = """
import json
from crbench.allocator import malloc_tuning
from crbench.detectors import Detector
from crbench.detectors.plugin_checks import set_up_detector

class Classical(Detector):
    name = "classical_double"
    def detect(self, image, *, meta):
        return image

class Network(Classical):
    name = "network_double"
    requires = ("torch",)

set_up_detector(Classical(), device="cpu")
after_classical = malloc_tuning()
set_up_detector(Network(), device="cpu")
print(json.dumps({"after_classical": after_classical, "after_network": malloc_tuning()}))
"""


@glibc_only
def test_only_detectors_that_run_torch_change_the_process_settings(monkeypatch):
    result = run_child(_SET_UP, tuning="1", monkeypatch=monkeypatch)
    assert result["after_classical"] is None
    assert result["after_network"]["trim_threshold"] >= result["after_network"]["mmap_threshold"]
    # turned off: nothing is applied, whatever the detector
    assert run_child(_SET_UP, tuning="0", monkeypatch=monkeypatch)["after_network"] is None


def test_a_repeated_call_returns_the_settings_in_force(monkeypatch):
    monkeypatch.setenv("CRBENCH_MALLOC_TUNING", "1")
    code = ("import json; from crbench.allocator import retain_freed_memory as r; "
            "print(json.dumps([r(), r()]))")
    first, second = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                              check=True).stdout)
    assert first == second


_SCORES = """
import hashlib, json
import numpy as np
from crbench.datasets import SampleMeta
from crbench.detectors import get_detector_class
from crbench.detectors.plugin_checks import set_up_detector
meta = SampleMeta(instrument="decam", units="adu", gain=4.0, read_noise=7.0, saturation=4e4, sky_subtracted=True)
frame = np.random.default_rng(3).normal(0.0, 7.0, (600, 520))
frame[100:103, 50:90] += 3000.0
detector = get_detector_class("deepcr")(stamp=512)
set_up_detector(detector, device="cpu")
hashes = [hashlib.sha256(detector.detect(frame, meta=meta).tobytes()).hexdigest() for _ in range(2)]
print(json.dumps(hashes))
"""


@glibc_only
@pytest.mark.usefixtures("requires_published_weights")
def test_the_settings_leave_every_score_unchanged(monkeypatch):
    plain = run_child(_SCORES, tuning="0", monkeypatch=monkeypatch)
    tuned = run_child(_SCORES, tuning="1", monkeypatch=monkeypatch)
    assert plain[0] == plain[1] == tuned[0] == tuned[1]
