import os

import pytest

from crbench.errors import StorageError
from crbench.writable import check_writable_directory


def test_creates_the_folder_and_leaves_no_probe(tmp_path):
    folder = check_writable_directory(tmp_path / "a" / "b", what="run records", fix="pass --output DIR")
    assert folder.is_dir() and list(folder.iterdir()) == []


def test_a_file_in_the_path_is_a_storage_error_naming_it(tmp_path):
    (tmp_path / "a_file").write_text("")
    with pytest.raises(StorageError, match=r"cannot write run records to .*a_file/out: Not a directory.*--output"):
        check_writable_directory(tmp_path / "a_file" / "out", what="run records", fix="pass --output DIR")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_a_storage_error(tmp_path):
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(StorageError, match="Permission denied"):
            check_writable_directory(tmp_path, what="run records", fix="pass --output DIR")
    finally:
        tmp_path.chmod(0o755)
