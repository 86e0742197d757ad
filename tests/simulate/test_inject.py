"""Real footprints injected into a frame: exact truth under the simulator's rule, units, ignore."""

import numpy as np
import pytest

from crbench.simulate import K_SIGMA, get_profile, inject_real_cosmic_rays
from crbench.simulate.inject import local_noise_sigma
from crbench.simulate.labels import cr_objects
from crbench.simulate.real_cosmics import FootprintLibrary, draw_real_cosmic_rays

SHAPE = (64, 80)


def _library():
    """A bright 6-pixel track with faint ends, a spot and a faint 2-pixel footprint."""
    rows = [5] * 6 + [20] + [30, 30]
    cols = list(range(10, 16)) + [20] + [40, 41]
    electrons = [30.0, 400.0, 900.0, 900.0, 400.0, 30.0, 5000.0, 20.0, 25.0]
    footprint = [0] * 6 + [1] + [2, 2]
    return FootprintLibrary.from_pixels(footprint, rows, cols, electrons, pixel_size_um=15.0, thickness_um=250.0)


def _frame(rng, *, sigma_e=20.0, gain=4.0):
    """A sky-subtracted frame in ADU with one star."""
    electrons = rng.normal(0.0, sigma_e, SHAPE)
    yy, xx = np.mgrid[:SHAPE[0], :SHAPE[1]]
    electrons += 5e4 * np.exp(-((yy - 40) ** 2 + (xx - 60) ** 2) / (2 * 1.5**2))
    return (electrons / gain).astype(np.float32)


def _inject(image, **options):
    defaults = {"units": "adu", "gain": 4.0, "exposure_time": 1e5, "profile": get_profile("decam"),
                "rng": np.random.default_rng(8), "library": _library()}
    return inject_real_cosmic_rays(image, **{**defaults, **options})


def test_truth_is_the_injected_pixels_above_k_local_sigmas():
    image = _frame(np.random.default_rng(1))
    ignore = np.zeros(SHAPE, dtype=bool)
    ignore[:, :8] = True
    result = _inject(image, noise_sigma=20.0, ignore=ignore)
    charge = result.cosmic_rays.charge
    assert charge.any() and charge[ignore].any()
    np.testing.assert_array_equal(result.truth, (charge > K_SIGMA * 20.0) & ~ignore)
    # faint footprint pixels (20-30 e- < 50 e-) are injected but not truth
    assert np.any((charge > 0) & (charge <= K_SIGMA * 20.0))
    # the image gains exactly the charge, in ADU
    np.testing.assert_allclose(result.image.astype(np.float64) - image, charge / 4.0, atol=1e-2)
    assert result.image.dtype == np.float32
    expected = cr_objects(result.truth, charge, result.cosmic_rays.kind_charge)
    for key, values in expected.items():
        np.testing.assert_array_equal(result.objects[key], values)


def test_default_noise_follows_the_frame_sky_and_sources():
    rng = np.random.default_rng(2)
    image = _frame(rng)
    sigma = local_noise_sigma(image * 4.0)
    assert np.median(sigma) == pytest.approx(20.0, rel=0.05)
    assert sigma[40, 60] > 200.0  # the star's Poisson noise (5e4 e- peak)
    result = _inject(image)
    np.testing.assert_array_equal(result.truth, result.cosmic_rays.charge > K_SIGMA * sigma)


def test_adu_and_electron_frames_get_the_same_cosmic_rays():
    image_adu = _frame(np.random.default_rng(3))
    in_adu = _inject(image_adu, noise_sigma=20.0)
    in_electrons = _inject(image_adu.astype(np.float64) * 4.0, units="electron", gain=1.0, noise_sigma=20.0)
    np.testing.assert_array_equal(in_adu.cosmic_rays.charge, in_electrons.cosmic_rays.charge)
    np.testing.assert_array_equal(in_adu.truth, in_electrons.truth)
    np.testing.assert_allclose(in_adu.image * 4.0, in_electrons.image, rtol=1e-6, atol=0.05)
    assert in_electrons.image.dtype == np.float64


def test_the_draw_is_the_source_draw_and_nothing_falls_outside():
    image = _frame(np.random.default_rng(4))
    result = _inject(image, noise_sigma=20.0)
    again = draw_real_cosmic_rays(SHAPE, profile=get_profile("decam"), exposure_time=1e5,
                                  rng=np.random.default_rng(8), library=_library())
    np.testing.assert_array_equal(result.cosmic_rays.charge, again.charge)
    assert result.cosmic_rays.charge.shape == SHAPE
    assert result.cosmic_rays.charge.sum() == pytest.approx(result.cosmic_rays.events["charge"].sum())


def test_bad_inputs_are_refused():
    image = _frame(np.random.default_rng(5))
    with pytest.raises(ValueError, match="units"):
        _inject(image, units="photons")
    with pytest.raises(ValueError, match="gain"):
        _inject(image, gain=0.0)
    with pytest.raises(ValueError, match="ignore has shape"):
        _inject(image, ignore=np.zeros((3, 3), dtype=bool))
    with pytest.raises(ValueError, match="no pixel"):
        _inject(image, ignore=np.ones(SHAPE, dtype=bool))
