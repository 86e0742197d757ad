"""``crbench run --adaptive-sweep / --fixed-sweep``."""

from click.testing import CliRunner

from crbench.cli import main
from crbench.records import load_record

MASK = "tests.commands.faulty_detectors:ThresholdMask"


def _run(tmp_path, *args):
    return CliRunner().invoke(main, ["run", "--quiet", "--output", str(tmp_path / "results"),
                                     "--cache-dir", str(tmp_path / "cache"), "--dataset", "tiny", *args])


def _record(result):
    path = result.output.strip().splitlines()[-1].removeprefix("record: ")
    return load_record(path)


def test_adaptive_sweep_flag_refines_and_prints_what_it_added(tmp_path):
    result = _run(tmp_path, "--detector", MASK, "--adaptive-sweep")
    assert result.exit_code == 0, result.output
    record = _record(result)
    refinement = record.sweep_refinement
    assert refinement is not None and refinement.added_values
    assert record.counts.data["values"] == refinement.final_values
    assert f"adaptive sweep: {len(refinement.added_values)} value(s) added" in result.output
    assert "FPR 0.0001: " in result.output and "FPR 0.001: " in result.output


def test_fixed_sweep_flag_drops_a_refinement_and_keeps_the_hash(tmp_path):
    fixed = _record(_run(tmp_path, "--detector", MASK, "--fixed-sweep",
                         "--detector-args", "sweep_refinement=true"))
    plain = _record(_run(tmp_path / "plain", "--detector", MASK))
    assert fixed.sweep_refinement is None and fixed.detector.params_hash == plain.detector.params_hash


def test_sweep_flags_refuse_score_detectors(tmp_path):
    result = _run(tmp_path, "--detector", "oracle", "--adaptive-sweep")
    assert result.exit_code != 0 and "mask detectors with a swept parameter" in result.output
