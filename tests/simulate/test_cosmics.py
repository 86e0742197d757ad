import numpy as np
import pytest

from crbench.simulate.calibration import CR_PIXEL_FRACTION_TARGETS, measure_cosmic_rays
from crbench.simulate.cosmics import EVENT_KINDS, deposit_steps, draw_muon_directions, simulate_cosmic_rays
from crbench.simulate.profiles import PROFILES, get_profile


def test_muon_zenith_follows_cos_cubed_density():
    zenith, azimuth = draw_muon_directions(200_000, rng=np.random.default_rng(1))
    mu = np.cos(zenith)
    # density 4 mu^3 on [0, 1]: E[mu] = 4/5, E[mu^2] = 2/3, median = 0.5 ** 0.25
    assert mu.mean() == pytest.approx(0.8, abs=2e-3)
    assert (mu**2).mean() == pytest.approx(2 / 3, abs=2e-3)
    assert np.median(mu) == pytest.approx(0.5**0.25, abs=3e-3)
    assert azimuth.min() >= 0 and azimuth.max() < 2 * np.pi
    assert np.histogram(azimuth, bins=8)[0].std() / 25_000 < 0.02


def test_deposit_conserves_charge_and_spreads_with_sigma():
    shape = (40, 40)
    x, y = np.array([10.0, 25.3]), np.array([12.0, 29.6])
    charge = np.array([1000.0, 500.0])
    image = deposit_steps(shape, x=x, y=y, charge=charge, sigma=np.array([0.2, 1.5]))
    assert image.sum() == pytest.approx(1500.0)
    # a wide deposit's pixel-integrated centroid is at its position
    sub = image[20:40, 15:36]
    yy, xx = np.mgrid[20:40, 15:36]
    assert (sub * xx).sum() / sub.sum() == pytest.approx(25.3, abs=1e-3)
    assert (sub * yy).sum() / sub.sum() == pytest.approx(29.6, abs=1e-3)
    # a narrow deposit centred on a pixel keeps ~99 % of its charge in it (erf(0.5/0.2/sqrt 2)^2)
    assert image[12, 10] == pytest.approx(1000 * 0.98758**2, rel=1e-3)
    assert image[30, 25] < 0.2 * 500


def test_charge_off_image_is_lost():
    image = deposit_steps((10, 10), x=np.array([-5.0]), y=np.array([5.0]), charge=np.array([100.0]),
                          sigma=np.array([0.3]))
    assert image.sum() == 0.0


def test_decam_muon_track_length_median():
    # 250 um / 15 um x median tan(theta) (0.643) = 10.7 px
    field = simulate_cosmic_rays((2048, 2048), profile=get_profile("decam"), exposure_time=3600.0,
                                 rng=np.random.default_rng(3))
    muon = field.events["kind"] == EVENT_KINDS.index("muon")
    assert muon.sum() > 800
    assert 10.0 <= np.median(field.events["projected_length"][muon]) <= 11.5


def test_decam_muon_charge_matches_most_probable_ionisation():
    profile = get_profile("decam")
    field = simulate_cosmic_rays((1024, 1024), profile=profile, exposure_time=900.0, rng=np.random.default_rng(4))
    events = field.events
    muon = events["kind"] == 0
    inside = muon & (events["x"] > 80) & (events["x"] < 940) & (events["y"] > 80) & (events["y"] < 940)
    path_um = profile.thickness_um / np.cos(np.radians(events["zenith_deg"][inside]))
    per_um = events["charge"][inside] / path_um
    # Landau of the whole path: MPV ~79 e-/um over 250 um, the median a little above it (skewed tail)
    assert 80.0 <= np.median(per_um) <= 95.0


def test_lco_crs_are_mostly_small():
    for name in ("lco_0m4", "lco_1m", "lco_2m"):
        stats = measure_cosmic_rays(get_profile(name), n_exposures=8, shape=(512, 512), rng=np.random.default_rng(5),
                                    rate_scale=2.0)
        assert stats["object_length"].size > 50
        # measured: ~0.75 (0.4 m, 9 um pixels), ~0.86 (1 m), ~0.99 (2 m, 30 um binned pixels)
        assert np.mean(stats["object_length"] <= 3.0) > 0.6, name
        assert np.median(stats["object_n_pixels"]) <= 6, name


