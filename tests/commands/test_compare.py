"""``crbench run`` prints intervals by default; ``crbench compare`` compares two records pairwise."""

import json

from click.testing import CliRunner

from crbench.cli import main
from crbench.records import load_record


def _run(results, *args):
    return CliRunner().invoke(main, ["run", "--quiet", "--dataset", "tiny", "--output", str(results), *args])


def test_run_prints_and_records_intervals_and_compare_reads_them(tmp_path):
    results = tmp_path / "results"
    for args in (["--detector", "oracle"], ["--detector", "random", "--detector-args", "seed=3"]):
        outcome = _run(results, *args, "--bootstrap", "200", "--bootstrap-seed", "7")
        assert outcome.exit_code == 0, outcome.output
        assert "percentile bootstrap over 3 images (200 resamples, seed 7" in outcome.output
    oracle, random = (load_record(next(results.glob(f"run__tiny__*__{name}__*.json"))) for name in ("oracle", "random"))
    assert oracle.uncertainty.n_resamples == 200 and oracle.uncertainty.seed == 7
    assert oracle.uncertainty.weights_sha256 == random.uncertainty.weights_sha256
    low, high = random.uncertainty.interval("auroc")
    assert low <= random.metric_value("auroc") <= high

    outcome = CliRunner().invoke(main, ["compare", "--detector", "oracle", "--detector", "random", "--dataset",
                                        "tiny", "--results", str(results), "--json"])
    assert outcome.exit_code == 0, outcome.output
    rows = {row["metric"]: row for row in json.loads(outcome.output)["metrics"]}
    assert rows["auroc"]["p_a_better"] == 1.0 and rows["auroc"]["low"] > 0
    outcome = CliRunner().invoke(main, ["compare", str(oracle.source), str(oracle.source)])
    assert outcome.exit_code == 0, outcome.output
    assert "P(A better)" in outcome.output and "0.500" in outcome.output


def test_bootstrap_zero_switches_it_off_and_compare_refuses(tmp_path):
    results = tmp_path / "results"
    assert _run(results, "--detector", "oracle", "--bootstrap", "0").exit_code == 0
    assert _run(results, "--detector", "random", "--bootstrap", "50").exit_code == 0
    oracle = next(results.glob("run__tiny__*__oracle__*.json"))
    random = next(results.glob("run__tiny__*__random__*.json"))
    assert load_record(oracle).uncertainty is None
    outcome = CliRunner().invoke(main, ["compare", str(oracle), str(random)])
    assert outcome.exit_code != 0 and "no bootstrap replicates" in outcome.output


def test_compare_explains_a_missing_record(tmp_path):
    outcome = CliRunner().invoke(main, ["compare", "--detector", "a", "--detector", "b", "--dataset", "tiny",
                                        "--results", str(tmp_path)])
    assert outcome.exit_code != 0 and "0 run records of a on tiny" in outcome.output
