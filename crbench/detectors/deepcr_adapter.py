"""``deepcr_pretrained``: the mask models shipped with the ``deepCR`` package.

The probability map is upstream's own ``deepCR(mask=...).clean(image,
binary=False, inpaint=False)`` (default segmentation into 1024-px patches),
called inside ``torch.no_grad()`` so no autograd graph is kept.

Models (``model`` parameter) and what they expect, from deepCR's
documentation and the papers that trained them:

========== ========== ============== =========================================
model      units      dilate_output  trained on
========== ========== ============== =========================================
decam      ADU        False          DECam g-band, calibrated ADU, masks
                                     dilated 3x3 (Zhang & Bloom 2020;
                                     Bhavanam et al. 2022)
ACS-WFC    electron   True           HST ACS/WFC ``_flc`` frames (Kwon, Zhang
                                     & Bloom 2021)
WFC3-UVIS  electron   True           HST WFC3/UVIS ``_flc`` frames (Chen et
                                     al. 2024)
========== ========== ============== =========================================

So ``input_units``, ``dilate_output`` and ``training_datasets`` are set per
instance from the chosen model. Non-finite pixels are set to 0 in a private
copy (upstream would propagate NaN into the probabilities).
"""

from pathlib import Path

import numpy as np

from ..errors import InputError
from ._inputs import private_copy
from .base import Detector
from .shipped_weights import expected_sha256, upstream_loads_verified

__all__ = ["DeepCRPretrained", "DEEPCR_MODELS"]

#: model name -> (input units, dilate_output, training data set families)
DEEPCR_MODELS = {
    "decam": ("adu", False, ("decam",)),
    "ACS-WFC": ("electron", True, ("hst_acs_wfc",)),
    "WFC3-UVIS": ("electron", True, ("hst_wfc3_uvis",)),
}


class DeepCRPretrained(Detector):
    """deepCR's shipped mask network as a score detector.

    Parameters
    ----------
    model : {"decam", "ACS-WFC", "WFC3-UVIS"}
        Shipped mask model (default ``"decam"``).
    threshold : float
        Operating threshold (0.5, as in Bhavanam et al. 2022).
    patch : int
        Upstream ``clean(patch=...)`` segment size (upstream default 1024).
    """

    name = "deepcr_pretrained"
    version = "0.3-1"
    description = "deepCR shipped mask models (decam, ACS-WFC, WFC3-UVIS), probability map"
    citation = (
        "Zhang & Bloom 2020, ApJ 889, 24 (deepCR, arXiv:1907.09500); Kwon, Zhang & Bloom 2021, RNAAS 5, 98 (ACS-WFC); "
        "Chen et al. 2024 (WFC3-UVIS)"
    )
    license = "BSD-3-Clause"
    output_kind = "score"
    default_threshold = 0.5
    dilate_output = DEEPCR_MODELS["decam"][1]
    input_units = DEEPCR_MODELS["decam"][0]
    training_datasets = DEEPCR_MODELS["decam"][2]
    requires = ("deepCR", "torch")
    install_hint = "pip install deepCR"
    default_params = {"model": "decam", "patch": 1024}

    def __init__(self, **params):
        super().__init__(**params)
        self._configure()
        self.model = None
        self._loaded_model = None

    def _configure(self):
        model = self.params["model"]
        if model not in DEEPCR_MODELS:
            raise InputError(
                f"detector {self.name!r}: unknown model {model!r}; choose one of {', '.join(DEEPCR_MODELS)}"
            )
        # instance attributes shadow the class defaults, so info() and the
        # runner see the units and dilation of the chosen model
        self.input_units, self.dilate_output, self.training_datasets = DEEPCR_MODELS[model]

    def apply_protocol(self, protocol):
        super().apply_protocol(protocol)
        self._configure()

    def shipped_weights_file(self):
        """The mask ``.pth`` file upstream loads for the chosen model, and its name relative to the model folder."""
        from deepCR import model as deepcr_model

        name = f"mask/{self.params['model']}.pth"
        return Path(deepcr_model.default_model_path) / name, name

    def setup(self, *, device="cpu"):
        from deepCR import deepCR
        from deepCR import model as deepcr_model

        super().setup(device=device)
        # upstream torch.load()s the shipped file without weights_only=, which
        # TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 would turn into a full unpickle: the file
        # is checked against its recorded sha256 and loaded weights-only instead
        path, name = self.shipped_weights_file()
        with upstream_loads_verified(deepcr_model, path, sha256=expected_sha256("deepCR", name), distribution="deepCR"):
            self.model = deepCR(mask=self.params["model"], device="GPU" if device.startswith("cuda") else "CPU")
        self._loaded_model = self.params["model"]

    def torch_network(self):
        # upstream's mask network; 256 px: a multiple of its 2 ** depth poolings
        return None if self.model is None else (self.model.maskNet, 256)

    def detect(self, image, *, meta):
        import torch

        if self.model is None or self._loaded_model != self.params["model"]:
            self.setup(device=self.device)
        data, _ = private_copy(image, detector_name=self.name)
        with torch.no_grad():
            probability = self.model.clean(data, binary=False, inpaint=False, patch=int(self.params["patch"]))
        return np.clip(np.asarray(probability, dtype=np.float32), 0.0, 1.0)
