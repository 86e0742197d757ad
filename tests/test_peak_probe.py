"""The machine-peak probe: its rates and its per-fingerprint JSON cache."""

import json

import pytest

torch = pytest.importorskip("torch")

from crbench import peak_probe  # noqa: E402


def test_probe_measures_both_kernels(monkeypatch):
    # small shapes: the test checks the arithmetic and the fields, not this machine's speed
    monkeypatch.setattr(peak_probe, "_MATMUL_SIDE", 64)
    monkeypatch.setattr(peak_probe, "_CONV_SHAPE", (1, 4, 16, 16))
    monkeypatch.setattr(peak_probe, "_MIN_BATCH_SECONDS", 0.001)
    result = peak_probe.measure_peak()
    assert result["matmul_gflops"] > 0 and result["conv_gflops"] > 0
    assert result["peak_gflops"] == max(result["matmul_gflops"], result["conv_gflops"])
    assert result["threads"] == torch.get_num_threads()
    assert result["matmul_side"] == 64 and result["conv_shape"] == [1, 4, 16, 16]


@pytest.fixture
def counted_probe(monkeypatch):
    calls = []

    def fake_measure():
        calls.append(1)
        return {"matmul_gflops": 10.0 * len(calls), "conv_gflops": 5.0, "peak_gflops": 10.0 * len(calls)}

    monkeypatch.setattr(peak_probe, "measure_peak", fake_measure)
    return calls


def test_peak_is_measured_once_per_fingerprint(counted_probe, tmp_path, monkeypatch):
    monkeypatch.setenv("CRBENCH_CACHE", str(tmp_path))
    first = peak_probe.machine_peak()
    assert not first["cached"] and first["peak_gflops"] == 10.0
    path = peak_probe.peak_cache_path(peak_probe.machine_fingerprint())
    assert path.parent == tmp_path / "machine_peak"
    assert json.loads(path.read_text())["fingerprint"] == first["fingerprint"]
    again = peak_probe.machine_peak()
    assert again["cached"] and again["peak_gflops"] == 10.0 and len(counted_probe) == 1
    refreshed = peak_probe.machine_peak(refresh=True)
    assert not refreshed["cached"] and refreshed["peak_gflops"] == 20.0
    assert peak_probe.machine_peak()["peak_gflops"] == 20.0 and len(counted_probe) == 2


def test_another_thread_count_is_another_machine(counted_probe, tmp_path, monkeypatch):
    monkeypatch.setenv("CRBENCH_CACHE", str(tmp_path))
    threads = torch.get_num_threads()
    peak_probe.machine_peak()
    assert peak_probe.machine_fingerprint(threads=threads + 1) != peak_probe.machine_fingerprint()
    assert (peak_probe.peak_cache_path(peak_probe.machine_fingerprint(threads=threads + 1))
            != peak_probe.peak_cache_path(peak_probe.machine_fingerprint()))
    try:
        torch.set_num_threads(threads + 1)
        assert not peak_probe.machine_peak()["cached"]
    finally:
        torch.set_num_threads(threads)
    assert peak_probe.machine_peak()["cached"] and len(counted_probe) == 2


@pytest.mark.parametrize("content", ["{not json", json.dumps({"peak_gflops": 5.0}), json.dumps([1, 2])])
def test_damaged_or_foreign_cache_files_are_measured_again(counted_probe, tmp_path, monkeypatch, content):
    monkeypatch.setenv("CRBENCH_CACHE", str(tmp_path))
    path = peak_probe.peak_cache_path(peak_probe.machine_fingerprint())
    path.parent.mkdir(parents=True)
    path.write_text(content)
    assert not peak_probe.machine_peak()["cached"] and len(counted_probe) == 1
    assert peak_probe.machine_peak()["cached"]
