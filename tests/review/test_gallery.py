"""Review galleries: pages of at most grid x grid panels and an index CSV with a verdict column."""

import csv

import numpy as np

from crbench.datasets import Sample, SampleMeta
from crbench.review import INDEX_COLUMNS, review_items, write_gallery

META = SampleMeta(instrument="x", units="electron", gain=1.0, read_noise=1.0, saturation=1e5)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _sample(n_crs, *, sample_id="img"):
    """``n_crs`` single-pixel CRs on an 8 x 8 lattice (4 px apart: separate 8-connected objects)."""
    rng = np.random.default_rng(0)
    image = rng.normal(100.0, 5.0, (40, 40)).astype(np.float32)
    truth = np.zeros(image.shape, bool)
    for index in range(n_crs):
        row, col = divmod(index, 8)
        truth[2 + 5 * row, 2 + 5 * col] = True
    image[truth] = 500.0
    ignore = np.zeros(image.shape, bool)
    ignore[:, 38:] = True  # hatched in the panels of the last lattice column (no CR in it)
    return Sample(sample_id, image, truth, ignore, META).validated()


def _rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_pages_hold_at_most_grid_squared_panels_and_the_index_lists_each(tmp_path):
    samples = [_sample(24, sample_id="a"), _sample(16, sample_id="b")]
    reviewed = [(sample, review_items(sample), None) for sample in samples]
    paths = write_gallery(reviewed, tmp_path, heading="test", cutout=12, grid=6)
    assert [path.name for path in paths] == ["index.csv", "truth_p01.png", "truth_p02.png"]
    for page in paths[1:]:
        assert page.read_bytes()[:8] == PNG_MAGIC
    rows = _rows(paths[0])
    assert list(rows[0]) == list(INDEX_COLUMNS)
    assert len(rows) == 40 and {row["verdict"] for row in rows} == {""}
    assert [row["page"] for row in rows].count("truth_p01.png") == 36
    assert (rows[36]["page"], rows[36]["panel"], rows[36]["sample_id"]) == ("truth_p02.png", "1", "b")
    first = rows[0]
    assert (first["kind"], first["object_id"], first["x"], first["y"], first["n_pixels"], first["peak"]) == (
        "truth", "1", "2.0", "2.0", "1", "500.0")


def test_a_shorter_review_removes_the_pages_of_a_longer_one(tmp_path):
    long = _sample(40)
    write_gallery([(long, review_items(long), None)], tmp_path, heading="test", grid=6)
    short = _sample(3)
    paths = write_gallery([(short, review_items(short), None)], tmp_path, heading="test", grid=6)
    assert sorted(path.name for path in tmp_path.glob("*.png")) == ["truth_p01.png"]
    assert len(_rows(paths[0])) == 3


def test_detector_pages_come_per_kind(tmp_path):
    sample = _sample(4)
    flagged = np.zeros(sample.truth.shape, bool)
    flagged[2, 2] = True  # finds the first object only
    flagged[30:32, 30:32] = True  # a false-positive cluster
    paths = write_gallery([(sample, review_items(sample, flagged=flagged), flagged)], tmp_path, heading="test")
    assert [path.name for path in paths] == ["index.csv", "truth_p01.png", "fp_p01.png", "missed_p01.png"]
    kinds = [row["kind"] for row in _rows(paths[0])]
    assert kinds == ["truth"] * 4 + ["fp"] + ["missed"] * 3


def test_index_csv_neutralises_formula_sample_ids(tmp_path):
    """A sample id from a hostile data folder must not become a spreadsheet formula (issue 16)."""
    sample = _sample(2, sample_id='=HYPERLINK("http://evil.example")')
    paths = write_gallery([(sample, review_items(sample), None)], tmp_path, heading="test", cutout=12, grid=6)
    rows = _rows(paths[0])
    assert {row["sample_id"] for row in rows} == {'\'=HYPERLINK("http://evil.example")'}
    assert rows[0]["x"] == "2.0"  # numbers untouched
