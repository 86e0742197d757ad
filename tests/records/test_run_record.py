"""RunRecord / BenchRecord: every committed record loads and round-trips; malformed ones fail clearly."""

import copy
import json
from pathlib import Path

import pytest

from crbench.records import (
    BENCH_SCHEMA,
    RUN_SCHEMA,
    BenchRecord,
    Environment,
    RecordError,
    RunRecord,
    load_record,
    metrics_table,
    write_record,
)
from crbench.records import migrate as migrate_module

RECORDS = Path(__file__).resolve().parents[2] / "leaderboard" / "records"
# records in older formats, which the rebuilt leaderboard no longer holds (tests/data/legacy_records/README.md)
LEGACY_RECORDS = Path(__file__).resolve().parents[1] / "data" / "legacy_records"
RUN_FILES = sorted(RECORDS.glob("run__*.json"))
BENCH_FILES = sorted(RECORDS.glob("bench__*.json"))
SWEEP_FILE = LEGACY_RECORDS / "run__sim_lco_1m__small__test__astroscrappy__46c0d8b4ee4c616a.json"
_N_SWEEP = len(json.loads(SWEEP_FILE.read_text())["counts"]["values"])
_N_CURVE = len(json.loads(SWEEP_FILE.read_text())["curves"]["thresholds"])


def _json(path):
    return json.loads(path.read_text())


def test_the_committed_records_are_there():
    assert len(RUN_FILES) >= 50 and len(BENCH_FILES) >= 9


def _with_not_reached_upgraded(data, record):
    """``data`` with the one documented normalisation applied: legacy 0.0 "not reached" -> null + not_reached."""
    data = copy.deepcopy(data)
    for name, metric in record.metrics.items():
        if metric.not_reached is not None and "not_reached" not in data["metrics"][name]:
            assert data["metrics"][name]["value"] == 0.0 and data["metrics"][name]["threshold"] is None
            data["metrics"][name] = {**data["metrics"][name], "value": None, "not_reached": metric.not_reached}
    return data


@pytest.mark.parametrize("path", RUN_FILES, ids=lambda path: path.name)
def test_every_committed_run_record_round_trips_exactly(path):
    data = _json(path)
    record = RunRecord.from_dict(data, source=path)
    expected = _with_not_reached_upgraded(data, record)
    assert record.to_dict() == expected
    # same keys in the same order: re-writing a record gives the same bytes (once upgraded)
    assert json.dumps(record.to_dict(), indent=2) + "\n" == json.dumps(expected, indent=2) + "\n"
    if expected == data:
        assert json.dumps(record.to_dict(), indent=2) + "\n" == path.read_text()
    assert record.filename == path.name
    assert record.source == str(path)


@pytest.mark.parametrize("path", BENCH_FILES, ids=lambda path: path.name)
def test_every_committed_bench_record_round_trips_exactly(path):
    data = _json(path)
    record = BenchRecord.from_dict(data, source=path)
    assert json.dumps(record.to_dict(), indent=2) + "\n" == path.read_text()
    assert record.filename == path.name


def test_typed_parts_hold_the_record():
    record = RunRecord.load(SWEEP_FILE)
    assert record.schema == RUN_SCHEMA and record.is_complete
    assert record.detector.name == "astroscrappy" and record.detector.swept_parameter == "sigclip"
    assert record.detector.class_path.endswith(":AstroScrappy")
    assert record.dataset.name == "sim_lco_1m" and record.dataset.truth_dilation == record.dataset.card["truth_dilation"]
    assert record.metrics["fdr"].higher_is_better is False
    assert record.metric_value("auroc") == _json(SWEEP_FILE)["metrics"]["auroc"]["value"]
    assert record.metric_value("no_such_metric") is None
    assert record.counts.kind == "sweep" and record.counts.to_scoring().values == tuple(record.counts.data["values"])
    assert record.curves.rates()["tpr"].shape == (len(record.curves.tp),)
    assert record.per_image[0].image_counts().n_pixels == record.per_image[0].n_pixels
    assert record.runtime.n_sweep_values == len(record.counts.data["values"])


