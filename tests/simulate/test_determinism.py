"""Simulated samples are byte-identical whatever SIMD and thread count the machine uses (issue 12).

numpy chooses its SIMD loops at import time; ``NPY_DISABLE_CPU_FEATURES``
makes a fresh interpreter take the loops of a CPU without those features,
so an AVX-512 machine can check the bytes an AVX2-only machine (AMD Zen 3)
produces. The samples below are the four ``sim_decam`` test images whose
bytes depended on AVX-512 before :mod:`crbench.simulate.libm`, one frame
with a satellite trail (per-pixel ``exp``) and one LCO frame.
"""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import crbench
from crbench.simulate import libm

# sample_sha256 of sim_decam version 2 and sim_lco_1m version 1 (small test split), which later versions
# must keep generating byte for byte. The four z/i DECam images had other bytes under AVX-512 dispatch before
# crbench.simulate.libm (sim_decam version 1).
PINNED = {
    "sim_decam@2/test-z-00039": "32141536c3e0ded0ba37d95062efae6e9f3fd78661be25d85c7b95ad26b3ef7a",
    "sim_decam@2/test-z-00107": "59561b4ed1811d8f8a86efcadec5b9c0f9ab8ebd6527eb2eb6d3846e4abd8e89",
    "sim_decam@2/test-i-00114": "6e75a412083e21fd28bd24eb1a7d11b89e8733ef55cdf5c85afe455ab4c9ab19",
    "sim_decam@2/test-i-00122": "0bccc53977db3ae8f58bbebaa671a05c6b0427636d4ea64f7b40e918aa1d5d51",
    "sim_decam@2/test-g-00000": "dffad4c4e97a26b75a5aa77ece43dfd590eb049228065cd7fd9fc4dae5e9ccce",
    "sim_lco_1m@1/test-00003": "a0f0965fb9545914526b8aa6f79f9d99e8cede56686303f7b1e56d6352f99589",
    # the version-2 simulator (issue 13): Landau CR physics, pipeline masks (the LCO frame's source mask comes
    # from SEP on a simulated median frame), saturation after read noise; a crowded stress patch with bleeding
    "sim_decam@3/test-z-00039": "dc64525f23787ae72863612c85cbe9d3e4ece0e68f8bc61d0ebcc2de506a22ac",
    "sim_decam@3/test-g-00000": "9f2c0817004e881740299c9cd467066fc2e03565fb1bf83b9a48803efa8d134b",
    # computed before the cr_source choice existed (commit b4b0d61): the physics source keeps its bytes
    "sim_decam@3/test-r-00001": "ad83d54c71aa90477ebe672088ce78d13fd1a33b4ea3acbce99e1959740bb70c",
    "sim_lco_1m@2/test-00003": "e868dfcb90a1c5caf56ea62767f6c26ef520fcbc23055993ba71b9d8ab212385",
    "sim_decam_crowded@1/test-i-00002": "832dc719e9516e8eccceb1e771dea08deca8a880c3e555a4f93bf0904c0d3c6b",
}

_CHILD = """
import json, sys
from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
from crbench.datasets import get_dataset_class, sample_sha256
hashes = {}
for spec, sample_id in json.loads(sys.argv[1]):
    name, _, version = spec.partition("@")
    dataset = get_dataset_class(name)(size="small", version=version or None)
    hashes[spec + "/" + sample_id] = sample_sha256(dataset.generate("test", sample_id))
active = [target for target in __cpu_dispatch__ if __cpu_features__.get(target)]
print(json.dumps({"hashes": hashes, "active_dispatch": active}))
"""


def _active_dispatch_targets():
    """numpy's SIMD dispatch targets above the baseline that this CPU runs."""
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    return [target for target in __cpu_dispatch__ if __cpu_features__.get(target)]


