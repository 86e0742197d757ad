"""``sim_*``: simulated data sets with exact cosmic-ray labels, built offline.

Each sample is generated independently from ``SeedSequence(card.seed,
spawn_key=(split, index))`` by :func:`crbench.simulate.simulate_frame`, so
any sample can be made alone, in any order, on any machine, and two
generations of the same card and crbench version are byte-identical.
Generated samples are cached as compressed ``.npz`` files under
``$CRBENCH_CACHE`` (default ``~/.cache/crbench``)::

    datasets/<name>/<version>/<size>/<split>/<sample_id>.npz
    datasets/<name>/<version>/<size>/<split>/manifest.json

``load_sample`` generates a missing sample on demand; ``build`` generates a
whole split and writes its manifest (sha256 per sample, from
:func:`~crbench.datasets.base.sample_sha256`); ``verify`` checks cached
files and, optionally, fresh regenerations against the manifest.
"""

import json
import re
from pathlib import Path

import numpy as np

from ..atomic import atomic_path, write_json_atomic
from ..cache import cache_root
from ..errors import ChecksumError, CorruptFileError, InputError
from .base import Dataset, DatasetCard, Sample, SampleMeta, sample_sha256

__all__ = [
    "SimDataset",
    "SimDecam",
    "SimLco0m4",
    "SimLco1m",
    "SimLco2m",
    "generate_sample",
]

_SPLIT_KEYS = {"train": 0, "val": 1, "test": 2}
_OBJECT_PREFIX = "object_"
_EXTRA_ARRAYS = ("source_model", "cr_model", "defects")
_META_FIELDS = ("band", "exposure_time", "sky_level", "saturation")  # frame info stored as SampleMeta fields


def _astroscrappy_protocol(objlim, sigclip):
    return {"objlim": objlim, "sigfrac": 0.1, "sigclip": sigclip}


def _lacosmic_protocol(objlim, sigclip):
    # lacosmic.remove_cosmics: contrast ~ objlim, cr_threshold ~ sigclip, neighbor_threshold ~ sigfrac * sigclip
    return {"contrast": objlim, "cr_threshold": sigclip, "neighbor_threshold": round(0.1 * sigclip, 6)}


def _protocol(objlim, sigclip):
    return {"astroscrappy": _astroscrappy_protocol(objlim, sigclip), "lacosmic": _lacosmic_protocol(objlim, sigclip)}


def generate_sample(dataset, split, index):
    """Generate sample ``index`` of ``split`` (no cache involved).

    Returns
    -------
    Sample
        With ``extras`` holding ``source_model``, ``cr_model`` (image
        units), ``defects`` (class map) and ``objects`` (per-CR table).
    """
    from ..simulate import get_profile, simulate_frame

    profile = get_profile(dataset.profile_name)
    layout = dataset.layout()
    seed = np.random.SeedSequence(dataset.card.seed, spawn_key=(_SPLIT_KEYS[split], index))
    rng = np.random.default_rng(seed)
    band = profile.bands[index % len(profile.bands)]
    frame = simulate_frame(profile, shape=layout["shape"], band=band, rng=rng, border=dataset.border)
    info = frame.info
    meta = SampleMeta(
        instrument=profile.name,
        units=profile.units,
        gain=profile.gain_e_per_adu,
        read_noise=profile.read_noise_e,
        saturation=float(info["saturation"]),
        band=band,
        exposure_time=float(info["exposure_time"]),
        sky_level=float(info["sky_level"]),
        sky_subtracted=profile.sky_subtracted,
        telescope_class=profile.telescope_class,
        extra={key: value for key, value in info.items() if key not in _META_FIELDS},
    )
    extras = {name: getattr(frame, name) for name in _EXTRA_ARRAYS}
    extras["objects"] = frame.objects
    return Sample(dataset.sample_id(split, index), frame.image, frame.truth, frame.ignore, meta, extras)


def _sample_hash(cls, size, data_dir, border, split, sample_id):
    """Load or generate one sample in a worker process and return its sha256."""
    return sample_sha256(cls(size=size, data_dir=data_dir, border=border).load_sample(split, sample_id))


def _save_sample(path, sample):
    arrays = {"image": sample.image, "truth": sample.truth, "ignore": sample.ignore}
    arrays.update({name: sample.extras[name] for name in _EXTRA_ARRAYS})
    arrays.update({_OBJECT_PREFIX + key: value for key, value in sample.extras["objects"].items()})
    arrays["meta_json"] = np.array(json.dumps(sample.meta.to_dict(), sort_keys=True))
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(handle, **arrays)


