"""Is a run record fit to stand for an official split? Complete, current, the official images, self-consistent."""

from ..datasets import manifest_hash
from ..detectors.base import params_hash
from ..records import RUN_SCHEMA, metric_problems
from ..records.run import DEFAULT_PROTOCOL_NAME
from ..scoring import METRIC_SPEC_VERSION

__all__ = ["record_problems", "count_problems"]


def record_problems(record, official, *, detector):
    """Return why ``record`` cannot stand for ``official`` (empty list when it can).

    Parameters
    ----------
    record : crbench.records.RunRecord
    official : crbench.submission.official.OfficialSplit
    detector : dict
        The submission's detector section (``name``, ``version``, ``class``).

    Returns
    -------
    list of str
        One sentence per problem, each naming the record's file.
    """
    where = record.filename
    problems = []
    if record.schema != RUN_SCHEMA:
        problems.append(f"{where}: schema {record.schema!r}, expected {RUN_SCHEMA!r}")
    if record.status != "complete":
        problems.append(f"{where}: status {record.status!r}; a submission needs complete records "
                        "(no subset, shard or partial run)")
    if record.protocol_name != DEFAULT_PROTOCOL_NAME:
        problems.append(f"{where}: scored under protocol {record.protocol_name!r}, the leaderboard's is "
                        f"{DEFAULT_PROTOCOL_NAME!r}")
    if record.metric_spec_version != METRIC_SPEC_VERSION:
        problems.append(f"{where}: metric spec {record.metric_spec_version!r}, current is {METRIC_SPEC_VERSION!r}")
    for key, expected in (("name", detector.get("name")), ("version", detector.get("version")),
                          ("class_path", detector.get("class"))):
        if getattr(record.detector, key) != expected:
            problems.append(f"{where}: detector {key} {getattr(record.detector, key)!r}, the submission's is "
                            f"{expected!r}")
    if params_hash(record.detector.name, record.detector.version, record.detector.params) != record.detector.params_hash:
        problems.append(f"{where}: detector params_hash does not match its parameters")
    dataset = record.dataset
    if (dataset.name, dataset.size, dataset.split) != (official.dataset, official.size, official.split):
        problems.append(f"{where}: data set {dataset.name}/{dataset.size}/{dataset.split}, expected {official.key}")
    if dataset.version != official.version:
        problems.append(f"{where}: data set version {dataset.version!r}, the official {official.dataset} is "
                        f"version {official.version!r}")
    if dataset.manifest_hash != official.manifest_hash:
        problems.append(f"{where}: data set manifest hash {dataset.manifest_hash[:16]}..., the official "
                        f"{official.key} has {official.manifest_hash[:16]}... (other images)")
    rows = {row.sample_id: row.sha256 for row in record.per_image}
    if rows != official.sample_sha256:
        problems.append(f"{where}: per-image rows cover {len(rows)} images, not the official "
                        f"{len(official.sample_sha256)} of {official.key} with their sha256")
    elif manifest_hash(rows) != dataset.manifest_hash:
        problems.append(f"{where}: manifest hash disagrees with its own per-image rows")
    problems += [f"{where}: {problem}" for problem in metric_problems(record)]
    problems += [f"{where}: {problem}" for problem in count_problems(record)]
    return problems


def count_problems(record):
    """Do the per-image counts add up to the record's summed counts? (empty list when they do).

    The metrics are checked against the summed counts by
    :func:`crbench.records.metric_problems`; this links the summed counts to
    the per-image rows, which a re-run reproduces image by image.
    """
    if record.counts is None:
        return ["the record stores no summed counts, so its metrics cannot be checked"]
    data = record.counts.data
    rows = record.per_image
    if any(row.n_pixels is None for row in rows):
        return ["some per-image rows hold no counts"]
    problems = []
    if record.counts.kind == "sweep":
        total_pos = data["tp"][0] + data["fn"][0] if data["tp"] else 0
        total_neg = data["fp"][0] + data["tn"][0] if data["fp"] else 0
        for index, value in enumerate(data["values"]):
            for key in ("tp", "fp", "fn", "tn"):
                summed = sum(_at(row, value).get(key, 0) for row in rows)
                if summed != data[key][index]:
                    problems.append(f"{key} at sweep value {value} sums to {summed} over the images, the counts "
                                    f"hold {data[key][index]}")
    else:
        total_pos = sum(data["n_pos_equal"])
        total_neg = sum(data["n_neg_equal"]) + sum(data["n_neg_between"])
    if sum(row.n_pos for row in rows) != total_pos or sum(row.n_neg for row in rows) != total_neg:
        problems.append("the per-image positive and negative pixel counts do not add up to the summed counts")
    return problems


def _at(row, value):
    for operating in row.operating:
        if float(operating.get("threshold")) == float(value):
            return operating
    return {}
