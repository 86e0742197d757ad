"""The four DECam UNet-3-32 detectors: metadata, input conversion, tiling."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import ndimage

from crbench.datasets import SampleMeta
from crbench.detectors import get_detector_class
from crbench.errors import InputError
from crbench.inference_backend import BACKEND_ENV, MAX_ABS_DIFFERENCE, set_backend
from crbench.inputs import subtract_sky
from crbench.models import build_model, save_checkpoint
from crbench.tiling import predict_tiled, predict_tiled_batched
from tests.conftest import onnx_engine

SHARED_WEIGHTS = Path(__file__).resolve().parents[2].parent / "shared" / "weights" / "attention_decam_2022"
NAMES = ("deepcr", "att_deepcr", "cosmic_conn", "att_cosmic_conn")
META = SampleMeta(instrument="decam", units="adu", gain=4.0, read_noise=7.0, saturation=40000.0, sky_subtracted=True)


@pytest.fixture
def published(monkeypatch):
    if not SHARED_WEIGHTS.is_dir():
        pytest.skip(f"published DECam weights not found at {SHARED_WEIGHTS} (shared/ beside the repository)")
    monkeypatch.setenv("CRBENCH_WEIGHTS_DIR", str(SHARED_WEIGHTS))


def make_frame(shape, *, seed):
    """Sky-subtracted noise in ADU (sigma 8, as a 90 s DECam exposure) with short cosmic-ray tracks."""
    rng = np.random.default_rng(seed)
    image = rng.normal(0.0, 8.0, shape)
    for _ in range(shape[0] * shape[1] // 800):
        y, x = int(rng.integers(2, shape[0] - 6)), int(rng.integers(2, shape[1] - 6))
        length = int(rng.integers(2, 5))
        if rng.integers(0, 2):
            image[y, x : x + length] += rng.uniform(300, 3000)
        else:
            image[y : y + length, x] += rng.uniform(300, 3000)
    return image.astype(np.float32)


@pytest.mark.parametrize("name", NAMES)
def test_registered_with_metadata(name):
    cls = get_detector_class(name)
    detector = cls()
    assert detector.name == name
    assert detector.output_kind == "score" and detector.dilate_output is False
    assert detector.input_units == "adu"
    stamp = 384 if name in ("deepcr", "att_deepcr") else 256  # BatchNorm models: larger stamps, same output
    assert detector.params == {"threshold": 0.5, "weights": None, "stamp": stamp, "margin": 24, "batch_size": 1}
    assert detector.training_datasets == ("decam",)
    assert "Bhavanam" in detector.citation


def test_command_line_strings_are_accepted():
    assert get_detector_class("deepcr")(stamp="512", margin="16").params["stamp"] == 512


def test_stamp_changes_params_hash():
    cls = get_detector_class("att_cosmic_conn")
    assert cls(stamp=512).params_hash != cls().params_hash


@pytest.mark.parametrize(
    "params", [{"stamp": 250}, {"stamp": 64, "margin": 32}, {"margin": -1}, {"batch_size": 0}, {"stamp": "big"}]
)
def test_bad_stamp_parameters(params):
    with pytest.raises(InputError):
        get_detector_class("deepcr")(**params)


def test_subtract_sky():
    image = np.full((8, 8), 105.0, dtype=np.float32)
    meta = dataclasses.replace(META, sky_subtracted=False, sky_level=100.0)
    np.testing.assert_allclose(subtract_sky(image, meta=meta), 5.0)
    np.testing.assert_allclose(subtract_sky(image, meta=META), 105.0)
    noisy = np.random.default_rng(0).normal(50.0, 2.0, (64, 64)).astype(np.float32)
    estimated = subtract_sky(noisy, meta=dataclasses.replace(META, sky_subtracted=False, sky_level=None))
    assert abs(float(np.median(estimated))) < 0.2


@pytest.mark.parametrize("name", NAMES)
def test_detect_published(name, published):
    detector = get_detector_class(name)()
    detector.setup(device="cpu")
    image = make_frame((100, 132), seed=3)  # not a multiple of 4: padded internally
    scores = detector.detect(image, meta=META)
    assert scores.shape == image.shape and scores.dtype == np.float32
    assert 0.0 <= float(scores.min()) and float(scores.max()) <= 1.0
    hot = image > 200
    far = ~ndimage.binary_dilation(hot, structure=np.ones((5, 5), bool))
    # the published models find most injected tracks and flag almost nothing away from them
    assert float((scores[hot] > 0.5).mean()) > 0.5
    assert float((scores[far] > 0.5).mean()) < 0.002
    info = detector.info()
    assert len(info["weights_sha256"]) == 64 and info["params"]["stamp"] == (384 if "deepcr" in name else 256)


def test_sky_handling_is_equivalent(published):
    detector = get_detector_class("cosmic_conn")()
    detector.setup()
    image = make_frame((64, 64), seed=5)
    with_sky = detector.detect(image + 250.0, meta=dataclasses.replace(META, sky_subtracted=False, sky_level=250.0))
    np.testing.assert_allclose(with_sky, detector.detect(image, meta=META), atol=1e-5)


def test_wrong_units_are_refused(published):
    detector = get_detector_class("deepcr")()
    detector.setup()
    with pytest.raises(InputError, match="adu"):
        detector.detect(np.zeros((16, 16), np.float32), meta=dataclasses.replace(META, units="electron"))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["deepcr", "att_deepcr"])
def test_tiled_equals_whole_frame_for_batchnorm(name, published):
    # 800 px: the default 384-px stamps tile it 3 x 3 with seams on both axes; 256-px stamps (the former default) 4 x 4
    image = make_frame((800, 800), seed=11)
    whole = get_detector_class(name)(stamp=800)
    whole.setup()
    reference = whole.detect(image, meta=META)
    for stamp in (None, 256):
        tiled = get_detector_class(name)(**({} if stamp is None else {"stamp": stamp}))
        tiled.setup()
        assert float(np.abs(tiled.detect(image, meta=META) - reference).max()) <= 1e-5


@pytest.mark.parametrize("name", ["deepcr", "att_deepcr"])
def test_batchnorm_models_use_larger_stamps(name):
    from crbench.detectors.decam_unets import BATCHNORM_STAMP

    assert get_detector_class(name)().params["stamp"] == BATCHNORM_STAMP == 384
    assert get_detector_class("att_cosmic_conn")().params["stamp"] == 256  # GroupNorm: the trained stamp


def test_groupnorm_output_depends_on_stamp(published):
    # documented behaviour: GroupNorm statistics are per stamp, so the stamp size matters
    image = make_frame((256, 256), seed=13)
    small = get_detector_class("att_cosmic_conn")(stamp=128)
    large = get_detector_class("att_cosmic_conn")(stamp=256)
    small.setup()
    large.setup()
    assert float(np.abs(small.detect(image, meta=META) - large.detect(image, meta=META)).max()) > 1e-3


def test_custom_weights_carry_their_training_family(tmp_path):
    path = save_checkpoint(tmp_path / "m.pth", build_model("att_cosmic_conn"), name="att_cosmic_conn",
                           dataset_family="tiny")  # fmt: skip
    detector = get_detector_class("att_cosmic_conn")(weights=str(path))
    assert detector.training_datasets == ("tiny",)
    detector.setup()
    scores = detector.detect(make_frame((40, 40), seed=1), meta=META)
    assert scores.shape == (40, 40)
    info = detector.info()
    assert info["training_datasets"] == ["tiny"] and info["checkpoint"]["dataset_family"] == "tiny"
    with pytest.raises(InputError, match="trained as 'att_cosmic_conn'"):
        get_detector_class("deepcr")(weights=str(path)).setup()


def test_foreign_state_dict_claims_no_family(tmp_path):
    path = tmp_path / "plain.pth"
    torch.save(build_model("deepcr").state_dict(), path)
    assert get_detector_class("deepcr")(weights=str(path)).training_datasets == ()


@pytest.mark.parametrize("shape", [(70, 90), (300, 517), (64, 64)])
@pytest.mark.parametrize("batch_size", [1, 3])
def test_batched_tiling_equals_reference_tiling(shape, batch_size):
    image = np.random.default_rng(0).normal(size=shape).astype(np.float32)

    def mark(stamp):
        # position-dependent output exposes any misplaced stamp
        return stamp * 2.0 + stamp.shape[0]

    expected = predict_tiled(image, mark, stamp=64, margin=8, multiple=4)
    got = predict_tiled_batched(image, lambda stamps: np.stack([mark(s) for s in stamps]), stamp=64, margin=8,
                                multiple=4, batch_size=batch_size)  # fmt: skip
    np.testing.assert_array_equal(got, expected)


def test_batch_size_does_not_change_scores(published):
    image = make_frame((200, 300), seed=8)
    one = get_detector_class("att_cosmic_conn")(batch_size=1)
    many = get_detector_class("att_cosmic_conn")(batch_size=6)
    one.setup()
    many.setup()
    # identical up to float rounding (convolution kernels differ with the batch size)
    np.testing.assert_allclose(one.detect(image, meta=META), many.detect(image, meta=META), atol=1e-4)


def test_network_is_counted_on_one_stamp(published):
    from crbench.flops import count_macs, network_macs_per_pixel

    detector = get_detector_class("att_cosmic_conn")()
    assert detector.torch_network() is None  # before setup there is no network to count
    detector.setup()
    model, side = detector.torch_network()
    assert model is detector._model and side == 256
    macs = network_macs_per_pixel(detector)
    assert macs == count_macs(model, (1, 1, 256, 256)) / 256**2
    # the hook count for this network: about 98,600 multiply-adds per pixel
    assert 95_000 < macs < 102_000


# ---------------------------------------------------------------- ONNX Runtime engine (crbench.inference_backend)


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory):
    """One export per network for the module (an export takes ~15 s)."""
    return tmp_path_factory.mktemp("crbench-onnx-cache")


@onnx_engine
@pytest.mark.parametrize("name", ["deepcr", "att_deepcr"])
def test_batchnorm_models_on_onnxruntime_agree_with_eager_on_a_whole_frame(name, published, onnx_cache, monkeypatch):
    frame = make_frame((300, 520), seed=4)
    monkeypatch.delenv(BACKEND_ENV, raising=False)
    eager = get_detector_class(name)(stamp=256)
    eager.setup(device="cpu")
    expected = eager.detect(frame, meta=META)
    eager_identity, eager_info = eager.identity_hash(), eager.info()
    monkeypatch.setenv("CRBENCH_CACHE", str(onnx_cache))
    set_backend("onnxruntime")
    engine = get_detector_class(name)(stamp=256)
    engine.setup(device="cpu")
    scores = engine.detect(frame, meta=META)
    np.testing.assert_allclose(scores, expected, rtol=0, atol=MAX_ABS_DIFFERENCE)
    assert engine.info()["inference_backend"]["name"] == "onnxruntime"
    assert "inference_backend" not in eager_info
    # ONNX Runtime maps are not bit-identical to eager ones: the score cache keeps them apart
    assert engine.identity_hash() != eager_identity
    assert engine.params_hash == eager.params_hash


@onnx_engine
@pytest.mark.parametrize("name", ["cosmic_conn", "att_cosmic_conn"])
def test_groupnorm_models_refuse_onnxruntime(name, published, monkeypatch):
    set_backend("onnxruntime")
    detector = get_detector_class(name)()
    with pytest.raises(InputError, match=f"{name}: not run on ONNX Runtime: its GroupNorm layers"):
        detector.setup(device="cpu")
    # their cache identity does not change with a backend they never use
    identity = detector.identity_hash()
    monkeypatch.setenv(BACKEND_ENV, "torch")
    assert detector.identity_hash() == identity
