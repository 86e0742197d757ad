"""The optional ``uncertainty`` section: typed, round-trips, absent in older records, shown in the table."""

import json

import pytest

from crbench.records import RecordError, RunRecord, metrics_table
from tests.uncertainty.records import BASE_FILE, constructed_record


def test_an_older_record_has_no_section_and_renders_as_before():
    record = RunRecord.load(BASE_FILE)
    assert record.uncertainty is None and "uncertainty" not in record.to_dict()
    assert "[" not in metrics_table(record)


def test_the_section_round_trips_and_the_table_shows_intervals():
    record = constructed_record("a", {"auroc": [0.8, 0.9, None], "f1": [0.5, 0.6, 0.7]})
    data = record.to_dict()
    assert RunRecord.from_dict(json.loads(json.dumps(data))).to_dict() == data
    record.uncertainty.metrics["f1"].low, record.uncertainty.metrics["f1"].high = 0.5, 0.7
    table = metrics_table(record)
    f1_row = next(line for line in table.splitlines() if line.startswith("| f1"))
    assert "[0.5000, 0.7000]" in f1_row
    auroc_row = next(line for line in table.splitlines() if line.startswith("| auroc"))
    assert "[n/a, n/a]" in auroc_row  # bounds None: undefined replicates reach the tails


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda section: section["metrics"]["auroc"].update(replicates=[0.1, None]), "2 values for 3 resamples"),
    (lambda section: section["metrics"]["auroc"].update(n_undefined=0), "n_undefined"),
    (lambda section: section.pop("weights_sha256"), "weights_sha256"),
])
def test_a_malformed_section_names_the_field(mutate, message):
    record = constructed_record("a", {"auroc": [0.8, 0.9, None]})
    data = record.to_dict()
    mutate(data["uncertainty"])
    with pytest.raises(RecordError, match=message):
        RunRecord.from_dict(data, source="x.json")
