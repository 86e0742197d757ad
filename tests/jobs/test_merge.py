"""``crbench merge`` (:mod:`crbench.jobs.merge`): shard records merge into exactly the record of one run."""

import json

import pytest
from click.testing import CliRunner

from crbench.cli import main
from crbench.errors import InputError
from crbench.jobs import Job, run_job
from crbench.jobs.merge import merge_shards
from crbench.records import load_record
from crbench.sharding import Shard

#: a score detector and a mask detector with a short sweep (both seconds on tiny)
JOBS = {
    "random": Job("random", "tiny"),
    "astroscrappy": Job("astroscrappy", "tiny", params={"sweep": [4.0, 8.0]}),
}


def _timing_free(value):
    """A record dict without what differs between two runs of the same work: times, dates, cache hits, memory."""
    if isinstance(value, dict):
        return {key: _timing_free(item) for key, item in value.items()
                if key not in {"created", "runtime", "from_cache", "peak_rss_bytes", "cpu_seconds"}
                and "seconds" not in key and "per_megapixel" not in key}
    if isinstance(value, list):
        return [_timing_free(item) for item in value]
    return value


def _shards(tmp_path, job, count, *, cache="shared-cache", only=None, folder="shards"):
    """Run the shards of ``job`` (all, or the indices in ``only``) into one folder with one cache; return paths."""
    return [run_job(job, results_dir=tmp_path / folder, cache_dir=tmp_path / cache, shard=Shard(index, count)).path
            for index in (range(count) if only is None else only)]


@pytest.mark.parametrize(("name", "count"), [("random", 2), ("random", 3), ("astroscrappy", 2)])
def test_merged_shards_are_the_record_of_a_single_run(tmp_path, name, count):
    job = JOBS[name]
    single = run_job(job, results_dir=tmp_path / "single", cache_dir=tmp_path / "single-cache")
    paths = _shards(tmp_path, job, count)
    merged = merge_shards(paths, results_dir=tmp_path / "merged", cache_dir=tmp_path / "shared-cache")
    assert merged.path.name == single.path.name
    ours, theirs = json.loads(merged.path.read_text()), json.loads(single.path.read_text())
    # every metric, count, curve, per-image count, bootstrap interval and replicate, and the object section
    assert ours["uncertainty"]["metrics"] and ours["objects"]["per_image"] and ours["per_image"][0]["n_pos"] is not None
    assert _timing_free(ours) == _timing_free(theirs)
    assert ours["status"] == "complete" and "shard" not in ours["dataset"]
    # the detection times are the shards' own: every image was detected once, in its shard
    shard_rows = {row.sample_id: row for path in paths for row in load_record(path).per_image}
    assert [row["detect_seconds"] for row in ours["per_image"]] == [
        shard_rows[row["sample_id"]].detect_seconds for row in ours["per_image"]]
    assert ours["runtime"]["n_images_timed"] == 3 and ours["runtime"]["shards"] == count
    # and so are their devices: each image keeps the device its shard ran it on
    assert [row["device"] for row in ours["per_image"]] == ["cpu"] * 3 and ours["runtime"]["devices"] == {"cpu": 3}


def test_a_shard_record_is_marked_and_named_as_one(tmp_path):
    [path] = _shards(tmp_path, JOBS["random"], 2, only=[1])
    record = load_record(path)
    assert record.status == "shard" and record.is_shard and not record.is_subset and not record.is_complete
    assert path.name.endswith("__shard1of2.json") and record.filename == path.name
    shard = record.dataset.extra["shard"]
    assert (shard["index"], shard["count"], record.dataset.extra["n_images_available"]) == (1, 2, 3)
    assert shard["job"]["detector"] == "random" and shard["job"]["dataset"] == "tiny"
    assert record.dataset.n_images == 1  # tiny's 3 images sorted: ranks 0 and 2 in shard 0, rank 1 in shard 1


@pytest.fixture
def three_shards(tmp_path):
    return _shards(tmp_path, JOBS["random"], 3)


def _merge(tmp_path, paths):
    return merge_shards(paths, results_dir=tmp_path / "merged", cache_dir=tmp_path / "shared-cache")


def test_merge_refuses_overlapping_shards(tmp_path, three_shards):
    with pytest.raises(InputError, match=r"overlapping shards: shard 0/3 is given twice"):
        _merge(tmp_path, [*three_shards, three_shards[0]])