def test_write_and_load_give_the_same_record(tmp_path):
    record = RunRecord.load(SWEEP_FILE)
    path = write_record(record, tmp_path)
    assert path.name == SWEEP_FILE.name
    assert path.read_text() == SWEEP_FILE.read_text()
    assert load_record(path) == record
    assert "| f1 " in metrics_table(record)


def test_devices_per_image_and_per_run_round_trip_and_old_records_have_none():
    old = RunRecord.load(SWEEP_FILE)  # written before devices were recorded
    assert old.runtime.devices is None and all(row.device is None for row in old.per_image)
    assert old.runtime.device_labels == ["cpu"] and not old.runtime.mixes_cpu_and_gpu
    data = _json(SWEEP_FILE)
    data["per_image"][0]["device"] = "cuda:0"
    data["runtime"].update(device="cpu,cuda:0", devices={"cpu": 3, "cuda:0": 1})
    record = RunRecord.from_dict(data)
    assert record.per_image[0].device == "cuda:0" and record.per_image[1].device is None
    assert record.runtime.devices == {"cpu": 3, "cuda:0": 1} and record.runtime.mixes_cpu_and_gpu
    assert record.to_dict() == data


def test_a_merged_record_of_before_device_counts_is_mixed_by_its_device_list():
    data = _json(SWEEP_FILE)
    data["runtime"]["device"] = "cpu,cuda"  # crbench merge of a CPU shard and a GPU shard
    assert RunRecord.from_dict(data).runtime.mixes_cpu_and_gpu


def _broken(mutate):
    data = _json(SWEEP_FILE)
    mutate(data)
    return data


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["dataset"].pop("manifest_hash"), r"missing field 'dataset\.manifest_hash'"),
        (lambda d: d["dataset"].update(n_images="128"), r"field 'dataset\.n_images' must be an integer, got '128'"),
        (lambda d: d["metrics"]["f1"].update(higher_is_better="yes"), r"'metrics\.f1\.higher_is_better' must be true or false"),
        (lambda d: d["metrics"]["f1"].update(value="0.5"), r"'metrics\.f1\.value' must be a number or null"),
        (lambda d: d["metrics"]["f1"].update(extra=1), r"'metrics\.f1' has unknown key"),
        (lambda d: d["curves"]["tp"].pop(), rf"field 'curves' has {_N_CURVE} thresholds, {_N_CURVE - 1} tp"),
        (lambda d: d["counts"]["tp"].append(3), rf"field 'counts\.tp' has {_N_SWEEP + 1} entries, expected {_N_SWEEP}"),
        (lambda d: d["counts"]["fp"].__setitem__(0, 1.5), r"field 'counts\.fp\[0\]' must be an integer"),
        (lambda d: d["detector"].update(output_kind="probability"), r"output_kind' must be one of \['score', 'mask'\]"),
        (lambda d: d["per_image"][3].pop("sha256"), r"missing field 'per_image\[3\]\.sha256'"),
        (lambda d: d.update(detector=[]), r"field 'detector' must be an object"),
        (lambda d: d["per_image"][0].update(device=0), r"field 'per_image\[0\]\.device' must be a string"),
        (lambda d: d["runtime"].update(devices=["cpu"]), r"field 'runtime\.devices' must be an object"),
        (lambda d: d["runtime"].update(devices={"cpu": -1}), r"'runtime\.devices' must map each device to a number"),
    ],
)
def test_malformed_records_name_the_file_and_the_field(mutate, message):
    with pytest.raises(RecordError, match=message) as caught:
        RunRecord.from_dict(_broken(mutate), source="results/run__x.json")
    assert str(caught.value).startswith("results/run__x.json")


def test_load_names_a_file_that_is_not_json(tmp_path):
    path = tmp_path / "run__bad.json"
    path.write_text("{")
    with pytest.raises(RecordError, match="run__bad.json is not valid JSON"):
        load_record(path)


