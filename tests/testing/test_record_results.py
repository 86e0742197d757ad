"""The record comparison that executor, shard and rebuild tests rely on must itself tell results from timings."""

import doctest

import crbench.jobs.graph
import crbench.testing.record_results
from crbench.testing.record_results import CACHE_KEYS, TIMING_KEYS, record_results_text


def test_the_docstring_examples_run():
    for module in (crbench.testing.record_results, crbench.jobs.graph):
        result = doctest.testmod(module, raise_on_error=False)
        assert result.attempted >= 1 and result.failed == 0, module.__name__


def test_a_changed_metric_or_row_order_differs_and_a_changed_timing_does_not():
    record = {"metrics": {"f1": 0.25}, "per_image": [{"sample_id": "a", "detect_seconds": 1.0},
                                                     {"sample_id": "b", "detect_seconds": 2.0}],
              "runtime": {"executor": "local"}}
    retimed = {**record, "runtime": {"executor": "dask"},
               "per_image": [{"sample_id": "a", "detect_seconds": 9.0}, {"sample_id": "b", "detect_seconds": 9.0}]}
    assert record_results_text(retimed) == record_results_text(record)
    assert record_results_text({**record, "metrics": {"f1": 0.25000000000000006}}) != record_results_text(record)
    assert record_results_text({**record, "per_image": record["per_image"][::-1]}) != record_results_text(record)


def test_cache_facts_are_results_unless_skipped():
    first = {"per_image": [{"sample_id": "a", "device": "cpu", "from_cache": False}]}
    resumed = {"per_image": [{"sample_id": "a", "from_cache": True}]}
    assert record_results_text(first) != record_results_text(resumed)
    assert record_results_text(first, skip=TIMING_KEYS | CACHE_KEYS) == record_results_text(resumed,
                                                                                          skip=TIMING_KEYS | CACHE_KEYS)
