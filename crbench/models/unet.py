"""The UNet-3-32 family of Bhavanam et al. (2022): deepCR / Cosmic-CoNN style U-Nets.

One configurable class, :class:`UNet3`, covers the four DECam models of
"Cosmic Ray Rejection with Attention Augmented Deep Learning":

=================  ========  ===========
detector           norm      attention
=================  ========  ===========
``deepcr``         batch     no
``att_deepcr``     batch     yes
``cosmic_conn``    group     no
``att_cosmic_conn`` group    yes
=================  ========  ===========

Layout (three resolution levels, 32 channels at the first): a double 3x3
convolution block at each level, 2x2 max-pooling on the way down, a 2x2
stride-2 transposed convolution on the way up, concatenation of the skip
features *before* the up-sampled features, a 1x1 output convolution and a
sigmoid.

Two details of the released checkpoints shape this code:

- Each double-convolution block applies **one** normalisation layer after
  both of its convolutions (the state dicts store the same tensor under the
  keys ``conv.1`` and ``conv.4``). Likewise the attention gate normalises its
  gate and skip projections with one shared layer. Reproducing the published
  outputs requires the same sharing, so the layer is registered twice.
- Attribute names follow the released state-dict keys (``inc``, ``down1``,
  ``down_cov``, ``up_conv``, ``W_gate``, ``psi`` ...), which is what lets the
  published files load strictly.

Normalisation: deepCR uses BatchNorm with momentum 0.005; Cosmic-CoNN uses
GroupNorm with 8 groups, non-affine in the released DECam checkpoints. The
attention gate's final single-channel norm is ``GroupNorm(1, 1)`` for the
group variant, i.e. it standardises the gate map over the whole stamp, so
GroupNorm models' outputs depend on the stamp size they are run on.
"""

import torch
from torch import nn

__all__ = ["UNet3", "AttentionGate", "ConvBlock", "NORM_KINDS", "make_norm", "unique_parameter_count"]

NORM_KINDS = ("batch", "group")
BATCH_NORM_MOMENTUM = 0.005
GROUPS = 8


def make_norm(kind, n_channels, *, groups=GROUPS, affine=True):
    """Return a normalisation layer of ``kind`` for ``n_channels`` channels.

    Parameters
    ----------
    kind : {"batch", "group"}
    n_channels : int
    groups : int
        Number of groups of a GroupNorm layer.
    affine : bool
        Learnable scale and shift (GroupNorm only; BatchNorm is always
        affine in this family).
    """
    if kind == "batch":
        return nn.BatchNorm2d(n_channels, momentum=BATCH_NORM_MOMENTUM, affine=True, track_running_stats=True)
    if kind == "group":
        return nn.GroupNorm(groups, n_channels, affine=affine)
    raise ValueError(f"unknown norm kind {kind!r}; expected one of {NORM_KINDS}")


class ConvBlock(nn.Module):
    """Two 3x3 convolutions, each followed by a norm and a ReLU.

    ``share_norm=True`` (the released UNet-3-32 checkpoints) applies one norm
    layer after both convolutions; ``False`` gives each its own.
    """

    def __init__(self, in_channels, out_channels, *, norm, group_affine=False, share_norm=True):
        super().__init__()
        first_norm = make_norm(norm, out_channels, affine=group_affine)
        second_norm = first_norm if share_norm else make_norm(norm, out_channels, affine=group_affine)
        self.conv = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 3, padding=1),
            first_norm,
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, 3, padding=1),
            second_norm,
            nn.ReLU(inplace=True),
        )

    def forward(self, x):
        return self.conv(x)


