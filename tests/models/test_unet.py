"""Architecture, parameter counts, strict loading and reference outputs of the UNet-3-32 family."""

from pathlib import Path

import numpy as np
import pytest
import torch

from crbench.errors import CorruptFileError, InputError
from crbench.models import (
    MODEL_CONFIGS,
    UNet3,
    build_model,
    load_model,
    read_checkpoint,
    save_checkpoint,
    unique_parameter_count,
)
from crbench.weights import PUBLISHED_WEIGHTS

DATA = Path(__file__).parent / "data"
SHARED_WEIGHTS = Path(__file__).resolve().parents[2].parent / "shared" / "weights" / "attention_decam_2022"
# the published-weights family (MODEL_CONFIGS also holds crbench-only names: unet, att_unet, transunet_small)
MODELS = tuple(name for name in MODEL_CONFIGS if name in PUBLISHED_WEIGHTS)


@pytest.fixture
def published_weights(monkeypatch):
    if not SHARED_WEIGHTS.is_dir():
        pytest.skip(f"published DECam weights not found at {SHARED_WEIGHTS} (shared/ beside the repository)")
    monkeypatch.setenv("CRBENCH_WEIGHTS_DIR", str(SHARED_WEIGHTS))
    from crbench.weights import weights_path

    return weights_path


# Sum over every state-dict entry (a shared norm layer counted at each of its two keys,
# BatchNorm buffers included): the figures quoted for the released checkpoints.
STATE_DICT_TOTALS = {"deepcr": 468_523, "att_deepcr": 474_187, "cosmic_conn": 465_953, "att_cosmic_conn": 471_219}
# Distinct trainable parameters (each shared norm layer once).
UNIQUE_TRAINABLE = {"deepcr": 466_593, "att_deepcr": 471_959, "cosmic_conn": 465_953, "att_cosmic_conn": 471_219}


@pytest.mark.parametrize("name", MODELS)
def test_parameter_counts(name):
    model = build_model(name)
    assert sum(t.numel() for t in model.state_dict().values()) == STATE_DICT_TOTALS[name]
    assert unique_parameter_count(model) == UNIQUE_TRAINABLE[name]


def test_paper_table3_deepcr_count_counts_the_shared_norm_twice():
    # Table 3 quotes 467,233 trainable for deepCR: every weight/bias entry of the state dict
    model = build_model("deepcr")
    total = sum(t.numel() for key, t in model.state_dict().items() if key.endswith(("weight", "bias")))
    assert total == 467_233


def test_norm_layer_is_shared_within_a_block():
    model = build_model("deepcr")
    block = model.inc.conv.conv
    assert block[1] is block[4]
    gate = build_model("att_deepcr").up1.attention
    assert gate.W_gate[1] is gate.W_x[1]


def test_group_variant_is_non_affine_eight_groups():
    model = build_model("cosmic_conn")
    norm = model.down2.down_cov[1].conv[1]
    assert isinstance(norm, torch.nn.GroupNorm)
    assert norm.num_groups == 8 and not norm.affine
    assert isinstance(build_model("att_cosmic_conn").up2.attention.psi[1], torch.nn.GroupNorm)


def test_batch_variant_momentum():
    norm = build_model("att_deepcr").up2.attention.psi[1]
    assert isinstance(norm, torch.nn.BatchNorm2d) and norm.momentum == pytest.approx(0.005)


@pytest.mark.parametrize("name", MODELS)
def test_output_shape_and_range(name):
    model = build_model(name).eval()
    with torch.no_grad():
        output = model(torch.randn(2, 1, 32, 40, generator=torch.Generator().manual_seed(0)))
    assert output.shape == (2, 1, 32, 40)
    assert float(output.min()) > 0 and float(output.max()) < 1


def test_unknown_norm_rejected():
    with pytest.raises(ValueError, match="norm"):
        UNet3(norm="instance", attention=False)
    with pytest.raises(InputError, match="unknown model"):
        build_model("unet9")


@pytest.mark.parametrize("name", MODELS)
def test_published_weights_load_strictly(name, published_weights):
    path = published_weights(name)
    assert path.name == PUBLISHED_WEIGHTS[name].file_name
    raw = torch.load(path, map_location="cpu", weights_only=True)
    assert all(key.startswith("module.") for key in raw)
    state_dict, metadata = read_checkpoint(path)
    assert metadata == {} and not any(key.startswith("module.") for key in state_dict)
    model, _ = load_model(name, path)
    loaded = model.state_dict()
    assert set(loaded) == set(state_dict)
    for key, value in state_dict.items():
        assert torch.equal(loaded[key].to(value.dtype), value), key
    assert not model.training


@pytest.mark.parametrize("name", MODELS)
def test_forward_matches_stored_reference(name, published_weights):
    model, _ = load_model(name, published_weights(name))
    image = np.load(DATA / "reference_input.npy")
    expected = np.load(DATA / f"reference_{name}.npy")
    with torch.inference_mode():
        output = model(torch.from_numpy(image)[None, None])[0, 0].numpy()
    np.testing.assert_allclose(output, expected, atol=2e-5, rtol=0)
    # the reference is not trivial: hot pixels flagged, most of the frame not
    assert 20 < int((expected > 0.5).sum()) < 200


def test_wrong_architecture_is_a_clear_error(published_weights):
    with pytest.raises(CorruptFileError, match="missing keys"):
        load_model("att_deepcr", published_weights("deepcr"))
    with pytest.raises(CorruptFileError, match="unexpected keys"):
        load_model("cosmic_conn", published_weights("deepcr"))


def test_shape_mismatch_is_reported(tmp_path):
    state = build_model("cosmic_conn").state_dict()
    state["outc.conv.weight"] = torch.zeros(1, 16, 1, 1)
    path = tmp_path / "bad.pth"
    torch.save(state, path)
    with pytest.raises(CorruptFileError, match="shape mismatches"):
        load_model("cosmic_conn", path)


def test_pickled_code_is_refused(tmp_path):
    path = tmp_path / "evil.pth"
    torch.save({"model": build_model("cosmic_conn")}, path)  # a whole module needs unpickling code
    with pytest.raises(CorruptFileError, match="weights-only"):
        read_checkpoint(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_checkpoint(tmp_path / "nope.pth")


def test_crbench_checkpoint_round_trip(tmp_path):
    model = build_model("att_deepcr")
    path = save_checkpoint(tmp_path / "m.pth", model, name="att_deepcr", dataset_family="tiny")
    loaded, metadata = load_model("att_deepcr", path)
    assert metadata["dataset_family"] == "tiny" and metadata["model"] == "att_deepcr"
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value)
    with pytest.raises(InputError, match="trained as 'att_deepcr'"):
        load_model("deepcr", path)
