"""The DECam-trained U-Nets of Bhavanam et al. (2022), with and without attention gates.

Four detectors share one adapter: ``deepcr`` and ``att_deepcr`` (BatchNorm),
``cosmic_conn`` and ``att_cosmic_conn`` (GroupNorm). By default they load the
authors' released weights (:mod:`crbench.weights`); ``weights=PATH`` loads a
checkpoint written by ``crbench train`` instead.

Input convention (why ``input_units = "adu"`` and the sky is subtracted)
-----------------------------------------------------------------------
- The authors' training script (``Attentionbase_CR_detection_Models/Train.py``
  in their repository) loads per-band arrays ``decam_<band>_image_wd.npy`` and
  ``decam_<band>_sky_wd.npy`` and passes them unchanged to a deepCR-style
  trainer with ``aug_sky=(-0.9, 3)``; its data class
  (``dataset_norm.dataset``) returns ``image + a * sky`` with ``a`` uniform in
  that range and applies no scaling (the optional percentile normalisation
  exists only in the file-list ``DatasetSim`` path, which is not used).
  So the network sees raw pixel values: whatever units the patches were in.
- The patches are cut from DECam Community Pipeline (CP) images (paper,
  Sec. 3: 2K x 4K CCD images, g r i z, 90 s). CP single-exposure products
  are in ADU (header ``BUNIT = 'ADU'``, ``GAINA``/``GAINB`` ~ 4 e-/ADU), and
  the CP's sky-pattern removal leaves a background of mean about zero, i.e.
  the patches are sky-subtracted; the ``sky`` arrays record the subtracted
  level so that the augmentation can add -0.9 to 3 times it back.
- Hence: images in ADU, sky-subtracted. The runner converts samples to ADU
  (``input_units``); :meth:`detect` subtracts ``meta.sky_level`` unless
  ``meta.sky_subtracted`` (or a sigma-clipped median when no level is given).

Operating point and dilation: the models were trained on 3x3-dilated masks
(``dilate_output = False``) and are used at probability threshold 0.5.

Stamps: BatchNorm models in eval mode are translation-equivariant, so tiled
output equals whole-image output given a margin wider than the receptive
field (24 px here); their default stamp, :data:`BATCHNORM_STAMP` (384 px),
is the fastest measured on CPU (less overlap than 256 px, still in cache).
GroupNorm layers (and the attention gate's single-channel GroupNorm)
normalise over the whole stamp, so those models' outputs depend on the stamp
size; their default 256 px is the size they were trained on. The stamp size
is a recorded parameter.

Engines: eager PyTorch (channels-last) is the default and the reference.
``--backend onnxruntime`` (:mod:`crbench.inference_backend`) runs the
BatchNorm models on ONNX Runtime after checking, at every load, that the
export agrees with eager PyTorch to 1e-5; the GroupNorm models refuse it
(their outputs differ there by up to 3.6e-5 per pixel).
"""

import hashlib
from pathlib import Path
from typing import ClassVar

import numpy as np

from ..device import resolve_device
from ..errors import DetectorFailedError, InputError
from ..inference_backend import OnnxRuntimeNetwork, backend_info, selected_backend
from ..inputs import subtract_sky
from ..tiling import predict_tiled_batched
from ._inputs import private_copy
from .base import Detector

__all__ = [
    "BATCHNORM_STAMP",
    "DECamUNetDetector",
    "DeepCRDecam",
    "AttDeepCRDecam",
    "CosmicCoNNDecam",
    "AttCosmicCoNNDecam",
]

_CITATION = (
    "Bhavanam, S. R., Channappayya, S. S., Srijith, P. K., Desai, S. 2022, "
    "'Cosmic Ray Rejection with Attention Augmented Deep Learning', Astronomy and Computing 40, 100625 "
    "(arXiv:2207.10411)"
)
_PUBLISHED_FAMILY = ("decam",)


def _as_int(value, *, name):
    """Accept ints and integral strings/floats (command-line values); reject anything else."""
    try:
        as_float = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be an integer, got {value!r}") from None
    if isinstance(value, bool) or not as_float.is_integer():
        raise InputError(f"{name} must be an integer, got {value!r}")
    return int(as_float)


