"""``decam_stack``: ten real DECam exposures of one field, CR truth from the stack itself.

Source
------
The ``decam_stack_sfft`` reference set (:mod:`crbench.reference_data`):
ten 256 x 256 cut-outs of DECam CCD N6 (i band, 330 s, sky-subtracted ADU)
from the NOIRLab Community Pipeline, as published in the sfft repository
(MIT). They are fetched from their pinned URLs and verified by sha256
(pooch); ``$CRBENCH_REFERENCE_DIR`` may hold a verified offline copy. One
frame (``DEC-OBS04a``) is on its native grid, nine were LANCZOS3-resampled
onto it. Five frames are from the night of 2018-08-04, five from 2016-08-18
(night from the header ``EXP_BN``; ``DATE-OBS`` of the resampled frames is
wrong).

Truth
-----
:func:`crbench.stack.build_stack_truth` with ``groups`` = observing night:
every frame is compared with the other four of its night, because sources of
the field changed between 2016 and 2018. Gain and read noise come from the
header (``GAIN``, ``RDNOISE``), the saturation above the subtracted sky from
``ESATUR`` (:func:`crbench.realism.decam_sky.load_decam_stack`). The built
products are cached in ``$CRBENCH_CACHE/datasets/decam_stack/<key>/``, the
key naming the builder parameters, the input files' sha256 and the hash of
the ``crbench.stack`` source, so a change to any of them rebuilds.

The set holds few cosmic-ray objects (docs/real_data.md lists them per
frame): it is a sanity check on real pixels, and its intervals are wide.
"""

import hashlib
import json
from dataclasses import dataclass

import numpy as np

from ..cache import cache_root
from ..errors import InputError
from ..stack import StackParams, build_stack_truth
from ..stack.folder import is_stack_folder, stack_code_hash, write_stack_folder
from .base import Dataset, DatasetCard, SampleMeta
from .sim import _protocol
from .stack import StackDataset

__all__ = ["DecamStack", "CleanedFrame", "DECAM_STACK_PARAMS", "REAL_DECAM_PROTOCOL"]

_REFERENCE_SET = "decam_stack_sfft"
#: card fields shared by the real DECam sets (decam_stack, decam_inject): one family, sim_decam's protocol
REAL_DECAM_PROTOCOL = {
    "family": "decam_real",
    "instrument": "decam",
    "truth_dilation": 3,
    "ignore_policy": "exclude",
    "detector_params": _protocol(1.0, 3.0),
    "splits": ("test",),
    "kind": "real",
}
#: builder parameters of decam_stack (the defaults; stated so that a change of default is a new cache key)
DECAM_STACK_PARAMS = StackParams()


@dataclass(frozen=True)
class CleanedFrame:
    """One decam_stack frame with its cosmic rays replaced from the other frames of its night.

    Attributes
    ----------
    sample_id : str
    image : ndarray of float32
        Sky-subtracted ADU; CR pixels (grown by one pixel) hold the scaled
        median of the other frames, whose noise is lower than a frame's.
    ignore : ndarray of bool
        Pixels the builder could not check (saturated, bright-source cores,
        inconsistent frames): CRs there may remain.
    meta : SampleMeta
    """

    sample_id: str
    image: np.ndarray
    ignore: np.ndarray
    meta: SampleMeta


