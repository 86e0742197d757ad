"""Training-family honesty: what a detector was trained on, and whether it saw a test image.

Every submission declares its training data: the data set families of the
detector's ``training_datasets``, or an explicit statement that it was
trained on nothing (a fixed rule). Evaluations on a family it was trained on
are marked † on the leaderboard (:attr:`crbench.records.RunRecord.trained_on_family`).
The submitter may list the :func:`crbench.datasets.sample_sha256` of every
training image; one that is also an image of an official test split refuses
the submission.
"""

import re
from pathlib import Path

from ..errors import InputError

__all__ = ["TRAINING_HASHES_NAME", "read_training_hashes", "training_overlap", "declaration_problems"]

#: Where a bundle keeps the submitter's training-image hashes.
TRAINING_HASHES_NAME = "training_hashes.txt"

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def read_training_hashes(path):
    """Read one sha256 per line (blank lines and ``#`` comments skipped); return them as a set.

    Raises
    ------
    InputError
        When a line is not 64 hex digits (naming the file and the line).
    """
    hashes = set()
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        text = line.split("#", 1)[0].strip().lower()
        if not text:
            continue
        if not _SHA256.match(text):
            raise InputError(f"{path}, line {number}: {line.strip()!r} is not a sha256 (64 hex digits); list the "
                             "crbench.datasets.sample_sha256 of each training image, one per line")
        hashes.add(text)
    return hashes


def training_overlap(training_hashes, splits):
    """Count the training images that are also images of official splits.

    Parameters
    ----------
    training_hashes : set of str
    splits : iterable of crbench.submission.official.OfficialSplit

    Returns
    -------
    dict of str to int
        ``split key -> number of shared hashes``, only splits with at least one.
    """
    overlap = {}
    for split in splits:
        shared = len(set(split.sample_sha256.values()) & set(training_hashes))
        if shared:
            overlap[split.key] = shared
    return overlap


def declaration_problems(training):
    """What is wrong with a submission's ``training`` section (empty list when it is a declaration).

    A declaration is ``{"datasets": [families...], "untrained": bool}``:
    either at least one family, or ``untrained`` true and no family.
    """
    if not isinstance(training, dict):
        return ["the submission does not declare its training data (no 'training' section)"]
    families, untrained = training.get("datasets"), training.get("untrained")
    if not isinstance(families, list) or not all(isinstance(name, str) and name for name in families):
        return ["'training.datasets' must be a list of data set family names"]
    if not isinstance(untrained, bool):
        return ["'training.untrained' must say true or false"]
    if not families and not untrained:
        return ["the submission does not declare its training data: list the families it was trained on, or "
                "state that it was trained on nothing (crbench submit --untrained)"]
    if families and untrained:
        return ["'training' lists training data sets and also says the detector was trained on nothing"]
    return []
