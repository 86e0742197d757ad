"""Multiply-adds counted with forward hooks, checked against hand-computed counts."""

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from crbench.detectors.doubles import ConstantDetector  # noqa: E402
from crbench.flops import count_macs, flop_bound_ratio, gflops, network_macs_per_pixel  # noqa: E402


class TinyNet(nn.Module):
    """conv 3x3 -> grouped strided conv -> transposed conv -> linear, with uncounted layers between."""

    def __init__(self):
        super().__init__()
        self.first = nn.Conv2d(1, 4, 3, padding=1)
        self.norm = nn.BatchNorm2d(4)
        self.grouped = nn.Conv2d(4, 8, 3, stride=2, padding=1, groups=2, bias=False)
        self.up = nn.ConvTranspose2d(8, 2, 2, stride=2)
        self.head = nn.Linear(2 * 8 * 8, 10)

    def forward(self, x):
        x = torch.relu(self.norm(self.first(x)))
        x = self.up(self.grouped(x))
        return self.head(x.flatten(1))


def test_tiny_net_matches_the_hand_count():
    # first:   8 x 8 x 4 outputs, 1 x 3 x 3 products each   = 2304
    # grouped: 4 x 4 x 8 outputs, (4 / 2) x 3 x 3 each        = 2304
    # up:      4 x 4 x 8 inputs, each into 2 x 2 x 2 outputs  = 1024
    # head:    10 outputs, 128 products each                  = 1280
    assert count_macs(TinyNet().eval(), (1, 1, 8, 8)) == 2304 + 2304 + 1024 + 1280


def test_batch_scales_the_count_and_a_reused_layer_counts_per_call():
    conv = nn.Conv2d(2, 3, 1)
    assert count_macs(conv, (5, 2, 4, 4)) == 5 * 4 * 4 * 3 * 2

    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 1, 3, padding=1)

        def forward(self, x):
            return self.conv(self.conv(x))

    assert count_macs(Twice(), (1, 1, 6, 6)) == 2 * 36 * 9


def test_counting_leaves_no_hooks_behind():
    model = TinyNet().eval()
    count_macs(model, (1, 1, 8, 8))
    assert all(not module._forward_hooks for module in model.modules())


class _TorchDouble(ConstantDetector):
    name = "torch_double"

    def torch_network(self):
        return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.Conv2d(4, 1, 3, padding=1)), 16


def test_macs_per_pixel_of_a_detector():
    assert network_macs_per_pixel(ConstantDetector()) is None  # no torch network
    assert network_macs_per_pixel(_TorchDouble()) == 4 * 9 + 4 * 9


def test_rates_and_ratio():
    # 100 MACs per pixel on 2 Mpix in 0.5 s: 2 * 100 * 2e6 / 0.5 = 0.8 GFLOP/s
    assert gflops(100, megapixels=2.0, seconds=0.5) == pytest.approx(0.8)
    assert flop_bound_ratio(0.8, 3.2) == pytest.approx(4.0)
    assert flop_bound_ratio(None, 3.2) is None and flop_bound_ratio(0.8, None) is None
