"""crbench bench: timing records, their files and the run-time table."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from crbench.cli import main
from crbench.detectors.doubles import ConstantDetector
from crbench.errors import CorruptFileError, InputError
from crbench.records import BenchRecord
from crbench.timing import (
    BENCH_SCHEMA,
    bench_record_path,
    benchmark_detector,
    format_runtime_table,
    load_bench_records,
    make_bench_frame,
    parse_shape,
    runtime_table,
    write_bench_record,
)


def test_parse_shape():
    assert parse_shape("4096x2048") == (4096, 2048)
    assert parse_shape(" 64 X 32 ") == (64, 32)
    for bad in ("4096", "0x5", "axb", "10x10x3"):
        with pytest.raises(InputError, match="ROWSxCOLS"):
            parse_shape(bad)


def test_bench_frame_is_seeded_and_looks_like_sky():
    first = make_bench_frame((200, 300), seed=4)
    second = make_bench_frame((200, 300), seed=4)
    np.testing.assert_array_equal(first.image, second.image)
    assert first.image.shape == (200, 300) and first.image.dtype == np.float32
    assert first.truth.sum() > 0
    assert abs(np.median(first.image) - 200) < 10
    assert not np.array_equal(first.image, make_bench_frame((200, 300), seed=5).image)


def test_benchmark_record_fields_and_arithmetic():
    record = benchmark_detector(ConstantDetector(), shape=(50, 40), device="cpu", repeats=3)
    assert record.schema == BENCH_SCHEMA
    assert record.shape == [50, 40]
    assert len(record.seconds) == 3
    assert record.median_seconds == pytest.approx(float(np.median(record.seconds)))
    assert record.seconds_per_megapixel == pytest.approx(record.median_seconds / (50 * 40 / 1e6))
    assert record.peak_rss_bytes >= record.baseline_rss_bytes > 0
    assert record.detector.name == "constant"
    assert record.device == "cpu" and record.device_model
    assert record.n_sweep_values is None
    json.dumps(record.to_dict(), allow_nan=False)


def test_mask_detectors_record_their_sweep_length():
    from crbench.detectors.astroscrappy_adapter import AstroScrappy

    record = benchmark_detector(AstroScrappy(), shape=(48, 48), repeats=1)
    assert record.n_sweep_values == 21  # 20-point grid plus the operating sigclip


def test_benchmark_rejects_zero_repeats():
    with pytest.raises(InputError, match="repeats"):
        benchmark_detector(ConstantDetector(), shape=(8, 8), repeats=0)


def test_records_round_trip_and_name_their_settings(tmp_path):
    record = benchmark_detector(ConstantDetector(value=0.3), shape=(30, 20), repeats=1)
    path = write_bench_record(tmp_path, record)
    assert path == bench_record_path(tmp_path, record)
    assert path.name == f"bench__constant__{record.detector.params_hash}__30x20__cpu.json"
    assert load_bench_records([tmp_path]) == [record]
    assert not list(tmp_path.glob(".*.tmp"))


def test_corrupt_records_name_the_file(tmp_path):
    bad = tmp_path / "bench__broken.json"
    bad.write_text("{not json")
    with pytest.raises(CorruptFileError, match="bench__broken.json"):
        load_bench_records([tmp_path])
    bad.write_text(json.dumps({"schema": "something/else"}))
    with pytest.raises(CorruptFileError, match="not a crbench.bench/1 record"):
        load_bench_records([bad])


def _fake_record(name, seconds, megapixels=8.388608):
    return {
        "schema": BENCH_SCHEMA,
        "detector": {"name": name, "params_hash": "0" * 16},
        "shape": [4096, 2048],
        "device": "cpu",
        "device_model": "Test CPU",
        "seconds": [seconds],
        "median_seconds": seconds,
        "seconds_per_megapixel": seconds / megapixels,
        "setup_seconds": 1.0,
        "warmup_seconds": seconds,
        "peak_rss_bytes": 2**30,
        "threads": {"torch_threads": 2, "usable_cpus": 2},
    }


def test_runtime_table_follows_the_paper_layout():
    table = runtime_table([_fake_record("maximask", 250.93), _fake_record("astroscrappy", 16.23)])
    assert list(table["model"]) == ["astroscrappy", "maximask"]  # fastest first
    assert table.columns[0] == "model"
    assert table.loc[0, "seconds_per_image"] == pytest.approx(16.23)
    assert table.loc[0, "seconds_per_megapixel"] == pytest.approx(16.23 / 8.388608)
    assert table.loc[1, "peak_rss_mib"] == pytest.approx(1024)
    text = format_runtime_table(table)
    assert "| astroscrappy" in text and "16.23" in text


def test_cli_writes_records_and_prints_the_table(tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["bench", "-d", "constant", "--detector-args", "value=0.2", "--shape", "32x24", "--repeats", "2",
         "--device", "cpu", "--no-isolate", "--output", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    (path,) = tmp_path.glob("bench__constant__*__32x24__cpu.json")
    record = json.loads(path.read_text())
    assert record["detector"]["params"]["value"] == 0.2
    assert "| constant" in result.output
    shown = runner.invoke(main, ["bench", "--show", "--output", str(tmp_path)])
    assert shown.exit_code == 0 and "| constant" in shown.output


def test_cli_errors_are_clear(tmp_path, monkeypatch):
    import crbench.device as device_module

    runner = CliRunner()
    result = runner.invoke(main, ["bench", "--output", str(tmp_path)])
    assert result.exit_code != 0 and "--detector" in result.output
    monkeypatch.setattr(device_module, "cuda_available", lambda: False)
    result = runner.invoke(main, ["bench", "-d", "constant", "--device", "cuda", "--output", str(tmp_path)])
    assert result.exit_code != 0 and "PyTorch sees no CUDA device" in result.output
    result = runner.invoke(main, ["bench", "-d", "constnt", "--output", str(tmp_path)])
    assert result.exit_code != 0 and "Did you mean 'constant'" in result.output
    result = runner.invoke(main, ["bench", "-d", "constant", "--detector-args", "nope=1", "--output", str(tmp_path)])
    assert result.exit_code != 0 and "does not accept 'nope'" in result.output
    result = runner.invoke(main, ["bench", "--show", "--output", str(tmp_path / "empty")])
    assert result.exit_code != 0 and "no bench records" in result.output


def test_torch_detectors_record_the_flop_bound(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    from crbench import peak_probe

    class TorchDouble(ConstantDetector):
        name = "torch_double"

        def torch_network(self):
            return torch.nn.Conv2d(1, 2, 3, padding=1), 8

    monkeypatch.setenv("CRBENCH_CACHE", str(tmp_path))
    monkeypatch.setattr(peak_probe, "measure_peak", lambda: {"matmul_gflops": 4.0, "conv_gflops": 2.0,
                                                             "peak_gflops": 4.0})
    record = benchmark_detector(TorchDouble(), shape=(40, 50), repeats=1)
    assert record.macs_per_pixel == 18  # 2 output channels x 3 x 3
    achieved = 2 * 18 * 40 * 50 / record.median_seconds / 1e9
    assert record.achieved_gflops == pytest.approx(achieved)
    assert record.peak_gflops == 4.0 and record.peak_probe["matmul_gflops"] == 4.0
    assert record.flop_bound_ratio == pytest.approx(4.0 / achieved)
    loaded, = load_bench_records([write_bench_record(tmp_path, record)])
    assert loaded == record
    assert runtime_table([record]).loc[0, "x_of_flop_bound"] == pytest.approx(record.flop_bound_ratio)
    plain = benchmark_detector(ConstantDetector(), shape=(8, 8), repeats=1)
    assert plain.macs_per_pixel is None and plain.flop_bound_ratio is None  # no torch network, no probe


def test_records_without_flop_fields_still_load(tmp_path):
    old = _fake_record("deepcr", 4.0)  # written before the FLOP bound was recorded
    path = tmp_path / "bench__deepcr__old.json"
    path.write_text(json.dumps(old))
    record, = load_bench_records([path])
    assert record.macs_per_pixel is None and record.peak_gflops is None and record.flop_bound_ratio is None
    assert record.extra == {}
    assert not {"macs_per_pixel", "peak_gflops", "flop_bound_ratio"} & set(record.to_dict())  # round-trips unchanged
    import pandas as pd

    assert pd.isna(runtime_table([record]).loc[0, "x_of_flop_bound"])


def test_a_record_of_another_engine_is_kept_apart_and_labelled():
    eager = BenchRecord.from_dict(_fake_record("deepcr", 2.0))
    data = _fake_record("deepcr", 1.5)
    data["detector"]["inference_backend"] = {"name": "onnxruntime", "version": "1.32.0"}
    engine = BenchRecord.from_dict(data)
    assert eager.filename == f"bench__deepcr__{'0' * 16}__4096x2048__cpu.json"
    assert engine.filename == f"bench__deepcr__{'0' * 16}__4096x2048__cpu__onnxruntime.json"
    # a record that names eager PyTorch explicitly is the reference path, no suffix
    data["detector"]["inference_backend"] = {"name": "torch", "version": "2.13.0"}
    assert BenchRecord.from_dict(data).filename == eager.filename
    assert sorted(runtime_table([eager, engine])["model"]) == ["deepcr", "deepcr (onnxruntime)"]
