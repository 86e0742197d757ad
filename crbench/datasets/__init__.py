"""Data sets (simulated and real) and their registry.

Built-in data sets are listed in :data:`BUILTIN_DATASETS`; third-party data
sets register through the ``crbench.datasets`` entry-point group.
"""

from ..errors import UnknownNameError
from ..registry import Registry
from .base import Dataset, DatasetCard, Sample, SampleMeta, manifest_hash, sample_sha256

__all__ = [
    "Dataset",
    "DatasetCard",
    "Sample",
    "SampleMeta",
    "DATASETS",
    "BUILTIN_DATASETS",
    "get_dataset_class",
    "manifest_hash",
    "sample_sha256",
]

BUILTIN_DATASETS = {
    # a few seeded toy frames for harness tests and mock runs
    "tiny": "crbench.datasets.tiny:TinyDataset",
    # physically grounded simulations with exact labels (crbench.simulate)
    "sim_decam": "crbench.datasets.sim:SimDecam",
    "sim_lco_0m4": "crbench.datasets.sim:SimLco0m4",
    "sim_lco_1m": "crbench.datasets.sim:SimLco1m",
    "sim_lco_2m": "crbench.datasets.sim:SimLco2m",
    # stress variants of sim_decam: one hard condition each, scored in their own leaderboard section
    "sim_decam_unmasked": "crbench.datasets.sim:SimDecamUnmasked",
    "sim_decam_sharp": "crbench.datasets.sim:SimDecamSharp",
    "sim_decam_crowded": "crbench.datasets.sim:SimDecamCrowded",
    "sim_decam_itlcr": "crbench.datasets.sim:SimDecamItlcr",
    # real data: the LCO CR data set (Zenodo), one entry per telescope class
    "lco_0m4": "crbench.datasets.lco:LCO0m4Dataset",
    "lco_1m": "crbench.datasets.lco:LCO1mDataset",
    "lco_2m": "crbench.datasets.lco:LCO2mDataset",
    # real data: DECam patches of Bhavanam et al. 2022 (user-supplied npy files)
    "decam": "crbench.datasets.decam:DECamDataset",
    # real data: ten DECam exposures of one field with CR truth from the stack (crbench.stack)
    "decam_stack": "crbench.datasets.decam_stack:DecamStack",
    # real sky and real CRs: ITL dark-frame CR footprints injected into decam_stack's CR-cleaned frames
    "decam_inject": "crbench.datasets.decam_inject:DecamInject",
}



class _DatasetRegistry(Registry):
    """The data set registry, which also resolves built stack folders and user cards.

    Folders built by ``crbench datasets from-stack`` and cards written by
    ``crbench datasets add`` (a path, or a name in the user's config
    folder) are found by name without registration; registered names win.
    """

    def get(self, name):
        """Import and return the class registered as ``name``; else a stack folder's or user card's bound class."""
        try:
            return super().get(name)
        except UnknownNameError:
            from .stack import find_stack_folder, stack_dataset_class

            folder = find_stack_folder(name)
            if folder is not None:
                return stack_dataset_class(folder)
            from .user import user_dataset_class
            from .user_card import find_user_card

            card = find_user_card(name)
            if card is None:
                raise
            return user_dataset_class(card)


DATASETS = _DatasetRegistry("dataset", "crbench.datasets", BUILTIN_DATASETS)


def get_dataset_class(name):
    """Return the data set class registered as ``name`` (or an import path)."""
    return DATASETS.get(name)
