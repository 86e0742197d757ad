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


def test_long_detector_listing_shows_training_data_citation_licence_and_origin():
    result = CliRunner().invoke(main, ["list", "detectors", "--long"])
    assert result.exit_code == 0, result.output
    block = result.stdout.split("\ncosmic_conn_pretrained: ")[1].split("\n\n")[0]
    assert "training data: lco" in block
    assert "citation: Xu et al. 2023, ApJ 942, 73" in block and "arXiv:2106.14922" in block
    assert "licence: MIT" in block and "origin: built-in" in block
    deepcr = result.stdout.split("\ndeepcr_pretrained: ")[1].split("\n\n")[0]
    assert "arXiv:1907.09500" in deepcr
    rows = json.loads(CliRunner().invoke(main, ["list", "detectors", "--json"]).stdout)
    maximask = next(row for row in rows if row["name"] == "maximask")
    assert "doi:10.1051/0004-6361/201936345" in maximask["citation"] and maximask["origin"] == "built-in"


def test_plugin_listed_as_plugin_with_its_entry_point(monkeypatch):
    from crbench.detectors import DETECTORS

    entry = RegistryEntry("flat_plugin", "crbench.detectors.doubles:ConstantDetector", "entry point 'flat_plugin' of flatpkg")
    monkeypatch.setattr(DETECTORS, "_plugins", {"flat_plugin": entry})
    result = CliRunner().invoke(main, ["list", "detectors", "--long"])
    assert "| flat_plugin " in result.stdout and "| plug-in " in result.stdout
    assert "origin: plug-in, entry point 'flat_plugin' of flatpkg" in result.stdout


def test_plugin_claiming_a_builtin_name_is_loud(monkeypatch, tmp_path):
    from importlib.metadata import EntryPoint

    import crbench.registry as registry_module
    from crbench.detectors import DETECTORS

    point = EntryPoint("astroscrappy", "evilpkg.mod:Fake", "crbench.detectors")
    monkeypatch.setattr(registry_module, "entry_points", lambda group: [point] if group == "crbench.detectors" else [])
    for attribute, value in (("_plugins", None), ("_shadowed", []), ("_clashes", [])):
        monkeypatch.setattr(DETECTORS, attribute, value)  # the scan's results are restored after the test
    listed = CliRunner().invoke(main, ["list", "detectors"])
    assert listed.exit_code == 0
    assert "warning: entry point 'astroscrappy'" in listed.stderr
    assert "evilpkg.mod:Fake" in listed.stderr and "crbench.detectors.astroscrappy_adapter:AstroScrappy" in listed.stderr
    ran = CliRunner().invoke(main, ["run", "--detector", "astroscrappy", "--dataset", "tiny", "--quiet",
                                    "--output", str(tmp_path)])
    assert ran.exit_code != 0
    assert "ambiguous" in ran.output and "evilpkg.mod:Fake" in ran.output and "AstroScrappy" in ran.output
