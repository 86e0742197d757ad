"""A run record file always lands directly in its folder, and a write error names the path."""

import pytest

from crbench.errors import InputError, StorageError
from crbench.records import RunRecord, write_record
from tests.leaderboard.factory import make_record


@pytest.mark.parametrize("name", ["../escaped", "a/b", "..\\escaped"])
def test_a_hand_made_record_whose_name_walks_out_is_refused(tmp_path, name):
    output = tmp_path / "deep" / "results"
    with pytest.raises(InputError, match="would be written outside"):
        write_record(make_record(name), output)
    assert sorted(path for path in tmp_path.rglob("*") if path.is_file()) == []


def test_an_unwritable_record_folder_is_a_storage_error_naming_it(tmp_path):
    (tmp_path / "a_file").write_text("")
    with pytest.raises(StorageError, match=r"cannot write the run record to .*a_file/out/run__.*Not a directory"):
        write_record(make_record(), tmp_path / "a_file" / "out")


def test_subset_records_get_their_own_file_name():
    full = RunRecord.from_dict(make_record())
    record = make_record(status="subset")
    record["dataset"].update({"limit": 2, "n_images_available": 9})
    subset = RunRecord.from_dict(record)
    assert subset.is_subset and not full.is_subset
    assert subset.filename == full.filename.replace(".json", "__subset2.json")
