"""The runner's object pass: cached maps in, the record's optional ``objects`` section out, and back."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from crbench.cli import main
from crbench.datasets import Dataset, DatasetCard, Sample, SampleMeta
from crbench.datasets.tiny import TinyDataset
from crbench.detectors import Detector
from crbench.detectors.doubles import OracleDetector
from crbench.records import ObjectScores, RunRecord, build_run_record, load_record, object_scores_table, write_record
from crbench.runner import run_detector
from crbench.scoring.objects import ObjectExtras, object_counts, object_metrics, sum_object_counts

from .commands.faulty_detectors import ThresholdMask
from .scoring.test_objects import FWHM, KINDS, make_scene


class HandBuiltDataset(Dataset):
    """Two copies of the hand-built scene of tests/scoring/test_objects.py, with every extra a sim sample has."""

    card = DatasetCard(name="hand_built", version="1", family="hand_built", description="test scenes",
                       instrument="hand")

    def sample_ids(self, split):
        return ["a", "b"]

    def load_sample(self, split, sample_id):
        truth, ignore, flagged, extras = make_scene()
        if sample_id == "b":
            flagged[10, 10:20] = False  # object A missed
        # 400 ADU of sky at 4 e-/ADU and no read noise: a sky sigma of sqrt(1600) / 4 = 10 ADU, as in the scene
        meta = SampleMeta(instrument="hand", units="adu", gain=4.0, read_noise=0.0, saturation=6e4, sky_level=400.0,
                          extra={"psf_fwhm_px": FWHM, "event_kinds": list(KINDS)})
        image = np.where(flagged, 1000.0, 0.0).astype(np.float32)  # what the double below reads
        return Sample(sample_id, image, truth, ignore, meta,
                      {"objects": extras.objects, "source_model": extras.source_model})


class FlagsBrightPixels(Detector):
    """Scores 1 where the image is positive (the scene's flagged pixels), 0 elsewhere."""

    name = "flags_bright_pixels"
    version = "1"
    default_params = {"threshold": 0.5}

    def detect(self, image, *, meta):
        return (image > 0).astype(np.float32)


def test_the_runner_stores_the_counts_of_every_image_and_their_sum(tmp_path):
    dataset = HandBuiltDataset()
    result = run_detector(FlagsBrightPixels(), dataset, cache_dir=tmp_path, progress=False)
    section = result.objects
    expected = {}
    for sample_id in ("a", "b"):
        sample = dataset.load_sample("test", sample_id)
        extras = ObjectExtras.from_sample(sample)
        assert extras.noise_sigma == pytest.approx(10.0)
        flagged = sample.image > 0
        expected[sample_id] = object_counts(sample.truth, sample.ignore, flagged, extras=extras)
    rows = {sample_id: dict(zip(section["counters"], row)) for sample_id, row in section["per_image"].items()}
    assert rows == expected
    totals = sum_object_counts(expected.values())
    assert section["totals"] == totals
    assert section["metrics"] == object_metrics(totals)
    assert section["metrics"]["object_recall"] == 0.75  # A found in "a", missed in "b"; B found in both
    assert section["metrics"]["strata"]["kind"]["muon"]["recall"] == 0.5
    assert section["metrics"]["masked_source_flux_fraction"] > 0
    assert section["seconds"] > 0 and section["seconds_per_megapixel"] > 0

    record = build_run_record(result)
    assert isinstance(record.objects, ObjectScores)
    assert record.objects.image_counts("b") == expected["b"]
    path = write_record(record, tmp_path / "results")
    loaded = load_record(path)
    assert loaded.objects == record.objects
    assert loaded.to_dict() == json.loads(path.read_text())
    assert "object recall" in object_scores_table(loaded.objects)
    # the object intervals use the pixel bootstrap's resamples (same images, seed and strata)
    assert loaded.objects.extra["uncertainty"]["weights_sha256"] == loaded.uncertainty.weights_sha256
    low, high = loaded.objects.interval("object_recall")
    assert low <= 0.75 <= high


def test_mask_detectors_are_counted_at_their_operating_sweep_value(tmp_path):
    detector = ThresholdMask()
    result = run_detector(detector, TinyDataset(), cache_dir=tmp_path, progress=False)
    assert result.objects["operating_point"] == detector.operating_point
    from crbench.scoring import dilate_mask

    expected = []
    for sample in TinyDataset().iter_samples("test"):
        flagged = dilate_mask(sample.image > detector.operating_point * np.median(sample.image), size=3)
        expected.append(object_counts(sample.truth, sample.ignore, flagged))
    assert result.objects["totals"] == sum_object_counts(expected)


def test_the_pass_can_be_skipped_and_older_records_load_without_the_section(tmp_path):
    result = run_detector(OracleDetector(), TinyDataset(), cache_dir=tmp_path, progress=False, object_scores=False)
    assert result.objects is None
    data = build_run_record(result).to_dict()
    assert "objects" not in data
    assert RunRecord.from_dict(data).objects is None


def test_crbench_run_prints_the_object_table(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["run", "--quiet", "--output", str(tmp_path / "on"), "--detector", "oracle",
                                  "--dataset", "tiny", "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    assert "object recall (>= 0.5 of pixels flagged)" in result.output
    assert "false-positive objects per Mpix" in result.output
    result = runner.invoke(main, ["run", "--quiet", "--output", str(tmp_path / "off"), "--detector", "oracle",
                                  "--dataset", "tiny", "--cache-dir", str(tmp_path / "cache"), "--no-objects"])
    assert result.exit_code == 0, result.output
    assert "object recall" not in result.output
    (path,) = (tmp_path / "off").glob("run__*.json")
    assert "objects" not in json.loads(path.read_text())