class AttentionGate(nn.Module):
    """Additive attention gate on a skip connection.

    The skip features ``x`` and the up-sampled decoder features ``g`` are
    each projected by a 1x1 convolution to ``channels // 2`` coefficients
    and normalised (one shared norm layer), summed, passed through a ReLU, a
    1x1 convolution to one channel, a one-channel norm and a sigmoid; the
    result scales ``x``.

    Parameters
    ----------
    channels : int
        Channels of both ``x`` and ``g``.
    norm : {"batch", "group"}
    group_affine : bool
        Learnable GroupNorm scale and shift.
    """

    def __init__(self, channels, *, norm, group_affine=False):
        super().__init__()
        n_coefficients = channels // 2
        shared_norm = make_norm(norm, n_coefficients, affine=group_affine)
        gate_norm = make_norm(norm, 1, groups=1, affine=group_affine)
        self.W_gate = nn.Sequential(nn.Conv2d(channels, n_coefficients, 1), shared_norm)
        self.W_x = nn.Sequential(nn.Conv2d(channels, n_coefficients, 1), shared_norm)
        self.psi = nn.Sequential(nn.Conv2d(n_coefficients, 1, 1), gate_norm, nn.Sigmoid())
        self.relu = nn.ReLU(inplace=True)

    def forward(self, gate, skip):
        """Return ``skip`` scaled by the attention map computed from ``gate`` and ``skip``."""
        coefficients = self.relu(self.W_gate(gate) + self.W_x(skip))
        return skip * self.psi(coefficients)


class _Stem(nn.Module):
    def __init__(self, in_channels, out_channels, *, norm, group_affine):
        super().__init__()
        self.conv = ConvBlock(in_channels, out_channels, norm=norm, group_affine=group_affine)

    def forward(self, x):
        return self.conv(x)


class _Down(nn.Module):
    def __init__(self, in_channels, out_channels, *, norm, group_affine):
        super().__init__()
        self.down_cov = nn.Sequential(
            nn.MaxPool2d(2), ConvBlock(in_channels, out_channels, norm=norm, group_affine=group_affine)
        )

    def forward(self, x):
        return self.down_cov(x)


class _Up(nn.Module):
    def __init__(self, in_channels, out_channels, *, norm, group_affine, attention):
        super().__init__()
        self.up_conv = nn.ConvTranspose2d(in_channels, out_channels, 2, stride=2)
        self.conv = ConvBlock(in_channels, out_channels, norm=norm, group_affine=group_affine)
        self.attention = (
            AttentionGate(out_channels, norm=norm, group_affine=group_affine) if attention else None
        )

    def forward(self, deep, skip):
        upsampled = self.up_conv(deep)
        if self.attention is not None:
            skip = self.attention(upsampled, skip)
        return self.conv(torch.cat([skip, upsampled], dim=1))


class _Head(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 1)

    def forward(self, x):
        return self.conv(x)


class UNet3(nn.Module):
    """A three-level U-Net returning per-pixel cosmic-ray probabilities.

    Parameters
    ----------
    norm : {"batch", "group"}
        BatchNorm (deepCR) or 8-group GroupNorm (Cosmic-CoNN).
    attention : bool
        Attention gates on both skip connections.
    hidden : int
        Channels at the first level (doubled at each level below).
    group_affine : bool
        Learnable GroupNorm scale and shift (False in the released DECam
        Cosmic-CoNN checkpoints).

    Notes
    -----
    Input shape ``(batch, 1, ny, nx)`` with ``ny`` and ``nx`` multiples of
    :attr:`size_multiple`; output has the same shape, values in (0, 1).
    """

    size_multiple = 4

    def __init__(self, *, norm, attention, hidden=32, group_affine=False):
        super().__init__()
        if norm not in NORM_KINDS:
            raise ValueError(f"unknown norm kind {norm!r}; expected one of {NORM_KINDS}")
        self.norm = norm
        self.attention = bool(attention)
        options = {"norm": norm, "group_affine": group_affine}
        self.inc = _Stem(1, hidden, **options)
        self.down1 = _Down(hidden, 2 * hidden, **options)
        self.down2 = _Down(2 * hidden, 4 * hidden, **options)
        self.up2 = _Up(4 * hidden, 2 * hidden, attention=attention, **options)
        self.up1 = _Up(2 * hidden, hidden, attention=attention, **options)
        self.outc = _Head(hidden, 1)

    def forward(self, x):
        level1 = self.inc(x)
        level2 = self.down1(level1)
        level3 = self.down2(level2)
        decoded = self.up1(self.up2(level3, level2), level1)
        return torch.sigmoid(self.outc(decoded))


def unique_parameter_count(module, *, buffers=False):
    """Count the elements of a module's distinct parameters (and buffers).

    Shared tensors (the norm layers registered twice) count once.
    """
    tensors = {id(p): p for p in module.parameters()}
    if buffers:
        tensors.update({id(b): b for b in module.buffers()})
    return sum(t.numel() for t in tensors.values())