def test_decam_has_worms_and_long_tracks():
    stats = measure_cosmic_rays(get_profile("decam"), n_exposures=4, shape=(1024, 1024),
                                rng=np.random.default_rng(6), rate_scale=4.0)
    kinds = np.bincount(stats["object_kind"], minlength=3)
    assert kinds[EVENT_KINDS.index("worm")] > 0
    assert np.median(stats["object_length"]) > 6


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_cr_pixel_fraction_matches_published_target(name):
    profile = get_profile(name)
    n_exposures = 24 if name == "decam" else 12
    stats = measure_cosmic_rays(profile, n_exposures=n_exposures, shape=(768, 768), rng=np.random.default_rng(7))
    target = CR_PIXEL_FRACTION_TARGETS[name]
    assert stats["pixel_fraction"] == pytest.approx(target, rel=0.3)


def test_cosmic_rays_are_deterministic():
    profile = get_profile("decam")
    first = simulate_cosmic_rays((128, 128), profile=profile, exposure_time=900, rng=np.random.default_rng(8))
    second = simulate_cosmic_rays((128, 128), profile=profile, exposure_time=900, rng=np.random.default_rng(8))
    assert np.array_equal(first.charge, second.charge)
    assert first.kind_charge.sum() == pytest.approx(first.charge.sum(), rel=1e-5)


def test_muon_mpv_falls_with_path_length_as_pdg():
    from crbench.simulate.cosmics import MPV_REFERENCE_PATH_UM, muon_most_probable_charge

    model = get_profile("decam").cosmic_rays
    assert muon_most_probable_charge(MPV_REFERENCE_PATH_UM, model=model) == pytest.approx(80.0 * 300.0)
    # PDG Eq. 34.12: Delta_p / x = xi/x [B + ln(xi / I)] drops by 4.95 e-/um x ln(3) from 300 to 100 um
    per_um_100 = muon_most_probable_charge(100.0, model=model) / 100.0
    assert per_um_100 == pytest.approx(80.0 - 4.95 * np.log(3.0), rel=1e-9)
    assert muon_most_probable_charge(15.0, model=model) / 15.0 < per_um_100


def test_muon_charge_has_the_landau_delta_ray_tail():
    import dataclasses

    # vertical-ish muons only, charge per micron of path: a sum of independent Moyal steps was
    # nearly Gaussian (q90 / q50 ~ 1.02); the Landau of the whole path has a long tail
    profile = get_profile("decam")
    profile = dataclasses.replace(profile, cosmic_rays=dataclasses.replace(profile.cosmic_rays, worm_fraction=0.0,
                                                                           spot_fraction=0.0))
    field = simulate_cosmic_rays((1024, 1024), profile=profile, exposure_time=900.0, rng=np.random.default_rng(8))
    events = field.events
    inside = (events["x"] > 80) & (events["x"] < 940) & (events["y"] > 80) & (events["y"] < 940)
    per_um = events["charge"][inside] / (profile.thickness_um / np.cos(np.radians(events["zenith_deg"][inside])))
    q10, q50, q90 = np.quantile(per_um, [0.1, 0.5, 0.9])
    assert q90 / q50 > 1.2
    assert q10 > 70.0  # the Landau's short left side: few steps fall far below the MPV (79 e-/um at 250 um)


def test_worm_electrons_leave_a_thin_sensor():
    import dataclasses

    def mean_worm_charge(thickness_um):
        base = get_profile("decam")
        profile = dataclasses.replace(
            base, thickness_um=thickness_um,
            cosmic_rays=dataclasses.replace(base.cosmic_rays, worm_fraction=1.0, spot_fraction=0.0),
        )
        field = simulate_cosmic_rays((512, 512), profile=profile, exposure_time=600.0, rng=np.random.default_rng(9))
        inside = (field.events["x"] > 60) & (field.events["x"] < 450) & (field.events["y"] > 60) & (
            field.events["y"] < 450)
        return field.events["charge"][inside].mean()

    # a walk reflected at both surfaces kept every electron's whole energy whatever the thickness
    assert mean_worm_charge(10.0) < 0.5 * mean_worm_charge(250.0)
