import numpy as np
import pytest

from crbench.scoring.grid import ThresholdGrid, _Float32Binner
from crbench.scoring.pixels import KEY_ONE


def _grid_values(rng, kind, m):
    if kind == "float64":
        return rng.random(m)  # not float32 numbers: two cuts at one key
    if kind == "float32":
        return np.float32(rng.random(m)).astype(np.float64)  # pairs {key, key + 1}
    if kind == "consecutive":  # neighbouring float32 values: several grid values per bucket
        start = np.float32(rng.uniform(0.01, 0.9)).view(np.uint32)
        keys = start + np.arange(m, dtype=np.uint32) * np.uint32(rng.integers(1, 4))
        return keys.view(np.float32).astype(np.float64)
    values = np.float32(10 ** rng.uniform(-8, 0, m)).astype(np.float64)  # many binades
    return np.r_[values, 0.0, 1.0, 0.43]


@pytest.mark.parametrize("kind", ["float64", "float32", "consecutive", "log"])
@pytest.mark.parametrize("buckets_per_cut, max_scan, max_table",
                         [(4, 4, 1 << 22), (1, 1, 1 << 22), (1 << 12, 2, 1 << 22), (4, 4, 1 << 10)])
def test_pair_lookup_equals_binary_search(monkeypatch, kind, buckets_per_cut, max_scan, max_table):
    # Fine buckets put a grid value's two cuts on either side of a bucket border
    # or at a bucket start; coarse ones put several grid values in one bucket.
    monkeypatch.setattr(_Float32Binner, "BUCKETS_PER_CUT", buckets_per_cut)
    monkeypatch.setattr(_Float32Binner, "MAX_SCAN", max_scan)
    monkeypatch.setattr(_Float32Binner, "MAX_TABLE", max_table)
    rng = np.random.default_rng([buckets_per_cut, max_scan, max_table, len(kind)])
    for m in (1, 7, 300):
        grid = ThresholdGrid(_grid_values(rng, kind, m))
        binner, reference = grid.binner(np.float32), grid.binner(np.float64)
        on_grid = np.float32(grid.values).view(np.uint32).astype(np.int64)
        keys = np.r_[rng.integers(0, KEY_ONE + 1, 5000), on_grid - 1, on_grid, on_grid + 1, on_grid + 2, 0, KEY_ONE]
        keys = np.clip(keys, 0, KEY_ONE).astype(np.uint32)
        expected = reference.cells(keys.view(np.float32).astype(np.float64))
        assert np.array_equal(binner.cells(keys), expected)
        out = np.empty(keys.size, np.intp)
        assert binner.cells(keys, out=out) is out and np.array_equal(out, expected)