class DECamUNetDetector(Detector):
    """Shared adapter of the four UNet-3-32 detectors (see the module docstring).

    Parameters
    ----------
    weights : str or None
        Path of a ``crbench train`` checkpoint (or another state dict of this
        architecture); None loads the published DECam weights.
    stamp : int
        Side of the square stamps the frame is cut into (multiple of 4).
    margin : int
        Overlap half-width: the outer ``margin`` pixels of each stamp are
        discarded except at the frame edges.
    batch_size : int
        Stamps per forward pass (speed and memory only; default 1, the
        fastest on CPU; about 1.4 GB peak for 16 stamps of 256 px).
    threshold : float
        Operating probability threshold.
    """

    model_name: ClassVar[str] = ""
    version = "1"
    license = "Weights: see the authors' repository Terms_of_use.txt; adapter: BSD-3-Clause"
    citation = _CITATION
    training_datasets = _PUBLISHED_FAMILY
    output_kind = "score"
    dilate_output = False
    input_units = "adu"
    default_threshold = 0.5
    # margin 24 px covers the receptive field: tiled BatchNorm output equals whole-frame output (tested);
    # batch_size (stamps per forward pass) changes speed only, not the scores (up to float rounding);
    # one stamp per pass is the fastest on CPU: a 256-px stamp's activations stay in cache, while
    # 16 stamps (134 MB per 32-channel activation) make GroupNorm, concatenation and ReLU
    # memory-bound (benchmarks/bench_unet_inference.py: 6.25 vs 7.93 CPU s/MP at 1 thread)
    default_params = {"weights": None, "stamp": 256, "margin": 24, "batch_size": 1}
    requires = ("torch",)
    install_hint = "pip install torch"
    #: whether ``--backend onnxruntime`` may run this network (:mod:`crbench.inference_backend`): only the
    #: BatchNorm models, whose exported outputs agree with eager ones to ~2e-6 (GroupNorm ones: up to 3.6e-5)
    runs_on_onnxruntime: ClassVar[bool] = False

    def __init__(self, **params):
        super().__init__(**params)
        for key in ("stamp", "margin", "batch_size"):
            self.params[key] = _as_int(self.params[key], name=f"{self.name}: {key}")
        stamp, margin = self.params["stamp"], self.params["margin"]
        if stamp < 8 or stamp % 4:
            raise InputError(f"{self.name}: stamp must be an integer multiple of 4 (>= 8), got {stamp!r}")
        if self.params["batch_size"] < 1:
            raise InputError(f"{self.name}: batch_size must be a positive integer, got {self.params['batch_size']!r}")
        if margin < 0 or stamp <= 2 * margin:
            raise InputError(f"{self.name}: margin must be an integer in [0, stamp/2), got {margin!r}")
        self._model = None
        self._onnx_network = None
        self._weights_file = None
        self._weights_sha256 = None
        self._metadata = {}
        if self.params["weights"] is not None:
            self._load_custom_metadata(Path(self.params["weights"]))

    def _load_custom_metadata(self, path):
        from ..models.checkpoints import read_checkpoint

        _, metadata = read_checkpoint(path)
        self._metadata = metadata
        family = metadata.get("dataset_family")
        # a foreign state dict carries no provenance: claim no training family
        self.training_datasets = (family,) if family else ()

    # ------------------------------------------------------------------ setup
    def default_weights_file(self):
        """Return the weights used when ``weights`` is None (the published DECam file)."""
        from ..weights import weights_path

        return weights_path(self.model_name)

    def setup(self, *, device="cpu"):
        import torch

        from ..hashing import file_sha256
        from ..models.checkpoints import load_model

        self.device = resolve_device(device)
        if self.params["weights"] is None:
            self._weights_file = self.default_weights_file()
        else:
            self._weights_file = Path(self.params["weights"])
        model, metadata = load_model(self.model_name, self._weights_file)
        self._weights_sha256 = file_sha256(self._weights_file)
        # channels-last convolutions run ~25 % faster on CPU for this network (same results to float precision)
        self._model = model.to(torch.device(self.device), memory_format=torch.channels_last).eval()
        self._onnx_network = None
        if selected_backend() == "onnxruntime":
            if not self.runs_on_onnxruntime:
                raise InputError(
                    f"{self.name}: not run on ONNX Runtime: its GroupNorm layers round differently there (up to "
                    "3.6e-5 per pixel measured on 256 px stamps, above the 1e-5 agreement rule); use --backend torch"
                )
            if self.device != "cpu":
                raise InputError(f"{self.name}: the onnxruntime backend runs on the CPU only; use --backend torch "
                                 f"for device {self.device!r}")
            # the network and its weights name the export; the check against eager PyTorch runs on every load
            try:
                self._onnx_network = OnnxRuntimeNetwork(
                    model, key=f"{self.model_name}:{self._weights_sha256}", multiple=4,
                    reference=lambda stamps: self._predict_eager(stamps[:, 0])[:, None],
                    check_side=min(self.params["stamp"], 512))
            except DetectorFailedError as error:
                raise DetectorFailedError(f"{self.name}: {error}") from None

    @classmethod
    def identity_hash(cls):
        """The code identity, plus the inference engine when it is not eager PyTorch.

        ONNX Runtime's maps agree with eager ones to 1e-5 but not bit for bit,
        so the score cache keeps them apart; eager maps keep the plain identity.
        """
        identity = super().identity_hash()
        backend = selected_backend()
        if backend == "torch" or not cls.runs_on_onnxruntime:
            return identity
        return hashlib.sha256(f"{identity}:{backend}".encode()).hexdigest()[:16]

    def info(self):
        info = super().info()
        if self._weights_file is not None:
            info["weights_file"] = str(self._weights_file)
            info["weights_sha256"] = self._weights_sha256
        if self.runs_on_onnxruntime and selected_backend() == "onnxruntime":
            # from the selection, not from setup: a run's parent process never sets up the detector its workers run
            info["inference_backend"] = backend_info("onnxruntime")
        if self._metadata:
            info["checkpoint"] = {key: value for key, value in self._metadata.items() if key != "format"}
        return info

    def torch_network(self):
        if self._model is None:
            return None
        # one stamp of the size the frame is cut into (at most the trained 256 px: the count per pixel
        # hardly depends on the side, and a large stamp would only make counting slow)
        return self._model, min(self.params["stamp"], 256)

    # ------------------------------------------------------------------ inference
    def predict_stamps(self, stamps):
        """Return the model's probabilities for stamps of shape ``(n, sy, sx)`` (sides multiples of 4)."""
        if self._onnx_network is not None:
            return self._onnx_network(np.asarray(stamps, dtype=np.float32)[:, None])[:, 0]
        return self._predict_eager(stamps)

    def _predict_eager(self, stamps):
        """:meth:`predict_stamps` in eager PyTorch (the reference path)."""
        import torch

        with torch.inference_mode():
            tensor = torch.from_numpy(np.ascontiguousarray(stamps, dtype=np.float32))[:, None]
            tensor = tensor.to(self.device).contiguous(memory_format=torch.channels_last)
            output = self._model(tensor)
        return output[:, 0].float().cpu().numpy()

    def prepare(self, image, *, meta):
        """Return the sky-subtracted float32 image the network expects (ADU).

        Non-finite pixels are set to the sky level (0 after subtraction) in a
        private copy; the caller's array is never modified.
        """
        if meta.units != self.input_units:
            raise InputError(
                f"{self.name}: expected an image in {self.input_units}, got {meta.units}; "
                "run it through crbench's runner, which converts units"
            )
        image, bad = private_copy(image, detector_name=self.name)
        prepared = subtract_sky(image, meta=meta)
        prepared[bad] = 0.0
        return prepared

    def detect(self, image, *, meta):
        if self._model is None:
            self.setup(device=self.device)
        prepared = self.prepare(image, meta=meta)
        scores = predict_tiled_batched(
            prepared,
            self.predict_stamps,
            stamp=self.params["stamp"],
            margin=self.params["margin"],
            multiple=4,
            batch_size=self.params["batch_size"],
        )
        return np.clip(scores, 0.0, 1.0).astype(np.float32, copy=False)


