"""``decam_inject``: real cosmic-ray footprints injected into real, CR-cleaned DECam sky.

What a sample is
----------------
One of the ten ``decam_stack`` frames with its own cosmic rays replaced from
the other frames of its night (:meth:`DecamStack.load_cleaned_frames
<crbench.datasets.decam_stack.DecamStack.load_cleaned_frames>`), plus real
cosmic-ray footprints from the LSST ITL dark-frame catalogue
(:func:`crbench.simulate.inject_real_cosmic_rays`):

- footprints reshaped from ITL's 10 um / 100 um sensor to DECam's 15 um /
  250 um (tracks stretched along their axis by 1.67, charge per um of
  silicon kept; spots and worms unchanged: ``docs/real_cosmic_rays.md``);
- at the DECam profile's event rate times the real library's calibration
  factor (:func:`crbench.simulate.real_cosmics.real_event_rate`: the CR
  pixel fraction of the physics model, itself calibrated to Desai et al.
  2016) over the frame's 330 s, i.e. about 1.7 footprints centred in a
  256 x 256 frame;
- truth: injected charge above 2.5 local noise sigmas (the simulator's
  rule, the noise measured on the frame), undilated; the card dilates it
  3 x 3 as for every DECam set;
- pixels over the frame's saturation (above the subtracted sky) are clipped
  to it, as the camera would; they stay truth.

Each frame is used :data:`N_REALISATIONS` times with independent draws
(sample id ``<frame>-r<k>``), so the set holds a few hundred CR objects on
real sky. The realisations of one frame share its sky, and all ten frames
show one field: the bootstrap over images (no strata) covers the draw of
the cosmic rays much better than the variety of sky, which one field cannot
give. Ignored pixels are the stack builder's (bright-source cores, frames
that disagree, the halo of a removed CR): a cosmic ray the builder could not
check may remain there. The replaced pixels of a cleaned frame carry the
combination's noise, a little lower than a frame's.

Every sample is generated deterministically from ``SeedSequence(SEED,
spawn_key=(frame index, realisation))`` with integer draws only, so it does
not depend on the CPU.
"""

import dataclasses

import numpy as np

from ..errors import InputError
from .base import Dataset, DatasetCard, Sample
from .decam_stack import REAL_DECAM_PROTOCOL, DecamStack

__all__ = ["DecamInject", "N_REALISATIONS", "SEED"]

#: independent injections per cleaned frame (10 frames: 200 samples, about 340 footprints)
N_REALISATIONS = 20
#: root seed of the injections
SEED = 20261129


class DecamInject(Dataset):
    """Real ITL cosmic-ray footprints in the ten CR-cleaned real DECam frames of ``decam_stack``.

    Parameters
    ----------
    size : str, optional
        Only ``"default"``.
    data_dir : None
        Not used: the frames come from ``decam_stack`` (fetched and verified),
        the footprints from the imSim catalogue (:mod:`crbench.reference_data`).
    """

    card = DatasetCard(
        name="decam_inject",
        version="1",
        description=(
            "Real LSST ITL dark-frame cosmic-ray footprints (imSim catalogue, reshaped to DECam's 15 um / "
            "250 um pixels) injected at DECam's rate into the ten real DECam frames of decam_stack after "
            "their own CRs were replaced from the stack: real sky and real CR morphologies with exact "
            f"truth (injected charge above 2.5 local sigma). {N_REALISATIONS} independent injections per "
            "frame, sky-subtracted ADU, 330 s, i band. Family 'decam_real', as decam_stack."
        ),
        **REAL_DECAM_PROTOCOL,
        source=("decam_stack's frames (thomasvrussell/sfft@fa820e8b05ed, NOIRLab DECam archive) cleaned by "
                "the stack builder; footprints from LSSTDESC/imSim@724513674cf7 data/cosmic_rays_itl_2017.fits.gz"),
        citation=("NOIRLab Astro Data Archive (DECam Community Pipeline); sfft repository (thomasvrussell/sfft); "
                  "LSST DESC imSim cosmic-ray catalogue"),
        license="sfft: MIT; imSim: BSD-3-Clause; DECam pixels: NOIRLab public archive data",
        size_note=f"10 frames x {N_REALISATIONS} injections of 256 x 256 (13.1 Mpix), generated on load",
        caveat=(
            f"One field: {N_REALISATIONS} injections into each of 10 frames share their sky, so the intervals "
            "cover the draw of the cosmic rays, not the variety of sky. ITL footprints keep ITL's diffusion "
            "and lose their faint wings (catalogue threshold); cosmic rays the stack could not see may remain "
            "in ignored pixels."
        ),
    )

    def __init__(self, *, size=None, data_dir=None):
        if data_dir is not None:
            raise InputError("decam_inject builds on decam_stack, which fetches its own frames; for an offline copy "
                             "set CRBENCH_REFERENCE_DIR instead of --data-dir")
        super().__init__(size=size, data_dir=None)
        self._frames = None

    def _cleaned(self):
        if self._frames is None:
            self._frames = DecamStack().load_cleaned_frames()
        return self._frames

    def check_available(self):
        """Fetch (verified) and build the stack on first use, and read the footprint catalogue."""
        self._cleaned()
        self._library()

    @staticmethod
    def _profile():
        from ..simulate.profiles import get_profile

        return get_profile("decam")

    def _library(self):
        from ..simulate.real_cosmics import itl_footprint_library

        return itl_footprint_library(profile=self._profile())

    def sample_ids(self, split):
        self.check_split(split)
        return [f"{frame.sample_id}-r{k:02d}" for frame in self._cleaned() for k in range(N_REALISATIONS)]

    def _locate(self, sample_id):
        frame_id, _, realisation = sample_id.rpartition("-r")
        for index, frame in enumerate(self._cleaned()):
            if frame.sample_id == frame_id and realisation.isdigit() and int(realisation) < N_REALISATIONS:
                return index, frame, int(realisation)
        raise InputError(f"sample id {sample_id!r} is not in split 'test' of decam_inject")

    def load_sample(self, split, sample_id):
        from ..simulate import inject_real_cosmic_rays
        from ..simulate.cosmics import EVENT_KINDS

        self.check_split(split)
        index, frame, realisation = self._locate(sample_id)
        rng = np.random.default_rng(np.random.SeedSequence(SEED, spawn_key=(index, realisation)))
        meta = frame.meta
        injected = inject_real_cosmic_rays(
            frame.image.astype(np.float64), units=meta.units, gain=meta.gain, exposure_time=meta.exposure_time,
            profile=self._profile(), rng=rng, library=self._library(), ignore=frame.ignore,
        )
        # the camera saturates above the subtracted sky at meta.saturation; a clipped CR pixel stays truth
        image = np.minimum(injected.image, meta.saturation).astype(np.float32)
        extra = dict(meta.extra, event_kinds=list(EVENT_KINDS), frame=frame.sample_id, realisation=realisation,
                     n_footprints=int(injected.cosmic_rays.events["kind"].size))
        to_image = 1.0 / meta.gain if meta.units == "adu" else 1.0
        extras = {"objects": injected.objects,
                  "cr_model": (injected.cosmic_rays.charge * to_image).astype(np.float32)}
        return Sample(sample_id, image, injected.truth, frame.ignore.copy(), dataclasses.replace(meta, extra=extra),
                      extras)
