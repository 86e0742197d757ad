"""The README's data set plug-in example is this repository's docs/examples/my_datasets.py, and it works."""

import re
import shutil
import sys
from pathlib import Path

from click.testing import CliRunner

from crbench.cli import main
from crbench.datasets import DATASETS
from crbench.records import load_record

from .user_files import write_labelled_images

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "my_datasets.py"


def _readme_blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


def test_readme_shows_the_tested_example_and_its_entry_point():
    assert EXAMPLE.read_text() in _readme_blocks("python")
    assert '[project.entry-points."crbench.datasets"]\nmy_set = "my_datasets:MyDataset"\n' in _readme_blocks("toml")


def test_the_example_installed_as_an_entry_point_runs_from_the_cli(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(EXAMPLE, site / "my_datasets.py")
    dist = site / "my_datasets-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: my-datasets\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text('[crbench.datasets]\nmy_set = my_datasets:MyDataset\n')
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(DATASETS, "_plugins", None)  # scan the entry points again, with this distribution
    monkeypatch.delitem(sys.modules, "my_datasets", raising=False)
    assert "my_set" in DATASETS.names()
    data = tmp_path / "frames"
    write_labelled_images(data, n_images=2)
    run = CliRunner().invoke(main, ["run", "--quiet", "--bootstrap", "0", "--detector", "oracle", "--dataset",
                                    "my_set", "--data-dir", str(data), "--output", str(tmp_path / "results")])
    assert run.exit_code == 0, run.output
    (path,) = (tmp_path / "results").glob("run__*.json")
    record = load_record(path)
    assert record.dataset.name == "my_set" and record.dataset.n_images == 2
    assert record.metrics["recall"].value == 1.0