#: Default stamp of the BatchNorm models (deepcr, att_deepcr). Their tiled output equals whole-frame output
#: (tested to <= 1e-5; bit-identical on the test frames), so the stamp only sets the speed: 384 px cuts the
#: overlap of the 24-px margins from 1.51x (256 px) to 1.31x while a 32-channel activation (19 MB) still
#: fits in cache; 512 and 1024 px stamps were 1.7x and 3.3x slower than 384 (memory-bound), measured in one
#: run of benchmarks/bench_unet_inference.py --names deepcr att_deepcr --stamps 256 384 512 1024 (docs/decam_unets.md)
BATCHNORM_STAMP = 384


class DeepCRDecam(DECamUNetDetector):
    """deepCR-style UNet-3-32 with BatchNorm, trained on DECam."""

    name = "deepcr"
    default_params = {**DECamUNetDetector.default_params, "stamp": BATCHNORM_STAMP}
    runs_on_onnxruntime = True
    model_name = "deepcr"
    description = "deepCR-style UNet-3-32 (BatchNorm) trained on DECam by Bhavanam et al. 2022"


class AttDeepCRDecam(DECamUNetDetector):
    """deepCR-style UNet-3-32 with BatchNorm and attention gates, trained on DECam."""

    name = "att_deepcr"
    default_params = {**DECamUNetDetector.default_params, "stamp": BATCHNORM_STAMP}
    runs_on_onnxruntime = True
    model_name = "att_deepcr"
    description = "deepCR-style UNet-3-32 (BatchNorm) with attention gates, DECam (Bhavanam et al. 2022)"


class CosmicCoNNDecam(DECamUNetDetector):
    """Cosmic-CoNN-style UNet-3-32 with GroupNorm, trained on DECam."""

    name = "cosmic_conn"
    model_name = "cosmic_conn"
    description = "Cosmic-CoNN-style UNet-3-32 (GroupNorm) trained on DECam by Bhavanam et al. 2022"


class AttCosmicCoNNDecam(DECamUNetDetector):
    """Cosmic-CoNN-style UNet-3-32 with GroupNorm and attention gates, trained on DECam."""

    name = "att_cosmic_conn"
    model_name = "att_cosmic_conn"
    description = "Cosmic-CoNN-style UNet-3-32 (GroupNorm) with attention gates, DECam (Bhavanam et al. 2022)"
