import numpy as np
import pytest

from crbench.scoring.objects import DEFAULT_OBJECT_OPTIONS, object_metrics, sum_object_counts
from crbench.uncertainty import draw_resamples, percentile_interval
from crbench.uncertainty.objects import bootstrap_object_metrics


def _section(seed=1, n_images=12):
    rng = np.random.default_rng(seed)
    counters = ["n_objects", "n_found", "n_found_any", "n_fp_objects", "n_scored_pixels"]
    per_image = {}
    for index in range(n_images):
        n_objects = int(rng.integers(0, 6))
        n_found = int(rng.integers(0, n_objects + 1))
        per_image[f"img-{index:02d}"] = [n_objects, n_found, min(n_objects, n_found + 1), int(rng.integers(0, 3)),
                                         65536]
    return {"counters": counters, "per_image": per_image, "options": DEFAULT_OBJECT_OPTIONS.to_dict()}


def _image_dicts(section, ids):
    return [dict(zip(section["counters"], section["per_image"][sample_id])) for sample_id in ids]


def test_replicates_are_object_metrics_of_the_weighted_sums():
    section = _section()
    result = bootstrap_object_metrics(section, n_resamples=200, seed=3)
    resamples = draw_resamples(list(section["per_image"]), n_resamples=200, seed=3)
    images = _image_dicts(section, resamples.sample_ids)
    expected = {"object_recall": [], "fp_objects_per_megapixel": []}
    for weights in resamples.weights:
        metrics = object_metrics(sum_object_counts(images, weights=list(weights)))
        for name in expected:
            expected[name].append(metrics[name])
    for name, values in expected.items():
        low, high, n_undefined = percentile_interval(values, level=0.95)
        assert result["metrics"][name] == {"low": low, "high": high, "n_undefined": n_undefined}
    # same images, seed and strata as the pixel bootstrap: the same resamples, provably
    assert result["weights_sha256"] == resamples.digest


def test_interval_brackets_the_point_estimate_and_moves_with_the_seed():
    section = _section(n_images=40)
    point = object_metrics(sum_object_counts(_image_dicts(section, section["per_image"])))["object_recall"]
    first = bootstrap_object_metrics(section, n_resamples=500, seed=0)["metrics"]["object_recall"]
    other = bootstrap_object_metrics(section, n_resamples=500, seed=1)["metrics"]["object_recall"]
    assert first["low"] <= point <= first["high"]
    assert first["low"] < first["high"]
    assert (first["low"], first["high"]) != (other["low"], other["high"])


def test_images_without_objects_make_undefined_replicates_not_narrower_intervals():
    section = _section(n_images=3)
    section["per_image"] = {"a": [0, 0, 0, 1, 100], "b": [0, 0, 0, 0, 100], "c": [1, 1, 1, 0, 100]}
    result = bootstrap_object_metrics(section, n_resamples=400, seed=0)["metrics"]["object_recall"]
    # P(image c not drawn) = (2/3)^3 = 0.30: far more than 2.5 % of the replicates are undefined
    assert result["n_undefined"] > 50
    assert result["low"] is None


@pytest.mark.parametrize("n_resamples", [0, -1])
def test_needs_resamples(n_resamples):
    from crbench.errors import InputError

    with pytest.raises(InputError):
        bootstrap_object_metrics(_section(), n_resamples=n_resamples, seed=0)
