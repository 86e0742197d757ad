"""``maximask``: the cosmic-ray class of MaxiMask (Paillassa et al. 2020).

MaxiMask is a 14-class contaminant segmentation network distributed on PyPI
with its TensorFlow SavedModel. This adapter loads that model with
``tf.saved_model.load`` and runs upstream's own preprocessing
(``utils.image_norm``: clipping to [-500, 80000], background and noise
normalisation on 200-px meshes) and block inference
(``MaxiMask_inference.get_block_coords`` and ``process_batch``: 400-px
blocks at a 200-px stride, centres kept) with only class 0 (CR) requested, priors unmodified (the
training priors, i.e. upstream's ``--prior_modif False``) and no
thresholding, so the output is the CR probability. The operating threshold is
0.43, upstream's ``classes.thresh`` value for CR.

Frames smaller than one 400-px block are reflect-padded to 400 px (upstream
refuses them); a frame of all zeros gets probability 0, as upstream returns.
Non-finite pixels are set to 0 in a private copy (upstream sets NaN to 0).

Units: ADU. Upstream clips at 80000 and -500, levels meant for raw counts,
and was trained on frames in ADU. No dilation: MaxiMask was trained on
dilated CR masks (Bhavanam et al. 2022 do not dilate its output).

Optional extra: ``pip install crbench[maximask]`` (MaxiMask + TensorFlow).
"""

import os
from pathlib import Path

import numpy as np

from ..tiling import pad_to_multiple
from ._inputs import private_copy
from .base import Detector

__all__ = ["MaxiMask", "BLOCK_SIZE"]

#: side of MaxiMask's input blocks; smaller frames are padded to it
BLOCK_SIZE = 400
_N_CLASSES = 14
_CR_CLASS = 0


class MaxiMask(Detector):
    """MaxiMask's CR probability map.

    Parameters
    ----------
    threshold : float
        Operating threshold (0.43, upstream's CR threshold).
    batch_size : int
        Blocks per TensorFlow call (upstream default 8).
    """

    name = "maximask"
    version = "1.4-1"
    description = "MaxiMask contaminant CNN, cosmic-ray class probability (priors unmodified)"
    citation = "Paillassa, Bertin & Bouy 2020, A&A 634, A48 (doi:10.1051/0004-6361/201936345, arXiv:1907.08298)"
    license = "MIT"
    output_kind = "score"
    dilate_output = False
    input_units = "adu"
    default_threshold = 0.43
    requires = ("maximask_and_maxitrack", "tensorflow")
    install_hint = "pip install crbench[maximask]"
    default_params = {"batch_size": 8}

    def __init__(self, **params):
        super().__init__(**params)
        self.model = None
        self.inference = None
        self._tf_device = "/CPU:0"

    def setup(self, *, device="cpu"):
        self.check_available()
        # quiet TensorFlow's C++ start-up chatter unless the user chose a level
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tensorflow as tf
        from maximask_and_maxitrack.maximask import maximask as upstream

        super().setup(device=device)
        net_dir = Path(upstream.__file__).resolve().parent / "model"
        self._tf_device = "/GPU:0" if device.startswith("cuda") else "/CPU:0"
        with tf.device(self._tf_device):
            self.model = tf.saved_model.load(str(net_dir))
        class_flags = np.zeros(_N_CLASSES, dtype=bool)
        class_flags[_CR_CLASS] = True
        # priors=None: no prior modification; thresholds=None: probabilities;
        # sing_mask=False: one map per requested class
        self.inference = upstream.MaxiMask_inference(
            None, str(net_dir), class_flags, None, None, False, int(self.params["batch_size"])
        )

    def detect(self, image, *, meta):
        from maximask_and_maxitrack import utils

        if self.model is None:
            self.setup(device=self.device)
        data, _ = private_copy(image, detector_name=self.name)
        ny, nx = data.shape
        if not np.any(data):
            return np.zeros((ny, nx), dtype=np.float32)
        data, _ = pad_to_multiple(data, multiple=1, minimum=BLOCK_SIZE)
        normalised, _seconds = utils.image_norm(data)
        probability = np.zeros(normalised.shape + (1,), dtype=np.float32)
        self._run_blocks(normalised, probability)
        return np.clip(probability[:ny, :nx, 0], 0.0, 1.0)

    def _run_blocks(self, normalised, probability):
        """Upstream ``process_image`` with each block inferred once.

        Upstream's loop re-runs the last partial batch after every full batch
        (an indentation slip): the result is the same, only slower. Here the
        same blocks (``get_block_coords``) go through upstream's
        ``process_batch`` once each, in the same order.
        """
        import tensorflow as tf

        blocks = self.inference.get_block_coords(*normalised.shape)
        batch_size = self.inference.batch_size
        with tf.device(self._tf_device):
            for start in range(0, len(blocks), batch_size):
                self.inference.process_batch(normalised, probability, self.model, blocks[start : start + batch_size])