def test_merge_refuses_a_missing_shard(tmp_path, three_shards):
    with pytest.raises(InputError, match=r"missing shard\(s\) 1/3 of random on tiny/test"):
        _merge(tmp_path, [three_shards[0], three_shards[2]])


def test_merge_refuses_shards_of_another_shard_count(tmp_path, three_shards):
    [other] = _shards(tmp_path, JOBS["random"], 2, only=[1], folder="other")
    with pytest.raises(InputError, match="it is one of 2 shards, not of 3"):
        _merge(tmp_path, [*three_shards[:2], other])


def test_merge_refuses_a_shard_with_other_parameters(tmp_path, three_shards):
    [other] = _shards(tmp_path, Job("random", "tiny", params={"seed": 1}), 3, only=[2], folder="other")
    with pytest.raises(InputError, match="not a shard of the same run .* different detector parameters"):
        _merge(tmp_path, [*three_shards[:2], other])


def test_merge_refuses_a_shard_of_another_detector(tmp_path, three_shards):
    [other] = _shards(tmp_path, Job("constant", "tiny"), 3, only=[2], folder="other")
    with pytest.raises(InputError, match="not a shard of the same run .* different detector \\('constant'"):
        _merge(tmp_path, [*three_shards[:2], other])


def test_merge_refuses_a_shard_of_another_data_set_version(tmp_path, three_shards):
    data = json.loads(three_shards[2].read_text())
    data["dataset"]["version"] = "0-older"
    three_shards[2].write_text(json.dumps(data))
    with pytest.raises(InputError, match="different data set version \\('0-older'"):
        _merge(tmp_path, three_shards)


def test_merge_refuses_a_record_that_is_not_a_shard(tmp_path, three_shards):
    single = run_job(JOBS["random"], results_dir=tmp_path / "single", cache_dir=tmp_path / "shared-cache").path
    with pytest.raises(InputError, match=f"{single}: not a shard record \\(status 'complete'\\)"):
        _merge(tmp_path, [*three_shards, single])


def test_merge_needs_the_cache_the_shards_wrote_and_never_runs_the_detector(tmp_path, three_shards):
    with pytest.raises(InputError, match="no cached output of detector 'random' for image .* pass --cache-dir"):
        merge_shards(three_shards, results_dir=tmp_path / "merged", cache_dir=tmp_path / "empty-cache")
    assert not (tmp_path / "merged").exists() or not list((tmp_path / "merged").iterdir())


def test_shard_and_merge_commands_end_to_end(tmp_path):
    def invoke(*args):
        return CliRunner().invoke(main, [*args, "--cache-dir", str(tmp_path / "cache")])

    for index in range(2):
        result = invoke("run", "--quiet", "--detector", "random", "--dataset", "tiny", "--shard", f"{index}/2",
                        "--output", str(tmp_path / "shards"))
        assert result.exit_code == 0, result.output
        assert f"SHARD: scored shard {index}/2" in result.output
    paths = sorted(str(path) for path in (tmp_path / "shards").glob("*.json"))
    result = invoke("merge", "--quiet", *paths, "--output", str(tmp_path / "merged"))
    assert result.exit_code == 0, result.output
    assert "merged 2 shards, 3 images" in result.output
    [merged] = list((tmp_path / "merged").glob("*.json"))
    assert load_record(merged).is_complete
    refused = invoke("merge", "--quiet", paths[0], "--output", str(tmp_path / "merged"))
    assert refused.exit_code == 1 and "missing shard(s) 1/2" in refused.output and "Traceback" not in refused.output


@pytest.mark.parametrize(("args", "message"), [
    (["--shard", "0/2", "--limit", "1"], "--shard and --limit cannot be combined"),
    (["--shard", "2/2"], "shard 2/2 does not exist"),
    (["--shard", "two"], "--shard takes i/N"),
    (["--shard", "3/4"], "shard 3/4 of tiny/test holds no image: the run has only 3 images"),
])
def test_run_refuses_shards_that_cannot_be(tmp_path, args, message):
    result = CliRunner().invoke(main, ["run", "--quiet", "--detector", "random", "--dataset", "tiny",
                                       "--output", str(tmp_path / "results"), *args])
    assert result.exit_code != 0 and message in result.output, result.output
