"""Failure galleries: the largest errors from a run's cached outputs, and a note where there are none."""

from crbench.jobs import rebuild
from crbench.jobs.site_gallery import failure_galleries
from crbench.leaderboard.collect import load_results
from crbench.review.items import ReviewItem
from crbench.site.gallery import worst_items
from crbench.site.tables_html import table_slug


def _item(kind, n_pixels, peak, sample_id="a"):
    return ReviewItem(sample_id=sample_id, kind=kind, object_id=n_pixels, x=1.0, y=1.0, n_pixels=n_pixels, peak=peak,
                      bbox=(slice(0, 1), slice(0, 1)), pixels=None)


def test_worst_items_are_the_largest_of_their_kind_over_every_image():
    reviewed = [("sample a", [_item("fp", 3, 1.0), _item("missed", 50, 1.0), _item("fp", 9, 1.0)], None),
                ("sample b", [_item("fp", 9, 5.0, "b"), _item("truth", 99, 1.0, "b")], None)]
    worst = worst_items(reviewed, "fp", count=2)
    assert [(item.sample_id, item.n_pixels, item.peak) for item, _, _ in worst] == [("b", 9, 5.0), ("a", 9, 1.0)]


def test_a_rebuild_with_a_score_cache_draws_the_galleries_and_an_empty_cache_says_why_not(tmp_path, isolated_cache):
    out, cache = tmp_path / "leaderboard", tmp_path / "cache"
    rebuild(out, detectors=["oracle", "random"], datasets=["tiny"], size="default", processes=1, bench=False,
            progress=False, cache_dir=cache)

    collection = load_results(out / "records")
    label = collection.groups[0].key.dataset_label  # "tiny (default/test, vN)"
    image = f"img/{table_slug(f'gallery-random-{label}-fp')}.png"
    page = (out / "site" / "detector-random.html").read_text()
    assert image in page
    assert (out / "site" / image).stat().st_size < 60_000  # small PNGs
    oracle = (out / "site" / "detector-oracle.html").read_text()
    assert "largest false-positive clusters (flagged, touching no dilated truth): 0 in 3 image(s)" in oracle

    galleries = failure_galleries(collection, cache_dir=tmp_path / "empty", images=2)
    assert galleries[("random", label)].pngs == {}
    assert "no cached output" in galleries[("random", label)].note
