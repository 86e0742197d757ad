"""Protocol sensitivity: every preset scores the same cached maps, without re-running the detector."""

import pytest
from click.testing import CliRunner

from crbench.cli import main
from crbench.jobs import Job, build_dataset, run_job
from crbench.jobs.sensitivity import SENSITIVITY_METRICS, protocol_sensitivity
from crbench.leaderboard.sensitivity import sensitivity_markdown, sensitivity_section
from crbench.records import load_record, metric_problems

from .counting_detector import CountingDetector

COUNTING = "tests.jobs.counting_detector:CountingDetector"


def test_presets_score_the_cached_maps_without_detecting_again(tmp_path, isolated_cache):
    job = Job(COUNTING, "tiny")
    CountingDetector.calls = 0
    first = protocol_sensitivity(job)
    assert CountingDetector.calls == 3  # tiny's test split has 3 images, detected once
    again = protocol_sensitivity(job)
    assert CountingDetector.calls == 3  # second run: every map came from the cache
    assert [row["n_from_cache"] for row in again] == [3] * 4
    assert again == [{**row, "n_from_cache": 3} for row in first]
    assert [row["protocol"] for row in first] == ["crbench", "xu2023", "zhang_bloom2020", "bhavanam2022"]
    assert [row["n_images"] for row in first] == [3, 0, 3, 3]  # xu2023: int(0.3 * 3) = 0 images
    assert [first[1][name] for name in SENSITIVITY_METRICS] == [None] * 4
    first[1:2] = protocol_sensitivity(job, presets=["xu2023"], subsample=False)
    assert first[1]["n_images"] == 3
    values = {row["protocol"]: [row[name] for name in SENSITIVITY_METRICS] for row in first}
    assert values["bhavanam2022"] == values["crbench"]
    assert values["zhang_bloom2020"][2:] == [None, None]  # deepCR's evaluate defines no purity, no F1
    assert values["xu2023"] != values["crbench"]

    # the crbench row is the crbench run's record; a preset run's record is the preset's row
    output = run_job(job, results_dir=tmp_path / "results")
    record = output.record
    assert [record.metric_value(name) for name in SENSITIVITY_METRICS] == values["crbench"]
    assert record.protocol == "crbench"
    zhang = run_job(job, results_dir=tmp_path / "results", protocol="zhang_bloom2020").record
    assert [zhang.metric_value(name) for name in SENSITIVITY_METRICS] == values["zhang_bloom2020"]
    assert zhang.filename.endswith("__zhang_bloom2020.json") and zhang.protocol == "zhang_bloom2020"
    assert zhang.counts is not None and metric_problems(zhang) == []  # not re-read under crbench's rules
    assert CountingDetector.calls == 3


def test_protocols_command_prints_and_writes_the_table(tmp_path, isolated_cache):
    result = CliRunner().invoke(main, ["protocols", "--quiet", "--detector", "oracle", "--dataset", "tiny",
                                       "--markdown", str(tmp_path / "s.md"), "--csv", str(tmp_path / "s.csv")])
    assert result.exit_code == 0, result.output
    assert "| oracle" in result.output and "zhang_bloom2020" in result.output
    assert (tmp_path / "s.md").read_text().startswith("## Protocol sensitivity")
    assert (tmp_path / "s.csv").read_text().splitlines()[0].startswith("detector,dataset,version,size,split,protocol")


def test_run_with_a_protocol_names_it_and_refuses_an_ignore_policy(tmp_path, isolated_cache):
    runner = CliRunner()
    result = runner.invoke(main, ["run", "--quiet", "--detector", "oracle", "--dataset", "tiny", "--split", "train",
                                  "--protocol", "xu2023", "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "protocol xu2023" in result.output
    (path,) = tmp_path.glob("run__*__xu2023.json")
    record = load_record(path)
    n_train = len(build_dataset("tiny", size=None, data_dir=None)[0].sample_ids("train"))
    assert record.protocol == "xu2023" and record.dataset.n_images == int(0.3 * n_train) > 0
    assert record.dataset.truth_dilation == 1 and record.dataset.ignore_policy == "zero"
    empty = runner.invoke(main, ["run", "--quiet", "--detector", "oracle", "--dataset", "tiny", "--protocol",
                                 "xu2023", "--output", str(tmp_path)])
    assert empty.exit_code != 0 and "= 0 of tiny/test" in empty.output
    refused = runner.invoke(main, ["run", "--quiet", "--detector", "oracle", "--dataset", "tiny", "--protocol",
                                   "xu2023", "--ignore-policy", "exclude", "--output", str(tmp_path)])
    assert refused.exit_code != 0 and "drop --ignore-policy" in refused.output


def test_sensitivity_markdown_is_stable():
    rows = [{"detector": "d", "dataset": "s", "version": "2", "protocol": "xu2023", "n_images": 3,
             "tpr_at_fpr_1e-4": 0.12345, "tpr_at_fpr_1e-3": 1.0, "purity_at_tpr_0.95": None, "f1": 0.5}]
    assert sensitivity_markdown(rows).splitlines()[2] == (
        "| d          | s          |         2 | xu2023     |        3 |      0.123 |          1 | n/a          |  0.5 |")
    assert "only `crbench` numbers are ranked" in sensitivity_section(rows)


@pytest.fixture(autouse=True)
def _reset_counter():
    CountingDetector.calls = 0
    yield


def test_a_run_job_with_sensitivity_stores_the_rows_and_the_leaderboard_shows_them(tmp_path, isolated_cache):
    from crbench.leaderboard.collect import load_results
    from crbench.leaderboard.render import render_markdown
    from crbench.leaderboard.sensitivity import RECORD_SECTION, sensitivity_table
    from crbench.leaderboard.tables import build_leaderboard

    job = Job(COUNTING, "tiny")
    CountingDetector.calls = 0
    expected = protocol_sensitivity(job, subsample=False)
    output = run_job(job, results_dir=tmp_path / "records", sensitivity=True)
    assert CountingDetector.calls == 3  # the rows are scored from the run's cached maps
    stored = load_record(output.path).extra[RECORD_SECTION]
    assert stored["subsample"] is False
    assert stored["rows"] == [{**row, "n_from_cache": 3} for row in expected]

    collection = load_results(tmp_path / "records")
    table = sensitivity_table(collection)
    assert list(table.frame["protocol"]) == ["crbench", "xu2023", "zhang_bloom2020", "bhavanam2022"]
    crbench_row = table.frame.iloc[0]
    assert crbench_row["TPR@1e-4"] == f"{output.record.metric_value('tpr_at_fpr_1e-4'):.3f}"
    assert "## Protocol sensitivity" in render_markdown(build_leaderboard(collection), collection)


def test_records_without_sensitivity_rows_give_no_table(tmp_path, isolated_cache):
    from crbench.leaderboard.collect import load_results
    from crbench.leaderboard.sensitivity import sensitivity_table

    run_job(Job(COUNTING, "tiny"), results_dir=tmp_path / "records")
    assert sensitivity_table(load_results(tmp_path / "records")) is None
