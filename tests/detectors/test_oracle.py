"""The ``oracle`` test double keeps its docstring's promise (issue 16).

Version 1 returned the undilated truth and was scored against the 3x3-dilated truth: TPR 0.23 on
``tiny``, while its docstring promised TPR = 1 at any FPR.
"""

import json

from click.testing import CliRunner

from crbench.cli import main
from crbench.detectors.doubles import OracleDetector

PERFECT = {"tpr_at_fpr_1e-4": 1.0, "tpr_at_fpr_1e-3": 1.0, "purity_at_tpr_0.95": 1.0, "f1": 1.0, "iou": 1.0,
           "fdr": 0.0, "precision": 1.0, "recall": 1.0, "auroc": 1.0, "average_precision": 1.0}


def test_oracle_scores_perfectly_on_tiny(tmp_path):
    assert OracleDetector.dilate_output  # its map is grown by the square the truth is grown by
    result = CliRunner().invoke(main, ["run", "--quiet", "--detector", "oracle", "--dataset", "tiny",
                                       "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (path,) = tmp_path.glob("run__tiny__*__oracle__*.json")
    record = json.loads(path.read_text())
    assert record["dataset"]["truth_dilation"] == 3
    assert {name: metric["value"] for name, metric in record["metrics"].items()} == PERFECT
