"""Detectors whose default weights were trained by ``crbench train`` and ship with crbench.

The DECam TransUNet study (``reference/transunet_results.csv``) compared a
small TransUNet with U-Net baselines; it released no weights. crbench trains
both kinds on ``sim_decam`` with one fixed CPU budget and ships the
checkpoints in ``crbench/models/trained/`` with their training records
(``<name>_sim_decam.json`` beside each ``.pth``, including the command that
reproduces the run).

- ``transunet_small``: :class:`crbench.models.TransUNet` (hidden 60, MLP 64,
  6 layers, 6 heads, GroupNorm).
- ``att_unet``: the study's Attention-UNet baseline, the same network as
  ``att_cosmic_conn`` (GroupNorm UNet-3-32 with attention gates), trained
  from scratch.

Everything else (input convention: ADU, sky-subtracted; tiling; threshold
0.5; ``weights=PATH`` for another checkpoint) is inherited from
:class:`~crbench.detectors.decam_unets.DECamUNetDetector`. The default
stamp is the training stamp (128 px): the networks' GroupNorm layers (and
the TransUNet's positional embedding) make outputs depend on the stamp size.
"""

from pathlib import Path
from typing import ClassVar

from .decam_unets import DECamUNetDetector

__all__ = ["TRAINED_DIR", "CrbenchTrainedDetector", "TransUNetSmallSimDecam", "AttUNetSimDecam"]

#: Where the shipped checkpoints live (package data).
TRAINED_DIR = Path(__file__).resolve().parent.parent / "models" / "trained"

_TRANSUNET_CITATION = (
    "Chen, J. et al. 2021, 'TransUNet: Transformers Make Strong Encoders for Medical Image Segmentation', "
    "arXiv:2102.04306; small DECam variant after the study accompanying Bhavanam et al. 2022 "
    "(Astronomy and Computing 40, 100625); weights trained by crbench"
)


class CrbenchTrainedDetector(DECamUNetDetector):
    """A network of :data:`crbench.models.MODEL_CONFIGS` with a checkpoint shipped in the package.

    With ``weights=None`` the shipped checkpoint ``bundled_checkpoint`` (in
    :data:`TRAINED_DIR`) is loaded, and the detector version carries the
    first 12 hex digits of its SHA-256 so that a retrained checkpoint never
    reuses cached scores of the old one.
    """

    bundled_checkpoint: ClassVar[str] = ""
    version = "1"
    license = "BSD-3-Clause (code and crbench-trained weights)"
    training_datasets = ("sim_decam",)
    default_params = {**DECamUNetDetector.default_params, "stamp": 128}

    def __init__(self, **params):
        super().__init__(**params)
        if self.params["weights"] is None:
            from ..hashing import file_sha256

            path = self.default_weights_file()
            if path.is_file():
                self._load_custom_metadata(path)
                self.version = f"{type(self).version}+{file_sha256(path)[:12]}"

    def default_weights_file(self):
        """Return the shipped checkpoint's path."""
        return TRAINED_DIR / self.bundled_checkpoint


class TransUNetSmallSimDecam(CrbenchTrainedDetector):
    """Small TransUNet (CNN encoder + 6-layer transformer, GroupNorm) trained on sim_decam by crbench."""

    name = "transunet_small"
    model_name = "transunet_small"
    bundled_checkpoint = "transunet_small_sim_decam.pth"
    citation = _TRANSUNET_CITATION
    description = "Small TransUNet (hidden 60, 6 layers, 6 heads, GroupNorm) trained on sim_decam by crbench"


class AttUNetSimDecam(CrbenchTrainedDetector):
    """Attention-UNet baseline (the att_cosmic_conn network) trained on sim_decam by crbench."""

    name = "att_unet"
    model_name = "att_unet"
    bundled_checkpoint = "att_unet_sim_decam.pth"
    citation = (
        "Bhavanam, S. R., Channappayya, S. S., Srijith, P. K., Desai, S. 2022, Astronomy and Computing 40, 100625 "
        "(architecture); weights trained by crbench"
    )
    description = "Attention UNet-3-32 (GroupNorm, = att_cosmic_conn network) trained on sim_decam by crbench"
