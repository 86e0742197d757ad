"""Seeded synthetic images for the bootstrap tests."""

import numpy as np


def make_score_images(n_images=6, *, shape=(24, 24), seed=0, levels=40, with_ignore=True):
    """``(truth, ignore, scores, sample_id)`` items; quantised scores give ties; every image has positives."""
    rng = np.random.default_rng(seed)
    items = []
    for index in range(n_images):
        truth = rng.random(shape) < 0.03
        truth[rng.integers(shape[0]), rng.integers(shape[1])] = True
        ignore = (rng.random(shape) < 0.05) & ~truth if with_ignore else None
        raw = np.clip(0.35 * truth + rng.random(shape) * (0.5 + 0.1 * index), 0, 1)
        scores = (np.floor(raw * levels) / levels).astype(np.float32)
        items.append((truth, ignore, scores, f"img-{index:02d}"))
    return items


def make_sweep_images(n_images=6, *, shape=(24, 24), seed=0, values=(0.2, 0.4, 0.6, 0.8)):
    """``(truth, ignore, masks, sample_id)`` items: masks are seeded scores thresholded at each value."""
    items = []
    for truth, ignore, scores, sample_id in make_score_images(n_images, shape=shape, seed=seed):
        masks = np.stack([scores >= value for value in values])
        items.append((truth, ignore, masks, sample_id))
    return items


def duplicated(items, weights, sample_ids):
    """The items each repeated as often as its weight (columns of ``weights`` follow ``sample_ids``)."""
    by_id = {item[3]: item for item in items}
    out = []
    for sample_id, weight in zip(sample_ids, weights):
        truth, ignore, output, _ = by_id[sample_id]
        out.extend((truth, ignore, output, f"{sample_id}#{copy}") for copy in range(int(weight)))
    return out
