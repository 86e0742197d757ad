"""A small TransUNet for cosmic-ray segmentation (CNN encoder + transformer bottleneck).

After the TransUNet design (Chen et al. 2021, arXiv:2102.04306) as scaled
down in the DECam study that accompanies the attention paper (hidden size
60, MLP size 64, 6 layers, 6 heads, GroupNorm instead of BatchNorm, about
450-500 k parameters; ``reference/transunet_results.csv``). The study's code
is not public; this is crbench's own implementation of that description.

Layout (``stem_channels = 16``):

=========================  ==========  ========================================
stage                      resolution  channels
=========================  ==========  ========================================
stem (double conv)         1           1 -> 16            (skip 0)
down 1 (pool, double conv) 1/2         16 -> 32           (skip 1)
down 2 (pool, double conv) 1/4         32 -> 64           (skip 2)
patch embedding (2x2/2)    1/8         64 -> 60 tokens, + positional embedding
transformer x 6            1/8         60 (6 heads, MLP 64, pre-norm)
conv_more (3x3)            1/8         60 -> 96
up 2 (bilinear, double)    1/4         96 + 64 -> 64
up 1 (bilinear, double)    1/2         64 + 32 -> 32
up 0 (bilinear, double)    1           32 + 16 -> 16
head (1x1 conv, sigmoid)   1           16 -> 1
=========================  ==========  ========================================

Every convolution is followed by GroupNorm (8 groups, affine, one layer per
convolution) and a ReLU.

Arbitrary input sizes: the input is reflect-padded on its bottom and right
edges to a multiple of :attr:`TransUNet.size_multiple` (8) and the output
cropped back. The learned positional embedding is a grid of
``pos_grid x pos_grid`` vectors (16 x 16, i.e. 128-px stamps at 1/8
resolution) that is bilinearly resampled to the token grid of each input, so
any stamp size gets a smooth embedding of the same form.
"""

import torch
from torch import nn
from torch.nn import functional

from .unet import ConvBlock

__all__ = ["TransUNet", "TransformerBottleneck"]


