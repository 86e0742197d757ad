"""Published figures: transcribed values, name mapping, units."""

import csv
from pathlib import Path

import pytest

from crbench.leaderboard.published import paper_family, published_metrics, published_runtime, published_sources
from tests.conftest import SHARED

DATA = Path(__file__).resolve().parents[2] / "crbench" / "leaderboard" / "data"


def test_every_source_has_a_citation_and_rows():
    sources = published_sources()
    assert set(sources) == {"B22", "X23"}
    assert "arXiv:2207.10411" in sources["B22"].citation
    assert "arXiv:2106.14922" in sources["X23"].citation
    assert len(sources["B22"].metrics) == 29 * 3 + 29 * 3  # tables 1 and 2: 29 rows x 3 metrics


@pytest.mark.parametrize(
    ("family", "detector", "metric", "expected"),
    [
        ("decam", "deepcr", "tpr_at_fpr_1e-4", 0.9706),  # printed 97.06 %
        ("decam", "cosmic_conn_pretrained", "purity_at_tpr_0.95", 0.9660),
        ("lco_0m4", "maximask", "purity_at_tpr_0.95", 0.0004),
        ("lco_2m", "att_cosmic_conn", "f1", 0.7856),  # Table 2 is printed as a fraction
        ("decam", "lacosmic", "fdr", 0.1249),
    ],
)
def test_values_are_fractions_of_the_printed_figures(family, detector, metric, expected):
    assert published_metrics(family=family, detector=detector, metric=metric)["B22"] == pytest.approx(expected, abs=1e-12)


def test_blank_cells_are_none_and_absent_rows_are_absent():
    assert published_metrics(family="decam", detector="lacosmic", metric="purity_at_tpr_0.95") == {"B22": None}
    # the pre-trained LCO model has no row for LCO data in Bhavanam et al.
    assert "B22" not in published_metrics(family="lco_1m", detector="cosmic_conn_pretrained", metric="f1")


def test_cosmic_conn_paper_maps_its_lco_model_and_not_its_own_deepcr():
    found = published_metrics(family="lco_1m", detector="cosmic_conn_pretrained", metric="tpr_at_fpr_1e-4")
    assert found == {}  # X23 reports Cosmic-CoNN only for the whole LCO set
    assert published_metrics(family="lco", detector="cosmic_conn_pretrained", metric="tpr_at_fpr_1e-4") == {
        "X23": pytest.approx(0.9991)
    }
    # X23's "deepCR" was trained on LCO by Xu et al.: not crbench's DECam-trained deepcr
    assert published_metrics(family="lco", detector="deepcr", metric="tpr_at_fpr_1e-4") == {}
    assert published_metrics(family="lco_1m", detector="astroscrappy", metric="purity_at_tpr_0.95") == {
        "B22": None, "X23": None
    }


def test_packaged_csvs_match_the_shared_reference_when_present():
    reference = SHARED / "reference"
    if not reference.is_dir():
        pytest.skip(f"shared reference directory not found at {reference} (shared/ beside the repository)")
    for path in DATA.glob("*.csv"):
        assert path.read_text() == (reference / path.name).read_text(), path.name


def test_simulated_datasets_map_to_paper_families():
    assert paper_family("sim_decam") == "decam"
    assert paper_family("sim_lco_0m4") == "lco_0m4"
    assert paper_family("lco_real_thing", "lco_2m") == "lco_2m"
    assert paper_family("lco_0m4", "lco") == "lco_0m4"  # real LCO sets: split by telescope class


def test_runtime_per_megapixel_assumes_the_paper_frame():
    runtime = published_runtime()
    row = runtime[runtime["detector"] == "maximask"].iloc[0]
    assert row["seconds_per_frame"] == 250.93
    assert row["seconds_per_megapixel"] == pytest.approx(250.93 / (4096 * 2048 / 1e6))
    with open(DATA / "attention_table4_runtime.csv") as handle:
        assert len(runtime) == len(list(csv.DictReader(handle)))
