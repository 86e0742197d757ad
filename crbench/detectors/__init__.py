"""Cosmic-ray detector adapters and their registry.

Built-in detectors are listed in :data:`BUILTIN_DETECTORS` as lazy
``"module:Class"`` strings; third-party detectors register through the
``crbench.detectors`` entry-point group.
"""

from ..registry import Registry
from .base import Detector, convert_units, params_hash
from .plugin_checks import check_detector_class

__all__ = ["Detector", "DETECTORS", "BUILTIN_DETECTORS", "convert_units", "params_hash", "get_detector_class"]

BUILTIN_DETECTORS = {
    # test doubles: prove the harness end to end
    "oracle": "crbench.detectors.doubles:OracleDetector",
    "constant": "crbench.detectors.doubles:ConstantDetector",
    "random": "crbench.detectors.doubles:RandomDetector",
    # established detectors, wrapped from their upstream packages
    "astroscrappy": "crbench.detectors.astroscrappy_adapter:AstroScrappy",
    "lacosmic": "crbench.detectors.lacosmic_adapter:LACosmic",
    "cosmic_conn_pretrained": "crbench.detectors.cosmic_conn_adapter:CosmicCoNNPretrained",
    "cosmic_conn_hst": "crbench.detectors.cosmic_conn_adapter:CosmicCoNNHST",
    "cosmic_conn_nres": "crbench.detectors.cosmic_conn_adapter:CosmicCoNNNRES",
    "deepcr_pretrained": "crbench.detectors.deepcr_adapter:DeepCRPretrained",
    "maximask": "crbench.detectors.maximask_adapter:MaxiMask",
    # UNet-3-32 family of Bhavanam et al. 2022 (published DECam weights or crbench-trained)
    "deepcr": "crbench.detectors.decam_unets:DeepCRDecam",
    "att_deepcr": "crbench.detectors.decam_unets:AttDeepCRDecam",
    "cosmic_conn": "crbench.detectors.decam_unets:CosmicCoNNDecam",
    "att_cosmic_conn": "crbench.detectors.decam_unets:AttCosmicCoNNDecam",
    # trained by crbench on sim_decam; checkpoints ship in crbench/models/trained/
    "transunet_small": "crbench.detectors.crbench_trained:TransUNetSmallSimDecam",
    "att_unet": "crbench.detectors.crbench_trained:AttUNetSimDecam",
}

# every class loaded is checked: a concrete Detector with a safe name (crbench.detectors.plugin_checks)
DETECTORS = Registry("detector", "crbench.detectors", BUILTIN_DETECTORS, check=check_detector_class)


def get_detector_class(name):
    """Return the detector class registered as ``name`` (or an import path)."""
    return DETECTORS.get(name)
