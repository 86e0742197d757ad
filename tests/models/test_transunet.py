"""The small TransUNet and the U-Net aliases of the DECam TransUNet study."""

import pytest
import torch
from torch.nn import functional

from crbench.errors import CorruptFileError, InputError
from crbench.models import (
    MODEL_CONFIGS,
    TransUNet,
    build_model,
    load_model,
    load_state_dict_strict,
    save_checkpoint,
    unique_parameter_count,
)
from crbench.training.losses import dice_bce_loss


def _seeded_model(name="transunet_small", seed=0):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build_model(name).eval()


def _input(shape, seed=1):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=generator)


@pytest.mark.parametrize("shape", [(1, 1, 37, 53), (2, 1, 100, 13), (1, 1, 3, 5), (1, 1, 64, 128)])
def test_forward_shape_on_any_input_size(shape):
    model = _seeded_model()
    with torch.no_grad():
        output = model(_input(shape))
    assert output.shape == shape
    assert torch.all((output > 0) & (output < 1))


def test_input_is_padded_at_the_bottom_right_and_cropped_back():
    # 37 x 53 is padded to 40 x 56: the output must be the top-left crop of the padded input's output
    model = _seeded_model()
    image = _input((1, 1, 37, 53))
    with torch.no_grad():
        output = model(image)
        padded = functional.pad(image, (0, 3, 0, 3), mode="reflect")
        reference = model(padded)[..., :37, :53]
    torch.testing.assert_close(output, reference)
    # and different from a top-left padding (i.e. the crop location matters)
    with torch.no_grad():
        shifted = model(functional.pad(image, (3, 0, 3, 0), mode="reflect"))[..., 3:, 3:]
    assert not torch.allclose(output, shifted)


def test_positional_embedding_resamples_to_the_token_grid():
    bottleneck = _seeded_model().bottleneck
    grid = bottleneck.position
    assert grid.shape == (1, 60, 16, 16)
    assert bottleneck.positional_embedding(16, 16) is grid
    resized = bottleneck.positional_embedding(5, 7)
    assert resized.shape == (1, 60, 5, 7)
    # a constant grid stays constant under bilinear resampling
    with torch.no_grad():
        grid.fill_(0.25)
    torch.testing.assert_close(bottleneck.positional_embedding(9, 31), torch.full((1, 60, 9, 31), 0.25))


def test_parameter_count():
    model = build_model("transunet_small")
    hidden, mlp, layers = 60, 64, 6
    # pre-norm encoder layer: q/k/v/out projections, two-layer MLP, two LayerNorms; plus the final LayerNorm
    per_layer = 4 * (hidden * hidden + hidden) + (hidden * mlp + mlp) + (mlp * hidden + hidden) + 2 * 2 * hidden
    transformer = sum(p.numel() for part in (model.bottleneck.layers, model.bottleneck.norm) for p in part.parameters())
    assert transformer == layers * per_layer + 2 * hidden == 136_224

    # 3x3 convolutions with bias and one affine GroupNorm per convolution
    def double(c_in, c_out):
        return (9 * c_in * c_out + c_out) + (9 * c_out * c_out + c_out) + 4 * c_out

    cnn = double(1, 16) + double(16, 32) + double(32, 64)  # encoder
    cnn += (64 * 60 * 4 + 60) + 60 * 16 * 16  # patch embedding, positional grid
    cnn += 9 * 60 * 96 + 96 + 2 * 96  # conv_more
    cnn += double(96 + 64, 64) + double(64 + 32, 32) + double(32 + 16, 16) + 16 + 1  # decoder and head
    assert unique_parameter_count(model) == transformer + cnn == 467_165
    # within the study's range for its small TransUNets (450,073 to 496,537)
    assert 450_000 <= unique_parameter_count(model) <= 500_000


def test_unet_aliases_are_the_cosmic_conn_networks():
    for alias, original in (("unet", "cosmic_conn"), ("att_unet", "att_cosmic_conn")):
        assert MODEL_CONFIGS[alias] == MODEL_CONFIGS[original]
        a, b = build_model(alias), build_model(original)
        assert {k: v.shape for k, v in a.state_dict().items()} == {k: v.shape for k, v in b.state_dict().items()}
    # the study's Att_UNet count (465,953) is the GroupNorm U-Net's without gates; see the report
    assert unique_parameter_count(build_model("unet")) == 465_953
    assert unique_parameter_count(build_model("att_unet")) == 471_219


def test_a_few_training_steps_reduce_the_loss():
    generator = torch.Generator().manual_seed(3)
    image = torch.randn(4, 1, 32, 48, generator=generator)
    target = (torch.rand(4, 1, 32, 48, generator=generator) < 0.03).float()
    image = image + 8 * target  # cosmic rays are bright pixels
    valid = torch.ones_like(target)
    model = _seeded_model().train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(12):
        loss = dice_bce_loss(model(image), target, valid)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.9 * losses[0]
    assert sum(losses[-3:]) < sum(losses[:3])


def test_checkpoint_round_trip(tmp_path):
    model = _seeded_model(seed=5)
    path = save_checkpoint(tmp_path / "t.pth", model, name="transunet_small", dataset_family="sim_decam")
    loaded, metadata = load_model("transunet_small", path)
    assert metadata["model"] == "transunet_small" and metadata["dataset_family"] == "sim_decam"
    image = _input((1, 1, 40, 24))
    with torch.no_grad():
        torch.testing.assert_close(loaded(image), model(image), rtol=0, atol=0)
    with pytest.raises(InputError, match="trained as 'transunet_small'"):
        load_model("att_unet", path)
    with pytest.raises(CorruptFileError, match="missing keys"):
        load_state_dict_strict(TransUNet(), build_model("att_unet").state_dict())


def test_only_group_norm_is_supported():
    with pytest.raises(ValueError, match="group"):
        TransUNet(norm="batch")
    with pytest.raises(ValueError, match="divisible"):
        TransUNet(hidden=60, heads=7)