def _generate_in_subprocess(samples, **environment):
    env = {key: value for key, value in os.environ.items() if key != "NPY_DISABLE_CPU_FEATURES"}
    repo_root = str(Path(crbench.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [repo_root, env.get("PYTHONPATH")]))
    env.update(environment)
    completed = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(samples)], env=env, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_libm_matches_the_c_library_for_scalars_and_arrays():
    values = np.array([[0.10884024507864713, -2.5], [3.0, 1e-3]])
    assert libm.exp(0.10884024507864713) == math.exp(0.10884024507864713)
    assert isinstance(libm.log10(np.float64(90.0)), float)
    out = libm.exp(values)
    assert out.shape == values.shape and out.dtype == np.float64
    assert out.tolist() == [[math.exp(v) for v in row] for row in values.tolist()]
    assert libm.power(10.0, values[0]).tolist() == [math.pow(10.0, v) for v in values[0].tolist()]
    assert libm.power(np.array([0.5, 0.25]), 0.25).tolist() == [0.5**0.25, 0.25**0.25]
    assert libm.arccos(np.array([1.0, 0.0])).tolist() == [0.0, math.pi / 2]
    assert libm.log(np.array([])).shape == (0,)


def test_landau_draws_follow_scipys_landau_through_the_c_library():
    from scipy import integrate, stats

    from crbench.simulate.cosmics import _standard_landau

    draws = _standard_landau(100_000, rng=np.random.default_rng(7))
    # phi(lambda) of the PDG is scipy's standard Landau x at lambda = pi/2 x + ln(pi/2)
    x = (draws - math.log(math.pi / 2)) / (math.pi / 2)
    assert stats.kstest(x, stats.landau.cdf).statistic < 0.006
    # ... checked on the PDG's integral phi(lambda) = 1/pi int exp(-t ln t - lambda t) sin(pi t) dt
    for lam in (-1.0, 0.0, 1.0, 3.0):
        phi = integrate.quad(lambda t, lam=lam: math.exp(-t * math.log(t) - lam * t) * math.sin(math.pi * t),
                             0, 60, limit=400)[0] / math.pi
        scaled = stats.landau.pdf((lam - math.log(math.pi / 2)) / (math.pi / 2)) / (math.pi / 2)
        assert scaled == pytest.approx(phi, rel=1e-3)
    # the same generator state gives the same bits: the transcendental functions are libm's
    again = _standard_landau(100_000, rng=np.random.default_rng(7))
    assert again.tobytes() == draws.tobytes()


# test-g-00000 and the sim_lco_1m frame (1024^2, electrons) have a satellite trail: per-pixel exp
SAMPLES = [key.split("/") for key in PINNED]


def test_samples_are_byte_identical_across_simd_dispatch_and_threads():
    targets = _active_dispatch_targets()
    if not targets:
        pytest.skip("numpy runs only its baseline loops on this CPU: there is no other dispatch path to compare")
    samples = list(SAMPLES)
    if os.environ.get("CRBENCH_REFERENCE_DIR"):
        # a patch with two real ITL footprints (compared between the runs, not pinned)
        samples.append(["sim_decam_itlcr@1", "test-g-00004"])
    runs = {
        "default dispatch, 2 threads": _generate_in_subprocess(samples, OMP_NUM_THREADS="2"),
        "no dispatch above baseline, 1 thread": _generate_in_subprocess(
            samples, NPY_DISABLE_CPU_FEATURES=" ".join(targets), OMP_NUM_THREADS="1"
        ),
    }
    if any(target.startswith(("AVX512", "X86_V4")) for target in targets):
        # the case: an AVX2-only CPU (AMD Zen 3) next to an AVX-512 Xeon
        avx512 = [target for target in targets if target.startswith(("AVX512", "X86_V4"))]
        runs["AVX2 dispatch (AVX-512 off), 1 thread"] = _generate_in_subprocess(
            samples, NPY_DISABLE_CPU_FEATURES=" ".join(avx512), OMP_NUM_THREADS="1"
        )
    # the environment variable really took the loops away in the child processes
    assert runs["no dispatch above baseline, 1 thread"]["active_dispatch"] == []
    if "AVX2 dispatch (AVX-512 off), 1 thread" in runs:
        still_active = runs["AVX2 dispatch (AVX-512 off), 1 thread"]["active_dispatch"]
        assert not any(target.startswith(("AVX512", "X86_V4")) for target in still_active)
    reference = runs["default dispatch, 2 threads"]["hashes"]
    for label, run in runs.items():
        assert run["hashes"] == reference, label
    assert {key: reference[key] for key in PINNED} == PINNED
