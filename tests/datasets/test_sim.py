import json

import numpy as np
import pytest
from click.testing import CliRunner

from crbench.commands.datasets import datasets
from crbench.datasets import get_dataset_class, sample_sha256
from crbench.datasets.sim import SimDataset, SimDecam, SimLco1m, SimLco2m, generate_sample
from crbench.errors import ChecksumError, InputError

SIM_NAMES = ("sim_decam", "sim_lco_0m4", "sim_lco_1m", "sim_lco_2m")
TINY_LAYOUT = {"shape": (96, 96), "counts": {"train": 2, "val": 1, "test": 3}}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CRBENCH_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def tiny_layouts(monkeypatch):
    for cls in (SimDecam, SimLco1m):
        monkeypatch.setattr(cls, "layouts", {"small": TINY_LAYOUT, "full": cls.layouts["full"]})


@pytest.mark.parametrize("name", SIM_NAMES)
def test_registered_with_protocol_cards(name):
    cls = get_dataset_class(name)
    assert issubclass(cls, SimDataset)
    card = cls.card
    assert card.name == name and card.truth_dilation == 3 and card.seed is not None
    assert card.detector_params["astroscrappy"]["sigfrac"] == 0.1
    objlim = card.detector_params["astroscrappy"]["objlim"]
    assert objlim == {"sim_decam": 1.0, "sim_lco_0m4": 0.5}.get(name, 2.0)
    assert card.detector_params["lacosmic"]["contrast"] == objlim
    assert card.family == ("sim_decam" if name == "sim_decam" else "sim_lco")
    assert cls.sizes == ("small", "full")


def test_small_test_splits_stay_within_budget():
    for name in SIM_NAMES:
        layout = get_dataset_class(name).layouts["small"]
        n_pixels = layout["counts"]["test"] * layout["shape"][0] * layout["shape"][1]
        # >= 400 CR objects each (sim_decam ~0.75 per 90 s patch), within the rebuild's 2-core budget
        assert 3e6 <= n_pixels <= 48e6, name
    counts = SimDecam.layouts["full"]["counts"]
    assert counts["test"] == 8192 and counts["train"] + counts["val"] == 20480


def test_decam_ids_cycle_through_bands(tiny_layouts, cache):
    ids = SimDecam().sample_ids("test")
    assert ids == ["test-g-00000", "test-r-00001", "test-i-00002"]
    assert SimLco1m().sample_ids("val") == ["val-00000"]
    with pytest.raises(InputError):
        SimDecam().load_sample("test", "test-r-00000")
    with pytest.raises(InputError):
        SimDecam().sample_ids("calibration")


def test_two_generations_are_byte_identical_and_samples_independent(tiny_layouts, cache):
    dataset = SimDecam()
    first = dataset.generate("test", "test-i-00002")
    second = SimDecam().generate("test", "test-i-00002")
    assert sample_sha256(first) == sample_sha256(second)
    for name in ("source_model", "cr_model", "defects"):
        assert np.array_equal(first.extras[name], second.extras[name])
    # splits and indices use distinct seeds
    assert sample_sha256(dataset.generate("test", "test-g-00000")) != sample_sha256(first)
    assert sample_sha256(generate_sample(dataset, "train", 2)) != sample_sha256(first)


def test_load_caches_and_round_trips(tiny_layouts, cache):
    dataset = SimLco1m()
    sample = dataset.load_sample("test", "test-00001")
    path = dataset.cache_dir("test") / "test-00001.npz"
    assert path.exists() and str(path).startswith(str(cache))
    assert "/sim_lco_1m/2/small/test/" in path.as_posix()
    again = dataset.load_sample("test", "test-00001")
    assert sample_sha256(again) == sample_sha256(sample)
    assert again.meta == sample.meta
    assert again.meta.units == "electron" and again.meta.telescope_class == "1m0"
    assert set(again.extras["objects"]) >= {"n_pixels", "length", "charge", "kind"}
    validated = again.validated()
    assert validated.extras["n_nonfinite"] == 0
    decam = SimDecam().load_sample("test", "test-g-00000")
    assert decam.meta.units == "adu" and decam.meta.sky_subtracted and decam.meta.gain == 4.0
    assert decam.meta.extra["defect_classes"]["1"] == "hot_pixel"


