"""``crbench datasets review`` on the command line."""

from click.testing import CliRunner

from crbench.cli import main


def test_review_writes_the_index_and_pages(tmp_path):
    out = tmp_path / "review"
    result = CliRunner().invoke(main, ["datasets", "review", "tiny", "--out", str(out), "--detector", "oracle",
                                       "--limit", "1", "--cutout", "16", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "tiny test: 1 image(s) (oracle at 0.5):" in result.output
    assert "0 fp, 0 missed panel(s)" in result.output
    assert (out / "index.csv").is_file() and (out / "truth_p01.png").is_file()


def test_review_errors_are_usage_messages(tmp_path):
    result = CliRunner().invoke(main, ["datasets", "review", "tiny", "--out", str(tmp_path), "--threshold", "0.5"])
    assert result.exit_code != 0 and "--threshold needs --detector" in result.output
