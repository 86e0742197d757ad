"""``crbench list datasets``: kind, availability with its fix, and (with --long) the card caveat."""

import json

import pytest
from click.testing import CliRunner

from crbench.cli import main
from crbench.datasets import DATASETS, DatasetCard
from crbench.datasets.tiny import TinyDataset
from crbench.errors import DataNotAvailableError
from crbench.registry import RegistryEntry

CAVEAT = "few CR objects: a sanity check with wide intervals"


class FakeRealDataset(TinyDataset):
    """A real-kind set whose files are missing until fetched."""

    card = DatasetCard(name="fake_real", version="1", family="decam", description="Real frames of one field.",
                       instrument="decam", kind="real", caveat=CAVEAT)
    download_command = "crbench datasets download fake_real"

    def check_available(self):
        raise DataNotAvailableError("fake_real: frames not found in /nowhere; run crbench datasets download fake_real")


@pytest.fixture
def with_fake_real(monkeypatch):
    entry = RegistryEntry("fake_real", f"{__name__}:FakeRealDataset", "test")
    monkeypatch.setattr(DATASETS, "_plugins", {"fake_real": entry})


def test_rows_carry_kind_status_fix_and_caveat(with_fake_real):
    result = CliRunner().invoke(main, ["list", "datasets", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)}
    assert rows["fake_real"]["kind"] == "real"
    assert rows["fake_real"]["status"] == "needs download"
    assert rows["fake_real"]["fix"] == "crbench datasets download fake_real"
    assert rows["fake_real"]["caveat"] == CAVEAT
    assert rows["tiny"]["kind"] == "standard" and rows["tiny"]["status"] == "available"
    assert rows["sim_decam_sharp"]["kind"] == "stress"


def test_table_shows_the_kind_and_long_shows_the_caveat(with_fake_real):
    table = CliRunner().invoke(main, ["list", "datasets"]).output
    header = table.splitlines()[0]
    assert [cell.strip() for cell in header.strip("|").split("|")] == ["name", "kind", "version", "status", "fix"]
    fake = next(line for line in table.splitlines() if "fake_real" in line)
    assert "| real " in fake and "needs download" in fake
    assert CAVEAT not in table
    long = CliRunner().invoke(main, ["list", "datasets", "--long"]).output
    assert f"  caveat: {CAVEAT}" in long
    assert "run crbench datasets download fake_real" in long