def _load_saved(path, sample_id):
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = SampleMeta(**json.loads(str(data["meta_json"])))
            extras = {name: data[name] for name in _EXTRA_ARRAYS}
            extras["objects"] = {
                key[len(_OBJECT_PREFIX):]: data[key] for key in data.files if key.startswith(_OBJECT_PREFIX)
            }
            return Sample(sample_id, data["image"], data["truth"], data["ignore"], meta, extras)
    except (OSError, KeyError, ValueError, TypeError) as err:
        raise CorruptFileError(
            f"cached simulated sample {path} cannot be read ({err}); delete it and it will be regenerated"
        ) from err


class SimDataset(Dataset):
    """Base class of the simulated data sets (one instrument profile each).

    Parameters
    ----------
    size : {"small", "full"}, optional
        ``small`` (default; quick start, CI, committed leaderboard) or
        ``full`` (paper scale; slow).
    data_dir : path-like, optional
        Cache root to use instead of ``$CRBENCH_CACHE``.
    border : int, optional
        Width of the ignored frame border in pixels (default
        :attr:`default_border`). A non-default border is cached apart.
    """

    profile_name: str
    sizes = ("small", "full")
    layouts: dict
    default_border = 2

    def __init__(self, *, size=None, data_dir=None, border=None):
        super().__init__(size=size, data_dir=data_dir)
        self.border = self.default_border if border is None else int(border)
        if self.border < 0:
            raise InputError(f"border must be >= 0 pixels, got {border!r}")

    def layout(self):
        """Return ``{"shape": (ny, nx), "counts": {split: n}}`` of this size."""
        return self.layouts[self.size]

    def cache_dir(self, split):
        """Directory holding the cached samples and manifest of ``split``."""
        root = Path(self.data_dir) if self.data_dir else cache_root()
        size = self.size if self.border == self.default_border else f"{self.size}-border{self.border}"
        return root / "datasets" / self.name / self.card.version / size / split

    def manifest_path(self, split):
        """Path of the stored manifest of ``split``."""
        return self.cache_dir(split) / "manifest.json"

    def sample_id(self, split, index):
        """Return the id of sample ``index`` of ``split``."""
        from ..simulate import get_profile

        bands = get_profile(self.profile_name).bands
        if len(bands) > 1:
            return f"{split}-{bands[index % len(bands)]}-{index:05d}"
        return f"{split}-{index:05d}"

    def sample_ids(self, split):
        self.check_split(split)
        return [self.sample_id(split, index) for index in range(self.layout()["counts"][split])]

    def _index(self, split, sample_id):
        match = re.fullmatch(r"[a-z]+-(?:[a-z]+-)?(\d+)", sample_id)
        if match is None or sample_id.split("-")[0] != split:
            raise InputError(f"{sample_id!r} is not a sample id of {self.name} split {split!r}")
        index = int(match.group(1))
        if index >= self.layout()["counts"][split] or self.sample_id(split, index) != sample_id:
            raise InputError(f"{sample_id!r} is not a sample id of {self.name} ({self.size}) split {split!r}")
        return index

    def generate(self, split, sample_id):
        """Generate one sample in memory, bypassing the cache."""
        self.check_split(split)
        return generate_sample(self, split, self._index(split, sample_id))

    def load_sample(self, split, sample_id):
        """Load one sample from the cache, generating and caching it if missing."""
        self.check_split(split)
        path = self.cache_dir(split) / f"{sample_id}.npz"
        if not path.exists():
            sample = self.generate(split, sample_id)
            _save_sample(path, sample)
            return sample
        return _load_saved(path, sample_id)

    def stored_manifest(self, split):
        """Return the stored manifest of ``split`` or None if there is none."""
        path = self.manifest_path(split)
        if not path.exists():
            return None
        try:
            payload = json.loads(path.read_text())
            return dict(payload["samples"])
        except (ValueError, KeyError, TypeError) as err:
            raise CorruptFileError(f"manifest {path} cannot be read ({err}); rebuild with "
                                   f"'crbench datasets build {self.name} --size {self.size}'") from err

    def manifest(self, split):
        """Return ``{sample_id: sha256}``, building the split if no complete manifest is stored."""
        stored = self.stored_manifest(split)
        if stored is not None and sorted(stored) == sorted(self.sample_ids(split)):
            return stored
        return self.build(split)

    def build(self, split, *, progress=False, jobs=1):
        """Generate (or load) every sample of ``split`` and write its manifest.

        Samples are streamed one at a time (per worker); already cached
        samples are read, not regenerated. Every sample has its own seed, so
        the result does not depend on ``jobs``.

        Parameters
        ----------
        split : str
        progress : bool, optional
            Show a tqdm progress bar.
        jobs : int, optional
            Worker processes.

        Returns
        -------
        dict of str to str
            The manifest ``{sample_id: sha256}``.
        """
        ids = self.sample_ids(split)
        if jobs > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # spawn, not fork: forking a process that holds BLAS/torch threads can deadlock
            executor = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"))
            args = (type(self), self.size, self.data_dir, self.border, split)
            hashes = executor.map(_sample_hash, *zip(*[args + (sample_id,) for sample_id in ids]), chunksize=4)
        else:
            executor = None
            hashes = (sample_sha256(self.load_sample(split, sample_id)) for sample_id in ids)
        if progress:
            from tqdm import tqdm

            hashes = tqdm(hashes, total=len(ids), desc=f"{self.name} {self.size} {split}", unit="image")
        try:
            manifest = dict(zip(ids, hashes))
        finally:
            if executor is not None:
                executor.shutdown(cancel_futures=True)
        write_json_atomic(
            self.manifest_path(split),
            {"dataset": self.name, "version": self.card.version, "size": self.size, "split": split,
             "seed": self.card.seed, "border": self.border, "samples": manifest},
        )
        return manifest

    def verify(self, split, *, regenerate=False, progress=False):
        """Check cached samples (and optionally fresh regenerations) against the manifest.

        Returns
        -------
        list of str
            One message per problem; empty when everything matches.

        Raises
        ------
        ChecksumError
            No manifest is stored for ``split``.
        """
        stored = self.stored_manifest(split)
        if stored is None:
            raise ChecksumError(
                f"no manifest for {self.name} ({self.size}) split {split!r} at {self.manifest_path(split)}; "
                f"run 'crbench datasets build {self.name} --size {self.size}' first"
            )
        problems = []
        ids = self.sample_ids(split)
        missing = sorted(set(ids) - set(stored))
        if missing:
            problems.append(f"manifest lacks {len(missing)} sample(s), e.g. {missing[0]}")
        iterator = ids
        if progress:
            from tqdm import tqdm

            iterator = tqdm(ids, desc=f"verify {self.name} {split}", unit="image")
        for sample_id in iterator:
            if sample_id not in stored:
                continue
            path = self.cache_dir(split) / f"{sample_id}.npz"
            if not path.exists():
                problems.append(f"{sample_id}: cached file {path} is missing")
            elif sample_sha256(_load_saved(path, sample_id)) != stored[sample_id]:
                problems.append(f"{sample_id}: cached file {path} does not match the manifest")
            if regenerate and sample_sha256(self.generate(split, sample_id)) != stored[sample_id]:
                problems.append(f"{sample_id}: a fresh generation does not match the manifest")
        return problems


