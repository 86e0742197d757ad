"""Device selection: auto picks CUDA only when PyTorch sees it; cuda without a GPU is an error."""

import pytest

import crbench.device as device_module
from crbench.device import check_device, device_label, device_name, mixes_cpu_and_gpu, resolve_device
from crbench.errors import InputError


@pytest.fixture
def with_cuda(monkeypatch):
    monkeypatch.setattr(device_module, "cuda_available", lambda: True)


@pytest.fixture
def without_cuda(monkeypatch):
    monkeypatch.setattr(device_module, "cuda_available", lambda: False)


def test_auto_picks_cuda_when_present(with_cuda):
    assert resolve_device("auto") == "cuda"
    assert resolve_device("cuda") == "cuda"
    assert resolve_device("cuda:1") == "cuda:1"
    assert resolve_device("CPU") == "cpu"


def test_auto_falls_back_to_cpu(without_cuda):
    assert resolve_device("auto") == "cpu"
    assert resolve_device("cpu") == "cpu"


def test_cuda_without_gpu_is_an_error_naming_the_fix(without_cuda):
    with pytest.raises(InputError, match="--device auto"):
        resolve_device("cuda")


@pytest.mark.parametrize("bad", ["gpu", "cpu:0", "tpu", ""])
def test_unknown_devices_are_refused(bad):
    with pytest.raises(InputError, match="unknown device"):
        resolve_device(bad)


def test_cuda_available_follows_torch(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu"


def test_cpu_device_name_is_the_cpu_model():
    name = device_name("cpu")
    assert isinstance(name, str) and name


def test_gpu_device_name_comes_from_torch(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index: f"Fake GPU {index}")
    assert device_name("cuda") == "Fake GPU 0"
    assert device_name("cuda:3") == "Fake GPU 3"


def test_deepcr_adapter_asks_upstream_for_the_gpu(monkeypatch):
    import deepCR

    from crbench.detectors.deepcr_adapter import DeepCRPretrained

    requested = {}

    class FakeDeepCR:
        def __init__(self, *, mask, device):
            requested.update(mask=mask, device=device)

    monkeypatch.setattr(deepCR, "deepCR", FakeDeepCR)
    DeepCRPretrained().setup(device="cuda")
    assert requested == {"mask": "decam", "device": "GPU"}
    DeepCRPretrained(model="ACS-WFC").setup(device="cpu")
    assert requested == {"mask": "ACS-WFC", "device": "CPU"}


def test_cosmic_conn_adapter_moves_the_network_to_the_device(monkeypatch):
    import cosmic_conn

    from crbench.detectors.cosmic_conn_adapter import CosmicCoNNPretrained

    moved = []

    class FakeNetwork:
        def to(self, device):
            moved.append(str(device))
            return self

    class FakeModel:
        network = FakeNetwork()

        def eval(self):
            return self

    monkeypatch.setattr(cosmic_conn, "init_model", lambda name: FakeModel())
    detector = CosmicCoNNPretrained()
    detector.setup(device="cuda")
    assert moved == ["cuda"]
    assert str(detector.model.device) == "cuda"
    assert detector.device == "cuda"


@pytest.mark.parametrize("name, expected", [("auto", "auto"), (" CPU ", "cpu"), ("cuda", "cuda"), ("CUDA:1", "cuda:1")])
def test_check_device_normalises_without_looking_for_hardware(name, expected, without_cuda):
    assert check_device(name) == expected  # "cuda" passes the check even without a GPU: workers resolve it


@pytest.mark.parametrize("bad", ["gpu", "cpu:0", "cuda:", "cuda:x", "auto:1"])
def test_check_device_refuses_unknown_names(bad):
    with pytest.raises(InputError, match="unknown device"):
        check_device(bad)


def test_device_label_names_the_gpu_index(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "current_device", lambda: 2)
    assert device_label("cuda") == "cuda:2"
    assert device_label("cuda:1") == "cuda:1"
    assert device_label("cpu") == "cpu"


def test_mixed_means_cpu_and_gpu_together():
    assert mixes_cpu_and_gpu(["cpu", "cuda:0"]) and mixes_cpu_and_gpu(["cuda", "cpu"])
    assert not mixes_cpu_and_gpu(["cuda:0", "cuda:1"]) and not mixes_cpu_and_gpu(["cpu"])
    assert not mixes_cpu_and_gpu([])
