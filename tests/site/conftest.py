"""Fixtures of the site tests: synthetic records, and a subset of the committed leaderboard records."""

import json
import shutil
from pathlib import Path

import pytest

from crbench.leaderboard.collect import load_results
from crbench.site import write_site

COMMITTED = Path(__file__).resolve().parents[2] / "leaderboard" / "records"
#: Committed records copied for the tests: two standard splits, a stress variant, a real set, benches, history.
COMMITTED_PATTERNS = ("run__sim_lco_1m__*", "run__sim_lco_2m__*", "run__sim_decam_sharp__*", "run__decam_stack__*",
                      "bench__*", "rebuild.json")


def write_records(directory, records):
    """Write record dicts as JSON files into ``directory``; return it."""
    directory.mkdir(parents=True, exist_ok=True)
    for index, record in enumerate(records):
        (directory / f"record{index}.json").write_text(json.dumps(record))
    return directory


@pytest.fixture(scope="session")
def committed_subset(tmp_path_factory):
    """A read-only copy of part of ``leaderboard/records`` (the committed records are never written)."""
    if not COMMITTED.is_dir():
        pytest.skip("the committed leaderboard records are not in this checkout")
    target = tmp_path_factory.mktemp("committed") / "records"
    target.mkdir()
    for pattern in COMMITTED_PATTERNS:
        for path in COMMITTED.glob(pattern):
            shutil.copy2(path, target / path.name)
    return target


@pytest.fixture(scope="session")
def committed_site(committed_subset, tmp_path_factory):
    """The site of :func:`committed_subset`, built once per session."""
    site = tmp_path_factory.mktemp("site") / "site"
    write_site(load_results(committed_subset), site)
    return site
