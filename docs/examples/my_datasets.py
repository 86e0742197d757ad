"""A data set plug-in for crbench: labelled FITS frames in one folder (NAME.fits + NAME_crmask.fits)."""

from pathlib import Path

import numpy as np
from astropy.io import fits

from crbench.datasets import Dataset, DatasetCard, Sample, SampleMeta


class MyDataset(Dataset):
    card = DatasetCard(
        name="my_set",
        version="1",  # bump when the frames or the protocol change
        family="other",  # matched against detectors' training data
        description="My labelled frames: NAME.fits with its CR mask NAME_crmask.fits (1 = CR)",
        instrument="mycam",
        truth_dilation=3,
        detector_params={},  # none: classical detectors run at their upstream defaults
        splits=("test",),
        kind="user",  # its own leaderboard section, in no ranking
    )

    def _folder(self):
        return Path(self.data_dir or "my_set_data")  # --data-dir DIR

    def sample_ids(self, split):
        self.check_split(split)
        names = (path.name.removesuffix(".fits") for path in self._folder().glob("*.fits"))
        return sorted(name for name in names if not name.endswith("_crmask"))

    def load_sample(self, split, sample_id):
        self.check_split(split)
        with fits.open(self._folder() / f"{sample_id}.fits") as hdus:
            image, header = hdus[0].data.astype(np.float32), hdus[0].header
        truth = fits.getdata(self._folder() / f"{sample_id}_crmask.fits") == 1
        meta = SampleMeta(instrument="mycam", units="adu", gain=header["GAIN"], read_noise=header["RDNOISE"],
                          saturation=header["SATURATE"])
        return Sample(sample_id, image, truth, np.zeros(image.shape, dtype=bool), meta)
