"""Shard membership (:mod:`crbench.sharding`): deterministic, balanced, disjoint and covering."""

import pytest

from crbench.errors import InputError
from crbench.sharding import Shard, parse_shard, shard_sample_ids


def test_parse_shard_reads_index_and_count():
    assert parse_shard("2/5") == Shard(2, 5)
    assert parse_shard(" 0/1 ") == Shard(0, 1)
    assert str(Shard(3, 8)) == "3/8" and Shard(3, 8).to_dict() == {"index": 3, "count": 8}


@pytest.mark.parametrize("text", ["3", "a/4", "1/", "/4", "4/4", "-1/4", "0/0", "1.5/4"])
def test_parse_shard_refuses_what_names_no_shard(text):
    with pytest.raises(InputError, match="shard|i/N"):
        parse_shard(text)


def test_image_k_of_the_sorted_ids_goes_to_shard_k_mod_n():
    ids = ["img_04", "img_00", "img_03", "img_01", "img_02"]
    assert shard_sample_ids(ids, Shard(0, 2)) == ["img_04", "img_00", "img_02"]  # sorted ranks 4, 0, 2; given order
    assert shard_sample_ids(ids, Shard(1, 2)) == ["img_03", "img_01"]


@pytest.mark.parametrize("count", [1, 2, 3, 7, 12])
def test_shards_are_disjoint_balanced_cover_the_split_and_ignore_the_listing_order(count):
    ids = [f"frame{number:03d}#{number % 4}" for number in range(10)]
    shards = [shard_sample_ids(ids, Shard(index, count)) for index in range(count)]
    members = [sample_id for shard in shards for sample_id in shard]
    assert sorted(members) == sorted(ids) and len(members) == len(set(members))
    sizes = [len(shard) for shard in shards]
    assert max(sizes) - min(sizes) <= 1
    reversed_shards = [shard_sample_ids(ids[::-1], Shard(index, count)) for index in range(count)]
    assert [sorted(shard) for shard in reversed_shards] == [sorted(shard) for shard in shards]
