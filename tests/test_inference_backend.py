"""The inference engine choice and the ONNX Runtime network (crbench.inference_backend)."""

import importlib.util

import click
import numpy as np
import pytest
from click.testing import CliRunner

from crbench import inference_backend
from crbench.commands.options import backend_option
from crbench.errors import DetectorFailedError, InputError, MissingDependencyError
from crbench.inference_backend import BACKEND_ENV, MAX_ABS_DIFFERENCE, OnnxRuntimeNetwork, selected_backend, set_backend
from tests.conftest import onnx_engine

torch = pytest.importorskip("torch")
pytestmark = onnx_engine


@pytest.fixture
def no_backend(monkeypatch):
    monkeypatch.delenv(BACKEND_ENV, raising=False)


def small_network():
    """Conv-BatchNorm-ReLU, a pooling level and a sigmoid: the layer kinds of crbench's U-Nets, seeded."""
    torch.manual_seed(0)
    network = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 4, 3, padding=1), torch.nn.Upsample(scale_factor=2), torch.nn.Conv2d(4, 1, 1),
        torch.nn.Sigmoid(),
    )
    with torch.no_grad():
        network[1].running_mean.uniform_(-1, 1)
        network[1].running_var.uniform_(0.5, 2)
    return network.eval()


def eager(network):
    def run(stamps):
        with torch.inference_mode():
            return network(torch.from_numpy(np.ascontiguousarray(stamps, dtype=np.float32))).numpy()

    return run


def test_torch_is_the_default_and_names_are_checked(no_backend, monkeypatch):
    assert selected_backend() == "torch"
    monkeypatch.setenv(BACKEND_ENV, "tensorrt")
    with pytest.raises(InputError, match="unknown inference backend 'tensorrt'"):
        selected_backend()
    with pytest.raises(InputError, match="choose one of torch, onnxruntime"):
        set_backend("tvm")


def test_set_backend_is_inherited_through_the_environment(no_backend, monkeypatch):
    monkeypatch.setenv(BACKEND_ENV, "torch")  # monkeypatch restores the variable after the test
    assert set_backend(" ONNXRuntime ") == "onnxruntime"
    assert selected_backend() == "onnxruntime"


def test_a_missing_runtime_is_reported_before_anything_runs(no_backend, monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "onnxruntime" else real_find_spec(name, *a))
    with pytest.raises(MissingDependencyError, match=r"needs onnxruntime: pip install \"crbench\[onnx\]\""):
        set_backend("onnxruntime")
    assert selected_backend() == "torch"


def test_the_exported_network_agrees_with_eager_on_any_batch_and_shape(tmp_path):
    network = small_network()
    engine = OnnxRuntimeNetwork(network, key="small", multiple=2, reference=eager(network), check_side=64,
                                cache_dir=tmp_path)
    assert engine.max_abs_difference <= MAX_ABS_DIFFERENCE
    rng = np.random.default_rng(1)
    for shape in [(1, 1, 32, 32), (3, 1, 48, 80), (2, 1, 128, 64)]:
        stamps = rng.normal(0.0, 30.0, shape).astype(np.float32)
        np.testing.assert_allclose(engine(stamps), eager(network)(stamps), rtol=0, atol=MAX_ABS_DIFFERENCE)
    assert engine.path.parent == tmp_path and engine.path.suffix == ".onnx"


def test_the_export_is_cached_and_a_damaged_file_is_exported_again(tmp_path, monkeypatch):
    network = small_network()
    options = dict(key="small", multiple=2, reference=eager(network), check_side=32, cache_dir=tmp_path)
    first = OnnxRuntimeNetwork(network, **options)
    exports = []
    real_export = inference_backend._export
    monkeypatch.setattr(inference_backend, "_export", lambda *a, **k: exports.append(1) or real_export(*a, **k))
    OnnxRuntimeNetwork(network, **options)
    assert exports == []  # loaded from the cache
    first.path.write_bytes(b"not an onnx model")
    again = OnnxRuntimeNetwork(network, **options)
    assert exports == [1] and again.path.read_bytes() != b"not an onnx model"
    # another key (other weights) never shares the file
    assert OnnxRuntimeNetwork(network, **{**options, "key": "other"}).path != first.path


def test_a_cached_export_that_no_longer_agrees_is_exported_again(tmp_path, monkeypatch):
    network = small_network()
    options = dict(key="small", multiple=2, reference=eager(network), check_side=32, cache_dir=tmp_path)
    first = OnnxRuntimeNetwork(network, **options)
    # a file exported from other weights under this name (as after an edit the key did not see)
    other = small_network()
    with torch.no_grad():
        other[0].weight.mul_(1.5)
    first.path.write_bytes(inference_backend._export(other, multiple=2))
    exports = []
    real_export = inference_backend._export
    monkeypatch.setattr(inference_backend, "_export", lambda *a, **k: exports.append(1) or real_export(*a, **k))
    again = OnnxRuntimeNetwork(network, **options)
    assert exports == [1] and again.max_abs_difference <= MAX_ABS_DIFFERENCE


def test_an_export_that_disagrees_with_eager_is_refused(tmp_path):
    network = small_network()

    def shifted(stamps):
        return eager(network)(stamps) + 3 * MAX_ABS_DIFFERENCE

    with pytest.raises(DetectorFailedError, match=r"differs from eager PyTorch by 3e-05 \(> 1e-05\)"):
        OnnxRuntimeNetwork(network, key="small", multiple=2, reference=shifted, check_side=32, cache_dir=tmp_path)


def test_the_model_keeps_its_memory_format(tmp_path):
    network = small_network().to(memory_format=torch.channels_last)
    OnnxRuntimeNetwork(network, key="small", multiple=2, reference=eager(network), check_side=32, cache_dir=tmp_path)
    assert network[0].weight.is_contiguous(memory_format=torch.channels_last)


def test_check_stamp_is_seeded_and_holds_bright_sources():
    stamp = inference_backend.check_stamp_image(96)
    assert stamp.dtype == np.float32 and stamp.shape == (96, 96)
    np.testing.assert_array_equal(stamp, inference_backend.check_stamp_image(96))
    assert stamp.max() > 500 and abs(float(np.median(stamp))) < 2


def test_backend_option_selects_the_engine_or_is_a_usage_error(no_backend, monkeypatch):
    monkeypatch.setenv(BACKEND_ENV, "torch")

    @click.command()
    @backend_option()
    def show():
        click.echo(selected_backend())

    assert CliRunner().invoke(show, []).output.strip() == "torch"
    assert CliRunner().invoke(show, ["--backend", "onnxruntime"]).output.strip() == "onnxruntime"
    result = CliRunner().invoke(show, ["--backend", "tvm"])
    assert result.exit_code == 2 and "'tvm' is not one of 'torch', 'onnxruntime'" in result.output