_SIM_SOURCE = (
    "generated by crbench.simulate (GalSim scenes, ray-traced cosmic rays, defects, Poisson and read noise); "
    "instrument numbers and their sources: crbench/simulate/profiles.py"
)
_SIM_LICENSE = "BSD-3-Clause (generated data)"
_LABEL_NOTE = (
    "Truth = pixels whose injected CR charge exceeds 2.5 local noise sigmas (sqrt of sky + sources + dark + "
    "defects + read noise^2, electrons), stored undilated; scored dilated 3x3 as in both papers. CRs on stars "
    "are labelled. Ignore = saturated pixels and a 2-pixel border. Hot pixels, bad columns, bleed trails and "
    "satellite trails are non-CR; their classes are in extras['defects'] (codes in meta.extra['defect_classes'])."
)


class SimDecam(SimDataset):
    """DECam-like 256x256 patches in g, r, i, z (90 s, ADU, sky-subtracted)."""

    profile_name = "decam"
    layouts = {
        # small: 128 test patches (32 per band, 8.4 Mpix), enough train to fit a small U-Net a little
        "small": {"shape": (256, 256), "counts": {"train": 768, "val": 64, "test": 128}},
        # full: the paper's 8,192 test patches and 20,480 train patches with 1 % held out for validation
        "full": {"shape": (256, 256), "counts": {"train": 20272, "val": 208, "test": 8192}},
    }
    card = DatasetCard(
        name="sim_decam",
        # 2: transcendental functions through crbench.simulate.libm (issue 12); under AVX-512 dispatch
        # 4 small test images (test-z-00039, test-z-00107, test-i-00114, test-i-00122) and 6 train images
        # change by one float32 ulp in one or two pixels, labels unchanged (docs/simulated_datasets.md)
        version="2",
        family="sim_decam",
        description="Simulated DECam-like 256x256 patches (g, r, i, z; 90 s; 250 um fully depleted CCD) in ADU, "
        "sky-subtracted with the sky level in meta, with exact CR labels. " + _LABEL_NOTE,
        instrument="decam",
        truth_dilation=3,
        ignore_policy="exclude",
        # Bhavanam et al. 2022: objlim 1.0 on DECam, sigfrac 0.1, operating point sigclip 3
        detector_params=_protocol(1.0, 3.0),
        source=_SIM_SOURCE,
        citation="crbench simulator; CR pixel fraction calibrated to Desai et al. 2016 (2.7e-4 per 90 s)",
        license=_SIM_LICENSE,
        size_note="small: test 128 x 256^2 (8.4 Mpix), train 768, val 64; full: test 8192, train 20272, val 208. "
        "Measured undilated CR pixel fraction (benchmarks/sim_realism_report.py): 2.91e-4 on the small test "
        "split, 2.9e-4 on 40 blank-sky 1024^2 exposures; target 2.7e-4 (Desai et al. 2016).",
        seed=20220701,
    )


