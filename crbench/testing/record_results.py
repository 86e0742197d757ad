"""The results of a run record without its run-time facts: to check that two ways of making one run agree.

Executors, shards, resumed runs and rebuilds must write the same record but
for timings and where outputs came from; tests and benchmarks compare
records through :func:`record_results_text`.
"""

import json

__all__ = ["CACHE_KEYS", "TIMING_KEYS", "record_results", "record_results_text"]

#: Keys that hold timings or run-time facts, not results: they differ between executors and runs.
TIMING_KEYS = frozenset({"created", "runtime", "environment", "detect_seconds", "from_cache", "seconds",
                         "cpu_seconds", "seconds_per_megapixel", "extra_detect_seconds"})
#: What a run read from the score cache rather than detected: differs between a first run and a resumed one
#: (an image read from the cache names no device: nothing ran it in that run).
CACHE_KEYS = frozenset({"n_from_cache", "n_detected", "device"})


def record_results(data, *, skip=TIMING_KEYS):
    """``data`` (a record as a dict) without the keys in ``skip``, at any depth.

    Examples
    --------
    >>> record_results({"metrics": {"f1": 0.5}, "runtime": {"seconds": 3.0}, "per_image": [{"detect_seconds": 1}]})
    {'metrics': {'f1': 0.5}, 'per_image': [{}]}
    """
    if isinstance(data, dict):
        return {key: record_results(value, skip=skip) for key, value in data.items() if key not in skip}
    if isinstance(data, list):
        return [record_results(value, skip=skip) for value in data]
    return data


def record_results_text(data, *, skip=TIMING_KEYS):
    """:func:`record_results` as JSON text with sorted keys: equal texts mean bit-identical floats and row order."""
    return json.dumps(record_results(data, skip=skip), sort_keys=True)
