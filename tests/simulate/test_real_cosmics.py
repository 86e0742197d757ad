"""Real ITL footprints as a cosmic-ray source: library, rescaling between sensors, drawing."""

import dataclasses

import numpy as np
import pytest

from crbench.simulate import get_profile
from crbench.simulate.cosmics import EVENT_KINDS
from crbench.simulate.real_cosmics import (
    RATE_FACTORS,
    FootprintLibrary,
    draw_real_cosmic_rays,
    itl_footprint_library,
    real_event_rate,
    rescale_footprints,
)

MUON, WORM, SPOT = (EVENT_KINDS.index(kind) for kind in ("muon", "worm", "spot"))


def _synthetic_library():
    """A horizontal 5-pixel track, a single-pixel spot and a 3 x 3 blob (a worm), all 100 e- per pixel."""
    track = [(10, c) for c in range(20, 25)]
    spot = [(40, 40)]
    blob = [(r, c) for r in range(60, 63) for c in range(60, 63)]
    pixels = [(0, p) for p in track] + [(1, p) for p in spot] + [(2, p) for p in blob]
    footprint = [f for f, _ in pixels]
    rows = [p[0] for _, p in pixels]
    cols = [p[1] for _, p in pixels]
    return FootprintLibrary.from_pixels(footprint, rows, cols, np.full(len(pixels), 100.0), pixel_size_um=10.0,
                                        thickness_um=100.0, source="synthetic")


def test_library_anchors_footprints_on_their_centroid_and_classifies_them():
    library = _synthetic_library()
    assert len(library) == 3 and library.n_pixels.tolist() == [5, 1, 9]
    assert library.kind.tolist() == [MUON, SPOT, WORM]
    rows, cols, electrons = library.footprint(0)
    assert rows.tolist() == [0] * 5 and cols.tolist() == [-2, -1, 0, 1, 2]
    assert library.charge.tolist() == [500.0, 100.0, 900.0]
    assert library.length.tolist() == [4.0, 0.0, np.hypot(2, 2)]
    assert library.radius == 2
    with pytest.raises(ValueError, match="at least one pixel"):
        FootprintLibrary.from_pixels([0, 2], [0, 0], [0, 1], [1.0, 1.0], pixel_size_um=10.0, thickness_um=100.0)


def test_rescaling_stretches_tracks_and_keeps_charge_per_micron_of_path():
    library = _synthetic_library()
    decam = rescale_footprints(library, pixel_size_um=15.0, thickness_um=250.0)
    # the track: charge x 250/100, centre-to-centre length 4 px x (250/15)/(100/10) = 6.67 px
    assert decam.charge[0] == pytest.approx(500.0 * 2.5, rel=1e-12)
    # the 5-pixel box (centres -2..2) becomes stretch x 4 + 1 = 7.67 px wide (-3.83..3.83): pixels -4..4, the
    # outermost ones only partly covered
    rows, cols, electrons = decam.footprint(0)
    assert set(rows.tolist()) == {0} and cols.tolist() == list(range(-4, 5))
    assert electrons[0] == electrons[-1] < electrons[1:-1].min()
    np.testing.assert_allclose(electrons, electrons[::-1])
    assert decam.kind.tolist() == library.kind.tolist()
    # spots and worms are kept pixel for pixel
    for index in (1, 2):
        for before, after in zip(library.footprint(index), decam.footprint(index)):
            np.testing.assert_array_equal(before, after)
    # the same sensor: nothing changes
    same = rescale_footprints(library, pixel_size_um=10.0, thickness_um=100.0)
    np.testing.assert_array_equal(same.electrons, library.electrons)
    np.testing.assert_array_equal(same.cols, library.cols)


def _draw_many(library, profile, *, n_draws, shape=(32, 48), exposure_time=100.0):
    rng = np.random.default_rng(11)
    return [draw_real_cosmic_rays(shape, profile=profile, exposure_time=exposure_time, rng=rng, library=library)
            for _ in range(n_draws)]


def test_event_count_is_poisson_at_the_calibrated_rate():
    library = _synthetic_library()
    profile = get_profile("decam")
    assert real_event_rate(profile) == profile.cosmic_rays.rate_per_cm2_s * RATE_FACTORS["decam"]
    itl_like = dataclasses.replace(profile, name="not_calibrated")
    assert real_event_rate(itl_like) == profile.cosmic_rays.rate_per_cm2_s
    shape, exposure_time, n_draws = (32, 48), 1e5, 2000
    fields = _draw_many(library, profile, n_draws=n_draws, shape=shape, exposure_time=exposure_time)
    pad = library.radius + 1
    area_cm2 = (shape[0] + 2 * pad) * (shape[1] + 2 * pad) * (profile.pixel_size_um * 1e-4) ** 2
    expected = real_event_rate(profile) * area_cm2 * exposure_time
    counts = np.array([field.events["kind"].size for field in fields])
    assert expected > 10
    assert abs(counts.mean() - expected) < 4.0 * np.sqrt(expected / n_draws)
    assert counts.var() == pytest.approx(expected, rel=0.15)  # Poisson: variance = mean