def test_unknown_schema_is_refused_with_the_readable_ones():
    with pytest.raises(RecordError, match=r"schema 'crbench.run/9'.*readable: crbench.run/1"):
        RunRecord.from_dict(_broken(lambda d: d.update(schema="crbench.run/9")), source="x.json")


def test_migration_hook_converts_an_older_schema(monkeypatch):
    monkeypatch.setattr(migrate_module, "_MIGRATIONS", {})

    @migrate_module.register_migration("crbench.run/0", to_schema=RUN_SCHEMA)
    def _from_0(old):  # a pretend older layout that called the data set "data"
        new = {key: value for key, value in old.items() if key != "data"}
        return {**new, "schema": RUN_SCHEMA, "dataset": old["data"]}

    current = _json(SWEEP_FILE)
    old = {**{key: value for key, value in current.items() if key != "dataset"},
           "schema": "crbench.run/0", "data": current["dataset"]}
    original = copy.deepcopy(old)
    record = RunRecord.from_dict(old, source="old.json")
    assert record.schema == RUN_SCHEMA and record.dataset.name == "sim_lco_1m"
    assert old == original  # the input is not modified
    assert migrate_module.known_schemas(RUN_SCHEMA) == ["crbench.run/0", RUN_SCHEMA]
    with pytest.raises(ValueError, match="already registered"):
        migrate_module.register_migration("crbench.run/0", to_schema=RUN_SCHEMA)(_from_0)


def test_migration_that_produces_the_wrong_schema_is_an_error(monkeypatch):
    monkeypatch.setattr(migrate_module, "_MIGRATIONS", {})
    migrate_module.register_migration("crbench.run/0", to_schema=RUN_SCHEMA)(lambda old: old)
    with pytest.raises(RecordError, match="did not produce"):
        RunRecord.from_dict(_broken(lambda d: d.update(schema="crbench.run/0")))


def test_unknown_keys_are_kept():
    data = _broken(lambda d: (d.update(future_field=[1, 2]), d["runtime"].update(gpu_seconds=1.0)))
    record = RunRecord.from_dict(data)
    # top-level sections this version keeps untyped (e.g. protocol_sensitivity rows) stay as they were
    already = RunRecord.from_dict(_json(SWEEP_FILE)).extra
    assert "future_field" not in already
    assert record.extra == {**already, "future_field": [1, 2]} and record.runtime.extra == {"gpu_seconds": 1.0}
    assert record.to_dict() == data


def test_legacy_machine_keys_are_converted():
    environment = Environment.from_dict({"cpu": "x86_64", "gpu": "A100"})
    assert environment.cpu_model == "x86_64" and environment.gpu_names == ["A100"]
    assert "cpu" not in environment.to_dict() and "gpu" not in environment.to_dict()


def test_bench_record_validation_names_the_field():
    data = _json(BENCH_FILES[0])
    assert BenchRecord.from_dict(data).schema == BENCH_SCHEMA
    data["shape"] = [4096]
    with pytest.raises(RecordError, match=r"b\.json: field 'shape' must be \[rows, columns\]"):
        BenchRecord.from_dict(data, source="b.json")
    data["shape"], data["threads"] = [1, 2], "two"
    with pytest.raises(RecordError, match="'threads' must be an object or an integer"):
        BenchRecord.from_dict(data, source="b.json")


def test_a_record_of_another_engine_never_replaces_the_reference_record():
    data = _json(RUN_FILES[0])
    reference = RunRecord.from_dict(data)
    data["detector"]["inference_backend"] = {"name": "onnxruntime", "version": "1.32.0"}
    engine = RunRecord.from_dict(data)
    assert engine.detector.inference_backend == "onnxruntime" and reference.detector.inference_backend is None
    assert engine.filename == reference.filename.removesuffix(".json") + "__onnxruntime.json"
    assert engine.to_dict()["detector"]["inference_backend"] == {"name": "onnxruntime", "version": "1.32.0"}