def test_build_writes_manifest_and_verify_detects_tampering(tiny_layouts, cache):
    dataset = SimLco1m()
    with pytest.raises(ChecksumError):
        dataset.verify("test")
    manifest = dataset.build("test")
    assert sorted(manifest) == dataset.sample_ids("test")
    stored = json.loads(dataset.manifest_path("test").read_text())
    assert stored["samples"] == manifest and stored["seed"] == dataset.card.seed
    assert dataset.manifest("test") == manifest
    assert dataset.verify("test", regenerate=True) == []
    # replace one cached file by another sample's: verify must notice
    files = sorted(dataset.cache_dir("test").glob("*.npz"))
    files[0].write_bytes(files[1].read_bytes())
    problems = dataset.verify("test")
    assert len(problems) == 1 and "test-00000" in problems[0]


def test_cli_build_verify_show(tiny_layouts, cache, tmp_path):
    runner = CliRunner()
    result = runner.invoke(datasets, ["build", "sim_lco_1m", "--split", "test"])
    assert result.exit_code == 0, result.output
    assert "3 samples" in result.output
    result = runner.invoke(datasets, ["verify", "sim_lco_1m"])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output
    out = tmp_path / "fig.png"
    result = runner.invoke(datasets, ["show", "sim_decam", "--out", str(out), "--index", "1"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    result = runner.invoke(datasets, ["build", "tiny"])
    assert result.exit_code != 0 and "not a simulated data set" in result.output
    result = runner.invoke(datasets, ["verify", "sim_lco_1m@1"])  # an earlier version is its own data set
    assert result.exit_code != 0 and "no manifest" in result.output and "/sim_lco_1m/1/" in result.output
    result = runner.invoke(datasets, ["build", "sim_lco_1m@7"])
    assert result.exit_code != 0 and "versions" in result.output
    result = runner.invoke(datasets, ["verify", "sim_lco_2m"])
    assert result.exit_code != 0 and "crbench datasets build sim_lco_2m" in result.output


def test_border_is_configurable_and_cached_apart(tiny_layouts, cache):
    default = SimLco1m()
    wide = SimLco1m(border=8)
    assert default.cache_dir("test") != wide.cache_dir("test")
    sample = wide.load_sample("test", "test-00000")
    assert sample.ignore[:8].all() and sample.ignore[:, -8:].all()
    assert not sample.ignore[8:-8, 8:-8].all()
    with pytest.raises(InputError):
        SimLco1m(border=-1)


@pytest.mark.slow
def test_parallel_build_matches_serial(cache):
    # real layout (spawned workers do not see monkeypatched classes): 2 frames of 2048^2
    serial = SimLco2m(data_dir=cache / "serial").build("val")
    parallel = SimLco2m(data_dir=cache / "parallel").build("val", jobs=2)
    assert parallel == serial


def test_every_published_version_stays_loadable(cache):
    old = SimDecam(version="2")
    assert old.card.version == "2" and SimDecam().card.version == "3"
    assert "/sim_decam/2/small/test" in old.cache_dir("test").as_posix()
    assert old.layout()["counts"]["test"] == 128 and SimDecam().layout()["counts"]["test"] == 704
    assert "ignore_bits" not in old.generate("test", "test-g-00000").extras
    with pytest.raises(InputError, match="versions"):
        SimDecam(version="9")


def test_build_dataset_takes_name_at_version(cache):
    from crbench.jobs import build_dataset

    dataset, kwargs = build_dataset("sim_lco_2m@1", size="small")
    assert dataset.card.version == "1" and kwargs["version"] == "1"
    assert build_dataset("sim_lco_2m")[0].card.version == "2"
    with pytest.raises(InputError, match="only version"):
        build_dataset("tiny@7")


def test_version_2_samples_carry_the_ignore_bits_and_round_trip(tiny_layouts, cache):
    dataset = SimDecam()
    sample = dataset.load_sample("test", "test-i-00002")
    bits = sample.extras["ignore_bits"]
    assert bits.dtype == np.uint8
    np.testing.assert_array_equal(sample.ignore, bits != 0)
    assert sample.meta.extra["protocol"] == "decam_cp" and sample.meta.extra["ignore_bits"]["bad_pixel"] == 2
    again = dataset.load_sample("test", "test-i-00002")  # from the cache file
    np.testing.assert_array_equal(again.extras["ignore_bits"], bits)


def test_stress_variants_share_the_standard_split_where_they_do_not_change_it(cache):
    from crbench.datasets.sim import SimDecamSharp, SimDecamUnmasked

    standard = SimDecam().generate("test", "test-r-00001")
    unmasked = SimDecamUnmasked().generate("test", "test-r-00001")
    np.testing.assert_array_equal(standard.image, unmasked.image)
    assert unmasked.ignore.sum() <= standard.ignore.sum()
    sharp = SimDecamSharp().generate("test", "test-r-00001")
    assert sharp.meta.extra["psf_fwhm_px"] <= 2.5 and standard.meta.extra["psf_fwhm_px"] >= 0.55 / 0.263


def test_itlcr_variant_changes_only_the_cosmic_rays(cache, requires_reference_data):
    from crbench.datasets.sim import SimDecamItlcr

    card = SimDecamItlcr.card
    assert get_dataset_class("sim_decam_itlcr") is SimDecamItlcr
    assert card.kind == "stress" and card.family == "sim_decam" and card.seed == SimDecam.card.seed
    assert SimDecamItlcr.layouts == SimDecam.layouts and SimDecamItlcr().spec.protocol == SimDecam().spec.protocol
    n_objects = 0
    for sample_id in ("test-g-00004", "test-z-00007", "test-r-00009"):
        standard = SimDecam().generate("test", sample_id)
        real = SimDecamItlcr().generate("test", sample_id)
        assert real.meta.extra["cr_source"] == "itl_footprints" and "cr_source" not in standard.meta.extra
        # the same sky, sources, defects and noise: every pixel without CR charge in either frame is identical
        clean = (standard.extras["cr_model"] == 0) & (real.extras["cr_model"] == 0)
        np.testing.assert_array_equal(real.image[clean], standard.image[clean])
        np.testing.assert_array_equal(real.extras["source_model"], standard.extras["source_model"])
        np.testing.assert_array_equal(real.extras["defects"], standard.extras["defects"])
        assert not np.any(real.truth & (real.extras["cr_model"] == 0))
        n_objects += real.extras["objects"]["n_pixels"].size
    assert n_objects >= 3


def test_itlcr_truth_cosmic_rays_are_catalogue_footprints(cache, requires_reference_data):
    from crbench.datasets.sim import SimDecamItlcr
    from crbench.simulate import itl_footprint_library, simulate_frame

    dataset = SimDecamItlcr()
    profile = dataset.profile()
    library = itl_footprint_library(profile=profile)
    n_whole = 0
    for index in (4, 7, 8):
        sample = dataset.generate("test", dataset.sample_id("test", index))
        # the frame again, with its event table (generate_sample's seed)
        rng = np.random.default_rng(np.random.SeedSequence(dataset.card.seed, spawn_key=(2, index)))
        frame = simulate_frame(profile, shape=dataset.layout()["shape"], band=sample.meta.band, rng=rng,
                               border=dataset.border, protocol="decam_cp", cr_source="itl_footprints")
        np.testing.assert_array_equal(frame.image, sample.image)
        events = frame.events
        hit = events["charge"] > 0
        assert hit.any()
        ny, nx = sample.image.shape
        radius = np.array([max(np.abs(rows).max(), np.abs(cols).max())
                           for rows, cols, _ in (library.footprint(i) for i in events["footprint"][hit])])
        x, y = events["x"][hit], events["y"][hit]
        whole = (x >= radius) & (x < nx - radius) & (y >= radius) & (y < ny - radius)
        np.testing.assert_allclose(events["charge"][hit][whole], library.charge[events["footprint"][hit][whole]])
        if whole.all():
            # every CR pixel of the frame is a catalogue footprint pixel, with its charge
            painted = np.sort(frame.cr_model[frame.cr_model > 0].astype(np.float64) * profile.gain_e_per_adu)
            footprints = np.sort(np.concatenate([library.footprint(i)[2] for i in events["footprint"][hit]]))
            np.testing.assert_allclose(painted, footprints, rtol=1e-6)
            n_whole += 1
    assert n_whole >= 1
