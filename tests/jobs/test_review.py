"""``review_dataset``: galleries of the tiny set's truth and of a detector's errors, as the run's records count them."""

import csv

import pytest

from crbench.errors import InputError
from crbench.jobs import build_dataset, build_detector
from crbench.jobs.review import review_dataset
from crbench.runner import run_detector
from crbench.uncertainty import BootstrapSettings


def _kinds(report):
    with open(report.paths[0], newline="") as handle:
        return [row["kind"] for row in csv.DictReader(handle)]


def test_truth_only_review_lists_every_cr_object(tmp_path):
    report = review_dataset("tiny", out=tmp_path)
    assert report.counts["truth"] > 0 and report.counts["fp"] == report.counts["missed"] == 0
    assert report.n_images == 3 and report.operating_point is None
    assert _kinds(report) == ["truth"] * report.counts["truth"]
    assert [path.name for path in report.paths] == ["index.csv", "truth_p01.png"]


def test_detector_panels_are_the_objects_its_run_record_counts(tmp_path):
    report = review_dataset("tiny", out=tmp_path / "review", detector="astroscrappy")
    dataset, _ = build_dataset("tiny")
    run = run_detector(build_detector("astroscrappy"), dataset, progress=False,
                       bootstrap=BootstrapSettings(n_resamples=0))
    metrics = run.objects["metrics"]
    assert report.operating_point == run.objects["operating_point"]
    assert report.counts["truth"] == metrics["n_objects"]
    assert report.counts["fp"] == metrics["n_fp_objects"] > 0
    assert report.counts["missed"] == round(metrics["n_objects"] * (1 - metrics["object_recall"]))
    assert _kinds(report).count("fp") == report.counts["fp"]


def test_threshold_overrides_the_operating_point(tmp_path):
    noisy = {"noise": 0.4}  # truth pixels score in [0.6, 1], the others in [0, 0.4]
    at_operating = review_dataset("tiny", out=tmp_path / "a", detector="oracle", detector_params=noisy, limit=1)
    assert at_operating.counts["fp"] == at_operating.counts["missed"] == 0
    # the oracle's map is grown by a 3x3 maximum (dilate_output), so noise pixels pass a threshold
    # 1 - (t / 0.4)**9 of the time: 0.2 flags everything (one blob, on the truth); 0.39 leaves separate blobs
    low = review_dataset("tiny", out=tmp_path / "b", detector="oracle", detector_params=noisy, limit=1,
                         threshold=0.39)
    assert low.operating_point == 0.39 and low.counts["fp"] > 0
    high = review_dataset("tiny", out=tmp_path / "c", detector="oracle", detector_params=noisy, limit=1,
                          threshold=0.999)
    assert high.counts["missed"] == high.counts["truth"] > 0


def test_bad_options_name_the_fix(tmp_path):
    with pytest.raises(InputError, match="--threshold needs --detector"):
        review_dataset("tiny", out=tmp_path, threshold=0.5)
    with pytest.raises(InputError, match=r"outside \[0, 1\]"):
        review_dataset("tiny", out=tmp_path, detector="oracle", threshold=2.0, limit=1)
    with pytest.raises(InputError, match="not one of the sweep values"):
        review_dataset("tiny", out=tmp_path, detector="astroscrappy", threshold=4.4, limit=1)
    with pytest.raises(InputError, match="splits"):
        review_dataset("tiny", out=tmp_path, split="holdout")
