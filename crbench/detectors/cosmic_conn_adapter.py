"""``cosmic_conn_*``: the pre-trained Cosmic-CoNN models (Xu et al. 2023).

The network and weights come from the ``cosmic-conn`` package
(``cosmic_conn.init_model``); this adapter only changes how a frame is cut
into stamps, to avoid three quirks of upstream ``detect_cr``:

- it replaces NaN by 0 *in the caller's array* (``np.nan_to_num(copy=False)``);
  here the network always sees a private copy;
- stamps that do not fill a multiple of 16 pixels are cropped, so the last
  ``ny % 16`` rows and ``nx % 16`` columns keep probability 0; here the frame
  is reflect-padded to a multiple of 16 instead;
- 1024-px stamps are tiled without overlap, so pixels at stamp seams see
  zero-padded context and produce false positives; here stamps overlap by
  ``2 * margin`` pixels and only their centres are kept
  (:func:`crbench.tiling.predict_tiled`), with stamp sides chosen so the
  frame is split into equal stamps (no near-duplicate last stamp).
  Defaults ``stamp=1056`` (largest side) and ``margin=16``: a 4096 x 2048
  DECam CCD becomes 4 x 2 stamps of 1056 x 1040 px, 4.8 % more pixels than
  upstream's eight 1024-px stamps, and a 2048-px side two stamps of 1040.
  (On a 320-px test frame cut into 128-px stamps, one pixel changes its
  decision at 0.5 against a whole-frame prediction with ``margin=16``, and 11
  with upstream's non-overlapping tiles.)

Each stamp is median-subtracted and passed through the network exactly as
upstream ``clean_large`` does (``crop -= crop.median()``; ``model(crop)``).

Units: electrons. The ground-imaging model was trained on LCO BANZAI-reduced
frames, which are in electrons; upstream's training-set builder
(``cosmic_conn/cr_pipeline/lco_cr_reduction.py``) multiplies 0.4 m frames by a
re-fitted gain to bring them to electrons. The HST model was trained on
deepCR's ACS/WFC ``_flc`` data (electrons) and the NRES model on LCO NRES
frames, which upstream's ``nres_cr_reduction.py`` multiplies by the gain.

Outputs are 3x3-dilated before scoring (trained on undilated masks; the
papers dilate the pre-trained Cosmic-CoNN output on LCO and DECam).
"""

import math
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..tiling import predict_tiled
from ._inputs import private_copy
from .base import Detector
from .shipped_weights import expected_sha256, upstream_loads_verified

# upstream's model names -> the file it loads (cosmic_conn.inference_cr.init_model)
_UPSTREAM_FILES = {
    "ground_imaging": "cosmic-conn_ground_imaging_v{version}.pth",
    "NRES": "cosmic-conn_LCO_NRES_v{version}.pth",
    "HST_ACS_WFC": "cosmic-conn_HST_ACS_WFC_v{version}.pth",
}

__all__ = ["CosmicCoNNPretrained", "CosmicCoNNHST", "CosmicCoNNNRES", "even_stamp_size"]

# U-Net with four 2x poolings: every side fed to the network must divide by 16
_MULTIPLE = 16


