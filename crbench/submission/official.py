"""The official splits a submission is scored on, and their identities (version, manifest hash)."""

from dataclasses import dataclass

from ..datasets import manifest_hash
from ..jobs.build import build_dataset
from ..jobs.plan import plan_rebuild

__all__ = ["OfficialSplit", "official_jobs", "official_datasets", "official_split"]


@dataclass(frozen=True)
class OfficialSplit:
    """One split a leaderboard entry needs, as crbench builds it here.

    Attributes
    ----------
    dataset, size, split : str
    version : str
        The data set card's version.
    manifest_hash : str
        :func:`crbench.datasets.manifest_hash` of the split's images.
    sample_sha256 : dict of str to str
        ``{sample_id: sha256}`` of every image (:func:`crbench.datasets.sample_sha256`).
    """

    dataset: str
    size: str
    split: str
    version: str
    manifest_hash: str
    sample_sha256: dict

    @property
    def key(self):
        """``dataset/size/split``."""
        return f"{self.dataset}/{self.size}/{self.split}"


def official_jobs(detector, *, datasets=None, size="small"):
    """The leaderboard's jobs of ``detector``: :func:`crbench.jobs.plan_rebuild`'s selection and parameters.

    Parameters
    ----------
    detector : str
        Registry name.
    datasets : list of str, optional
        Default: the leaderboard's data sets (every ``sim_*`` and real one).
    size : str
        Applies to data sets that have it.

    Returns
    -------
    list of crbench.jobs.Job
        Empty when the detector cannot run here (see ``plan_rebuild``'s skipped list).
    """
    jobs, _ = plan_rebuild(detectors=[detector], datasets=list(datasets) if datasets else None, size=size)
    return jobs


def official_datasets(*, datasets=None, size="small"):
    """``[(data set, size)]`` of the leaderboard's splits, whichever detector is submitted.

    The selection and sizes are :func:`crbench.jobs.plan_rebuild`'s, read
    from a plan for the always-available ``oracle`` test double, so that a
    validator lists the official splits without the submitted detector installed.
    """
    jobs, _ = plan_rebuild(detectors=["oracle"], datasets=list(datasets) if datasets else None, size=size)
    return [(job.dataset, job.size) for job in jobs]


def official_split(dataset, *, size, split="test"):
    """Build ``dataset`` and return its :class:`OfficialSplit` (hashes every image of the split)."""
    built, _ = build_dataset(dataset, size=size)
    hashes = built.manifest(split)
    return OfficialSplit(dataset=built.name, size=built.size, split=split, version=built.card.version,
                         manifest_hash=manifest_hash(hashes), sample_sha256=hashes)