class DecamStack(Dataset):
    """Ten real DECam CCD N6 frames (i, 330 s) with CR truth from the same-night stack.

    Parameters
    ----------
    size : str, optional
        Only ``"default"``.
    data_dir : None
        Not used: the frames are fetched and verified through
        :mod:`crbench.reference_data` (offline: ``$CRBENCH_REFERENCE_DIR``).
    """

    card = DatasetCard(
        name="decam_stack",
        version="1",
        description=(
            "Ten real DECam Community Pipeline exposures of one field (CCD N6, i band, 330 s, 256x256, "
            "sky-subtracted ADU; one on its native grid, nine LANCZOS3-resampled onto it) with CR truth "
            "from comparison with the other frames of the same night (crbench datasets from-stack method). "
            "Holds few CR objects (about two dozen), so its intervals are wide: a sanity check on real "
            "pixels, not a ranking. Truth is complete only above the builder's 5-sigma seeds; bright-source "
            "cores and frames that disagree are ignored. Family 'decam_real', not 'decam': the published "
            "DECam models were trained on other fields and CCDs of family 'decam', so these frames are "
            "data they have never seen."
        ),
        **REAL_DECAM_PROTOCOL,
        source=("thomasvrussell/sfft@fa820e8b05ed (test/difference_noise_decorrelation/input_data), fetched by "
                "URL with sha256 verification; pixels from the NOIRLab DECam archive"),
        citation=("NOIRLab Astro Data Archive, DECam Community Pipeline InstCal products (exposures "
                  "c4d_180804_* and c4d_160818_*); Hu, Wang et al., sfft repository (thomasvrussell/sfft)"),
        license="sfft repository: MIT; DECam pixels: NOIRLab public archive data",
        size_note="10 FITS files of 0.5 MB, fetched on first use",
        bootstrap_strata=None,
        caveat=("22 CR objects in 10 frames of one field: a sanity check on real pixels with wide intervals, "
                "not a ranking. The truth is complete only above a CR peak S/N of about 8 (the builder's "
                "measured recall), so some 'false positives' of a sensitive detector may be faint real CRs."),
    )
    #: shown by ``crbench list datasets`` when the frames cannot be had
    download_command = ("fetched from the pinned URLs on first use (network once); offline: set "
                        "CRBENCH_REFERENCE_DIR to a verified copy")

    def __init__(self, *, size=None, data_dir=None):
        if data_dir is not None:
            raise InputError("decam_stack fetches its own frames; for an offline copy set CRBENCH_REFERENCE_DIR "
                             "instead of --data-dir")
        super().__init__(size=size, data_dir=None)
        self._built = None

    @staticmethod
    def _digests():
        """``{file name: sha256}`` of the ten frames, as registered (the files are checked against it)."""
        from ..reference_data import REFERENCE_SETS

        return {entry.file_name: entry.sha256 for entry in REFERENCE_SETS[_REFERENCE_SET][1]}

    @staticmethod
    def _cache_key(digests):
        canonical = json.dumps({"params": DECAM_STACK_PARAMS.to_dict(), "inputs": digests,
                                "stack_code": stack_code_hash(), "card_version": DecamStack.card.version},
                               sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:20]

    def built(self):
        """Return the :class:`StackDataset` of the built folder, building it on first use."""
        if self._built is None:
            folder = cache_root() / "datasets" / self.name / self._cache_key(self._digests()) / self.name
            if not is_stack_folder(folder):
                self._build(folder)
            self._built = StackDataset(data_dir=folder)
        return self._built

    def _build(self, folder):
        from ..realism.decam_sky import load_decam_stack
        from ..reference_data import reference_paths

        paths = reference_paths(_REFERENCE_SET)
        frames, digests = load_decam_stack(paths), self._digests()
        results = build_stack_truth([frame.image for frame in frames], gains=[frame.gain for frame in frames],
                                    read_noises=[frame.read_noise for frame in frames],
                                    saturations=[frame.saturation for frame in frames],
                                    groups=[frame.night for frame in frames], params=DECAM_STACK_PARAMS)
        samples = []
        for frame, result in zip(frames, results):
            meta = SampleMeta(
                instrument="decam", units="adu", gain=frame.gain, read_noise=frame.read_noise,
                saturation=frame.saturation, band="i", exposure_time=frame.exposure_time,
                sky_level=frame.sky_level, sky_subtracted=True,
                extra={"exposure": frame.exposure, "night": frame.night, "resampled": frame.resampled,
                       "sky_source": frame.sky_source},
            )
            samples.append((frame.name, frame.image, meta, result))
        write_stack_folder(
            folder, card=self.card, samples=samples, params=DECAM_STACK_PARAMS,
            builder_options={"aligned": True, "groups": "observing night from EXP_BN",
                             "gain": {"keyword": "GAIN"}, "read_noise": {"keyword": "RDNOISE"},
                             "saturation": {"keyword": "ESATUR"}},
            inputs=[{"sample_id": frame.name, "file": path.name, "sha256": digests[path.name]}
                    for frame, path in zip(frames, paths)],
        )

    def check_available(self):
        """Fetch (verified) and build on first use; raises DownloadError or ChecksumError when it cannot."""
        self.built()

    def sample_ids(self, split):
        self.check_split(split)
        return self.built().sample_ids(split)

    def load_sample(self, split, sample_id):
        self.check_split(split)
        return self.built().load_sample(split, sample_id)

    def manifest(self, split):
        self.check_split(split)
        return self.built().manifest(split)

    def load_cleaned_frames(self):
        """Return every frame with its cosmic rays replaced (for injecting real CRs into real sky).

        Returns
        -------
        list of CleanedFrame
            In sample-id order.
        """
        built = self.built()
        frames = []
        for sample_id in built.sample_ids("test"):
            sample = built.load_sample("test", sample_id)
            frames.append(CleanedFrame(sample_id, built.load_cleaned(sample_id), sample.ignore, sample.meta))
        return frames