_LCO_PROTOCOL_NOTE = "Xu et al. 2023 / Bhavanam et al. 2022 protocol: sigfrac 0.1, objlim {objlim} for this class"


_LCO_COUNT_NOTE = "count of the LCO test set, {n} sequences x 3; independent scenes"


def _lco_card(name, telescope, objlim, seed, full_note, measured):
    return DatasetCard(
        name=name,
        version="1",
        family="sim_lco",
        description=f"Simulated LCO {telescope} frames (100-300 s, reduced, electrons, sky not subtracted) "
        "with exact CR labels. " + _LABEL_NOTE,
        instrument=name.removeprefix("sim_"),
        truth_dilation=3,
        ignore_policy="exclude",
        detector_params=_protocol(objlim, 15.0),
        source=_SIM_SOURCE,
        citation="crbench simulator; CR pixel fraction calibrated to ~1e-4 per LCO frame; "
        + _LCO_PROTOCOL_NOTE.format(objlim=objlim),
        license=_SIM_LICENSE,
        size_note="small: test 4 x 1024^2 (4.2 Mpix), train 16, val 4; " + full_note + ". Measured undilated "
        f"CR pixel fraction (benchmarks/sim_realism_report.py): {measured[0]} on the small test split (4 frames, "
        f"exposure times 100-300 s), {measured[1]} on 20 blank-sky 1024^2 exposures; target ~1e-4.",
        seed=seed,
    )


class SimLco0m4(SimDataset):
    """LCO 0.4 m (SBIG 6303) frames."""

    profile_name = "lco_0m4"
    layouts = {
        "small": {"shape": (1024, 1024), "counts": {"train": 16, "val": 4, "test": 4}},
        # 55 test sequences of 3 frames; native 3072 x 2048 format
        "full": {"shape": (2048, 3072), "counts": {"train": 495, "val": 33, "test": 165}},
    }
    card = _lco_card("sim_lco_0m4", "0.4 m (SBIG 6303)", 0.5, 20220702,
                     f"full: 165 test frames of 2048x3072 ({_LCO_COUNT_NOTE.format(n=55)}), train 495, val 33",
                     ("1.54e-4", "1.06e-4"))


class SimLco1m(SimDataset):
    """LCO 1 m (Sinistro) frames."""

    profile_name = "lco_1m"
    layouts = {
        "small": {"shape": (1024, 1024), "counts": {"train": 16, "val": 4, "test": 4}},
        # 51 test sequences of 3 frames; 4096 x 4096 format
        "full": {"shape": (4096, 4096), "counts": {"train": 459, "val": 30, "test": 153}},
    }
    card = _lco_card("sim_lco_1m", "1 m (Sinistro)", 2.0, 20220703,
                     f"full: 153 test frames of 4096x4096 ({_LCO_COUNT_NOTE.format(n=51)}), train 459, val 30",
                     ("8.5e-5", "1.03e-4"))


class SimLco2m(SimDataset):
    """LCO 2 m (Spectral, 2x2 binned) frames."""

    profile_name = "lco_2m"
    layouts = {
        "small": {"shape": (1024, 1024), "counts": {"train": 16, "val": 4, "test": 4}},
        # 13 test sequences of 3 frames; 2048 x 2048 binned format
        "full": {"shape": (2048, 2048), "counts": {"train": 117, "val": 9, "test": 39}},
    }
    card = _lco_card("sim_lco_2m", "2 m (Spectral, 2x2 binned)", 2.0, 20220704,
                     f"full: 39 test frames of 2048x2048 ({_LCO_COUNT_NOTE.format(n=13)}), train 117, val 9",
                     ("9.4e-5", "1.03e-4"))