def test_draw_paints_whole_footprints_cut_at_the_edge_and_nothing_outside():
    library = _synthetic_library()
    profile = dataclasses.replace(get_profile("decam"), name="x")
    shape = (32, 48)
    fields = _draw_many(library, profile, n_draws=400, shape=shape, exposure_time=2e4)
    n_inside_whole = 0
    for field in fields:
        events = field.events
        assert set(events) >= {"kind", "x", "y", "projected_length", "charge", "zenith_deg", "footprint"}
        # every electron painted is inside the image and owned by an event
        assert field.charge.sum() == pytest.approx(events["charge"].sum(), rel=1e-12)
        np.testing.assert_allclose(field.kind_charge.sum(axis=0), field.charge, rtol=1e-6)
        full = library.charge[events["footprint"]]
        assert np.all(events["charge"] <= full + 1e-9)
        x, y = events["x"], events["y"]
        whole = (x >= 2) & (x < shape[1] - 2) & (y >= 2) & (y < shape[0] - 2)  # radius 2: fully inside
        np.testing.assert_allclose(events["charge"][whole], full[whole])
        n_inside_whole += int(whole.sum())
        far = (x < -2) | (x >= shape[1] + 2) | (y < -2) | (y >= shape[0] + 2)
        assert np.all(events["charge"][far] == 0)
        np.testing.assert_array_equal(events["kind"], library.kind[events["footprint"]])
    assert n_inside_whole > 50


def _key(stamp):
    return stamp.shape, stamp.tobytes()


def test_orientations_are_the_eight_grid_symmetries_of_the_footprint():
    # an L of increasing charge has 8 distinct images under rotations by 90 degrees and reflections
    stamp = np.zeros((3, 2))
    stamp[0, 0], stamp[1, 0], stamp[2, 0], stamp[2, 1] = 1.0, 2.0, 3.0, 4.0
    rows, cols = np.nonzero(stamp)
    library = FootprintLibrary.from_pixels(np.zeros(rows.size, dtype=int), rows, cols, stamp[rows, cols],
                                           pixel_size_um=15.0, thickness_um=250.0)
    images = {_key(np.rot90(flipped, k)) for flipped in (stamp, stamp.T) for k in range(4)}
    assert len(images) == 8
    profile = dataclasses.replace(get_profile("decam"), name="x")
    painted = {}
    rng = np.random.default_rng(3)
    for _ in range(1500):  # about one event per draw
        field = draw_real_cosmic_rays((40, 40), profile=profile, exposure_time=6000.0, rng=rng, library=library)
        events = field.events
        whole = np.nonzero(events["charge"] == 10.0)[0]
        if events["charge"].size == 0 or np.count_nonzero(events["charge"]) != 1 or whole.size != 1:
            continue
        rows, cols = np.nonzero(field.charge)
        stamp_painted = field.charge[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        painted.setdefault(int(events["orientation"][whole[0]]), set()).add(_key(stamp_painted))
    assert sorted(painted) == list(range(8))
    # each orientation code paints one image, and the 8 codes paint the 8 images
    assert all(len(found) == 1 for found in painted.values())
    assert set().union(*painted.values()) == images


def test_draws_are_deterministic_given_the_generator():
    library = _synthetic_library()
    profile = get_profile("decam")
    first = draw_real_cosmic_rays((64, 64), profile=profile, exposure_time=900.0, rng=np.random.default_rng(5),
                                  library=library)
    again = draw_real_cosmic_rays((64, 64), profile=profile, exposure_time=900.0, rng=np.random.default_rng(5),
                                  library=library)
    other = draw_real_cosmic_rays((64, 64), profile=profile, exposure_time=900.0, rng=np.random.default_rng(6),
                                  library=library)
    assert first.charge.tobytes() == again.charge.tobytes() and first.charge.any()
    for key in first.events:
        assert first.events[key].tobytes() == again.events[key].tobytes()
    assert first.charge.tobytes() != other.charge.tobytes()


def test_catalogue_round_trips_into_the_library(requires_reference_data):
    from crbench.realism.itl_footprints import read_itl_catalog, read_itl_catalog_spans

    spans, exposure_s, area_cm2 = read_itl_catalog_spans()
    assert len(spans["fp_id"]) == 11_986 and exposure_s == 1500.0 and area_cm2 == pytest.approx(16.288)
    everything = itl_footprint_library(min_charge=0.0)
    statistics = read_itl_catalog()
    assert len(everything) == len(statistics) == 1764
    assert everything.n_pixels.sum() == sum(len(values) for values in spans["pixel_values"]) == 28_804
    np.testing.assert_array_equal(everything.n_pixels, statistics.n_pixels)
    np.testing.assert_allclose(everything.charge, statistics.charge, rtol=1e-12)
    np.testing.assert_allclose(everything.length + 1.0, statistics.extent)
    cr_like = itl_footprint_library()
    assert len(cr_like) == 1109 == int(np.count_nonzero(statistics.charge >= 1000.0))
    assert np.bincount(cr_like.kind, minlength=3).tolist() == [838, 141, 130]


def test_catalogue_tracks_rescaled_to_decam_keep_charge_per_micron(requires_reference_data):
    itl = itl_footprint_library()
    decam = itl_footprint_library(profile=get_profile("decam"))
    assert decam is itl_footprint_library(profile=get_profile("decam"))  # cached per process
    tracks = itl.kind == MUON
    np.testing.assert_allclose(decam.charge[tracks], itl.charge[tracks] * 2.5, rtol=1e-12)
    np.testing.assert_array_equal(decam.charge[~tracks], itl.charge[~tracks])
    ratio = decam.length[tracks] / itl.length[tracks]
    assert np.median(ratio) == pytest.approx(250 / 15 / 10, rel=0.1) and ratio.min() >= 1.0
    assert decam.pixel_size_um == 15.0 and decam.thickness_um == 250.0