class _DoubleConv(nn.Module):
    """Two 3x3 convolutions, each with its own GroupNorm and a ReLU."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv = ConvBlock(in_channels, out_channels, norm="group", group_affine=True, share_norm=False)

    def forward(self, x):
        return self.conv(x)


class TransformerBottleneck(nn.Module):
    """Patch embedding, learned resizable positional embedding and a pre-norm transformer encoder.

    Parameters
    ----------
    in_channels : int
        Channels of the CNN features that are embedded.
    hidden : int
        Token dimension.
    layers, heads, mlp : int
        Transformer depth, attention heads and MLP hidden size.
    patch : int
        Patch side (in feature pixels).
    pos_grid : int
        Side of the learned positional-embedding grid.
    """

    def __init__(self, in_channels, *, hidden, layers, heads, mlp, patch, pos_grid):
        super().__init__()
        if hidden % heads:
            raise ValueError(f"hidden size {hidden} is not divisible by {heads} heads")
        self.patch_embedding = nn.Conv2d(in_channels, hidden, patch, stride=patch)
        self.position = nn.Parameter(torch.zeros(1, hidden, pos_grid, pos_grid))
        nn.init.trunc_normal_(self.position, std=0.02)
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(
                hidden, heads, dim_feedforward=mlp, dropout=0.0, activation="gelu", batch_first=True, norm_first=True
            )
            for _ in range(layers)
        )
        self.norm = nn.LayerNorm(hidden)

    def positional_embedding(self, ny, nx):
        """Return the positional embedding resampled to a ``(ny, nx)`` token grid."""
        if self.position.shape[-2:] == (ny, nx):
            return self.position
        return functional.interpolate(self.position, size=(ny, nx), mode="bilinear", align_corners=False)

    def forward(self, features):
        tokens = self.patch_embedding(features)
        batch, hidden, ny, nx = tokens.shape
        tokens = tokens + self.positional_embedding(ny, nx)
        sequence = tokens.flatten(2).transpose(1, 2)
        for layer in self.layers:
            sequence = layer(sequence)
        sequence = self.norm(sequence)
        return sequence.transpose(1, 2).reshape(batch, hidden, ny, nx)


class _UpBlock(nn.Module):
    """Bilinear x2 up-sampling, concatenation with the skip features, double convolution."""

    def __init__(self, in_channels, skip_channels, out_channels):
        super().__init__()
        self.conv = _DoubleConv(in_channels + skip_channels, out_channels)

    def forward(self, deep, skip):
        upsampled = functional.interpolate(deep, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.conv(torch.cat([skip, upsampled], dim=1))


class TransUNet(nn.Module):
    """Small TransUNet returning per-pixel cosmic-ray probabilities.

    Parameters
    ----------
    norm : {"group"}
        Only GroupNorm is implemented (the study replaced BatchNorm by it).
    hidden, mlp, layers, heads : int
        Transformer size (60, 64, 6, 6 for ``transunet_small``).
    stem_channels : int
        Channels at full resolution (doubled at 1/2 and 1/4).
    bottleneck_channels : int
        Channels of the transformer output after the ``conv_more`` 3x3 convolution.
    patch : int
        Patch side on the 1/4-resolution features.
    pos_grid : int
        Side of the learned positional-embedding grid.

    Notes
    -----
    Input ``(batch, 1, ny, nx)`` of any size >= 1; output of the same shape,
    values in (0, 1).
    """

    def __init__(
        self, *, norm="group", hidden=60, mlp=64, layers=6, heads=6, stem_channels=16, bottleneck_channels=96,
        patch=2, pos_grid=16,
    ):  # fmt: skip
        super().__init__()
        if norm != "group":
            raise ValueError(f"TransUNet supports norm='group' only, got {norm!r}")
        self.norm = norm
        self.attention = False
        c1, c2, c3 = stem_channels, 2 * stem_channels, 4 * stem_channels
        self.size_multiple = 4 * patch
        self.stem = _DoubleConv(1, c1)
        self.down1 = nn.Sequential(nn.MaxPool2d(2), _DoubleConv(c1, c2))
        self.down2 = nn.Sequential(nn.MaxPool2d(2), _DoubleConv(c2, c3))
        self.bottleneck = TransformerBottleneck(
            c3, hidden=hidden, layers=layers, heads=heads, mlp=mlp, patch=patch, pos_grid=pos_grid
        )
        self.conv_more = nn.Sequential(
            nn.Conv2d(hidden, bottleneck_channels, 3, padding=1),
            nn.GroupNorm(8, bottleneck_channels),
            nn.ReLU(inplace=True),
        )
        self.up2 = _UpBlock(bottleneck_channels, c3, c3)
        self.up1 = _UpBlock(c3, c2, c2)
        self.up0 = _UpBlock(c2, c1, c1)
        self.head = nn.Conv2d(c1, 1, 1)

    def _pad(self, x):
        ny, nx = x.shape[-2:]
        pad_y, pad_x = -ny % self.size_multiple, -nx % self.size_multiple
        if not pad_y and not pad_x:
            return x
        # reflection needs the pad to be smaller than the side; tiny inputs fall back to edge replication
        mode = "reflect" if pad_y < ny and pad_x < nx else "replicate"
        return functional.pad(x, (0, pad_x, 0, pad_y), mode=mode)

    def forward(self, x):
        ny, nx = x.shape[-2:]
        padded = self._pad(x)
        skip0 = self.stem(padded)
        skip1 = self.down1(skip0)
        skip2 = self.down2(skip1)
        deep = self.conv_more(self.bottleneck(skip2))
        decoded = self.up0(self.up1(self.up2(deep, skip2), skip1), skip0)
        return torch.sigmoid(self.head(decoded))[..., :ny, :nx]