def even_stamp_size(length, *, stamp, margin, multiple=_MULTIPLE):
    """Return a stamp side that splits ``length`` into equal overlapping stamps.

    With the largest allowed side ``stamp`` and overlap ``2 * margin``, the
    axis needs ``n = ceil((length - 2 margin) / (stamp - 2 margin))`` stamps;
    the returned side is the smallest multiple of ``multiple`` that still
    covers the axis with ``n`` stamps, which keeps the recomputed overlap
    close to ``2 * margin`` instead of wasting a near-duplicate last stamp.

    Parameters
    ----------
    length : int
        Axis length (already padded to a multiple of ``multiple``).
    stamp : int
        Largest stamp side.
    margin : int
        Pixels discarded on each inner side of a stamp.
    multiple : int
        Required divisor of the stamp side.

    Returns
    -------
    int
    """
    if length <= stamp:
        return length
    n_stamps = math.ceil((length - 2 * margin) / (stamp - 2 * margin))
    side = math.ceil((length - 2 * margin) / n_stamps) + 2 * margin
    return min(stamp, -(-side // multiple) * multiple)


class _CosmicCoNNBase(Detector):
    """Shared code of the Cosmic-CoNN adapters; subclasses set ``upstream_model``."""

    upstream_model = ""
    version = "0.6-0.2.8-1"
    citation = (
        "Xu et al. 2023, ApJ 942, 73, 'Cosmic-CoNN: A Cosmic-Ray Detection Deep-Learning Framework, "
        "Data Set, and Toolkit' (arXiv:2106.14922)"
    )
    license = "MIT"
    output_kind = "score"
    dilate_output = True
    input_units = "electron"
    default_threshold = 0.5
    requires = ("cosmic_conn", "torch")
    install_hint = "pip install cosmic-conn"
    default_params = {"stamp": 1056, "margin": 16}

    def __init__(self, **params):
        super().__init__(**params)
        stamp, margin = int(self.params["stamp"]), int(self.params["margin"])
        if stamp % _MULTIPLE or stamp <= 2 * margin or margin < 0:
            raise InputError(
                f"detector {self.name!r}: stamp must be a multiple of {_MULTIPLE} larger than "
                f"2 * margin, got stamp={stamp}, margin={margin}"
            )
        self.model = None

    def shipped_weights_file(self):
        """The ``.pth`` file upstream loads for this model, and its name relative to the model folder."""
        from cosmic_conn import inference_cr

        name = _UPSTREAM_FILES[self.upstream_model].format(version=inference_cr.MODEL_VERSON)
        return Path(inference_cr.check_trained_models()) / name, name

    def setup(self, *, device="cpu"):
        import importlib

        import torch
        from cosmic_conn import init_model

        super().setup(device=device)
        # upstream torch.load()s the shipped file without weights_only=, which
        # TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 would turn into a full unpickle: the file
        # is checked against its recorded sha256 and loaded weights-only instead
        path, name = self.shipped_weights_file()
        network_module = importlib.import_module("cosmic_conn.dl_framework.cosmic_conn")
        with upstream_loads_verified(network_module, path, sha256=expected_sha256("cosmic-conn", name),
                                     distribution="cosmic-conn"):
            model = init_model(self.upstream_model)
        model.device = torch.device(device)
        model.network.to(model.device)
        model.eval()
        self.model = model

    def torch_network(self):
        # 256 px: a multiple of the network's 16-px pooling factor
        return None if self.model is None else (self.model.network, 256)

    def predict_stamp(self, stamp):
        """Run the network on one stamp as upstream ``clean_large`` does.

        Parameters
        ----------
        stamp : ndarray of float32, shape (h, w)
            Sides divisible by 16.

        Returns
        -------
        ndarray of float32, shape (h, w)
            CR probability.
        """
        import torch

        with torch.no_grad():
            tensor = torch.from_numpy(np.ascontiguousarray(stamp, dtype=np.float32)).to(self.model.device)
            tensor = tensor - tensor.median()
            probability = self.model.network(tensor[None, None]).squeeze((0, 1))
        return probability.cpu().numpy()

    def detect(self, image, *, meta):
        if self.model is None:
            self.setup(device=self.device)
        data, _ = private_copy(image, detector_name=self.name)
        margin = int(self.params["margin"])
        stamp = tuple(
            even_stamp_size(-(-side // _MULTIPLE) * _MULTIPLE, stamp=int(self.params["stamp"]), margin=margin)
            for side in data.shape
        )
        scores = predict_tiled(data, self.predict_stamp, stamp=stamp, margin=margin, multiple=_MULTIPLE)
        return np.clip(scores, 0.0, 1.0).astype(np.float32, copy=False)


class CosmicCoNNPretrained(_CosmicCoNNBase):
    """Cosmic-CoNN's released generic ground-imaging model (trained on LCO imaging)."""

    name = "cosmic_conn_pretrained"
    upstream_model = "ground_imaging"
    description = "Cosmic-CoNN pre-trained ground-imaging model (LCO), overlapping stamps of up to 1056 px"
    training_datasets = ("lco",)


class CosmicCoNNHST(_CosmicCoNNBase):
    """Cosmic-CoNN's HST ACS/WFC model (trained on deepCR's ACS/WFC data)."""

    name = "cosmic_conn_hst"
    upstream_model = "HST_ACS_WFC"
    description = "Cosmic-CoNN model trained on HST ACS/WFC, overlapping stamps of up to 1056 px"
    training_datasets = ("hst_acs_wfc",)


class CosmicCoNNNRES(_CosmicCoNNBase):
    """Cosmic-CoNN's LCO NRES spectroscopic model."""

    name = "cosmic_conn_nres"
    upstream_model = "NRES"
    description = "Cosmic-CoNN model trained on LCO NRES spectra, overlapping stamps of up to 1056 px"
    training_datasets = ("lco_nres",)
