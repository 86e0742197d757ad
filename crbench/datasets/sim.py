"""``sim_*``: simulated data sets with exact cosmic-ray labels, built offline.

Each sample is generated independently from ``SeedSequence(card.seed,
spawn_key=(split, index))`` by :func:`crbench.simulate.simulate_frame`, so
any sample can be made alone, in any order, on any machine, and two
generations of the same card and crbench version are byte-identical.
Generated samples are cached as compressed ``.npz`` files under
``$CRBENCH_CACHE`` (default ``~/.cache/crbench``)::

    datasets/<name>/<version>/<size>/<split>/<sample_id>.npz
    datasets/<name>/<version>/<size>/<split>/manifest.json

Every data set keeps each published version loadable: ``versions`` maps a
card version to its :class:`SimVersion` (card, layouts, read-out and ignore
protocol, profile overrides), and ``SimDecam(version="2")`` (or
``--dataset sim_decam@2`` on the command line) regenerates the old samples
byte for byte. The default is the newest version.

``load_sample`` generates a missing sample on demand; ``build`` generates a
whole split and writes its manifest (sha256 per sample, from
:func:`~crbench.datasets.base.sample_sha256`); ``verify`` checks cached
files and, optionally, fresh regenerations against the manifest.
"""

import dataclasses
import json
import re
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..atomic import atomic_path, remove_orphaned_temporaries, write_json_atomic
from ..cache import cache_root
from ..errors import ChecksumError, CorruptFileError, CorruptFileWarning, InputError
from ..executors import choose_executor, dask_client, map_chunks_on_dask
from .base import Dataset, DatasetCard, Sample, SampleMeta, sample_sha256

__all__ = [
    "SimVersion",
    "SimDataset",
    "SimDecam",
    "SimLco0m4",
    "SimLco1m",
    "SimLco2m",
    "SimDecamUnmasked",
    "SimDecamSharp",
    "SimDecamCrowded",
    "SimDecamItlcr",
    "generate_sample",
]

_SPLIT_KEYS = {"train": 0, "val": 1, "test": 2}
_OBJECT_PREFIX = "object_"
_EXTRA_ARRAYS = ("source_model", "cr_model", "defects")
_OPTIONAL_ARRAYS = ("ignore_bits",)  # version 2 protocols only
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
    from ..simulate import simulate_frame

    spec = dataset.spec
    profile = dataset.profile()
    layout = dataset.layout()
    seed = np.random.SeedSequence(dataset.card.seed, spawn_key=(_SPLIT_KEYS[split], index))
    rng = np.random.default_rng(seed)
    band = profile.bands[index % len(profile.bands)]
    frame = simulate_frame(
        profile, shape=layout["shape"], band=band, rng=rng, border=dataset.border, protocol=spec.protocol,
        cr_rate_scale=spec.cr_rate_scale, bright_star=spec.bright_star, cr_source=spec.cr_source,
    )
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
    if frame.ignore_bits is not None:
        extras["ignore_bits"] = frame.ignore_bits
    extras["objects"] = frame.objects
    return Sample(dataset.sample_id(split, index), frame.image, frame.truth, frame.ignore, meta, extras)


def _sample_hash(cls, size, data_dir, border, version, split, sample_id):
    """Load or generate one sample in a worker process and return its sha256."""
    dataset = cls(size=size, data_dir=data_dir, border=border, version=version)
    return sample_sha256(dataset.load_sample(split, sample_id))


def _sample_hashes(cls, size, data_dir, border, version, split, sample_ids):
    """A Dask task: load or generate (and cache) the samples ``sample_ids``; return their sha256s, in order."""
    dataset = cls(size=size, data_dir=data_dir, border=border, version=version)
    return [sample_sha256(dataset.load_sample(split, sample_id)) for sample_id in sample_ids]


def _save_sample(path, sample):
    arrays = {"image": sample.image, "truth": sample.truth, "ignore": sample.ignore}
    arrays.update({name: sample.extras[name] for name in _EXTRA_ARRAYS + _OPTIONAL_ARRAYS if name in sample.extras})
    arrays.update({_OBJECT_PREFIX + key: value for key, value in sample.extras["objects"].items()})
    arrays["meta_json"] = np.array(json.dumps(sample.meta.to_dict(), sort_keys=True))
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(handle, **arrays)


def _load_saved(path, sample_id):
    try:
        # our own handle: numpy leaks the one it opens when the zip directory is unreadable
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as data:
            meta = SampleMeta(**json.loads(str(data["meta_json"])))
            extras = {name: data[name] for name in _EXTRA_ARRAYS + _OPTIONAL_ARRAYS if name in data.files}
            extras["objects"] = {
                key[len(_OBJECT_PREFIX):]: data[key] for key in data.files if key.startswith(_OBJECT_PREFIX)
            }
            return Sample(sample_id, data["image"], data["truth"], data["ignore"], meta, extras)
    # empty (EOFError), truncated (BadZipFile), bit-flipped (BadZipFile "Bad CRC-32", zlib.error) or malformed
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error, KeyError, ValueError, TypeError) as err:
        raise CorruptFileError(
            f"cached simulated sample {path} cannot be read ({type(err).__name__}: {err}); "
            "delete it and it will be regenerated"
        ) from err


@dataclass(frozen=True)
class SimVersion:
    """How one version of a simulated data set is generated and scored.

    Attributes
    ----------
    card : DatasetCard
    layouts : dict
        ``{size: {"shape": (ny, nx), "counts": {split: n}}}``.
    protocol : str
        Read-out and ignore protocol of :func:`crbench.simulate.simulate_frame`.
    border : int
        Default width of the ignored border (the LCO protocol's boundary).
    profile_overrides : dict
        Fields of the instrument profile replaced for this version.
    cosmic_ray_overrides : dict
        Fields of the profile's :class:`~crbench.simulate.CosmicRayModel`
        replaced for this version.
    cr_rate_scale : float
        Multiplies the profile's CR event rate (stress variants only).
    bright_star : bool or None
        Force one saturated star per image (None: the profile's probability).
    cr_source : {"physics", "itl_footprints"}
        Cosmic rays from the physics model or real LSST ITL footprints
        (:func:`crbench.simulate.simulate_frame`).
    """

    card: DatasetCard
    layouts: dict
    protocol: str = "v1"
    border: int = 2
    profile_overrides: dict = field(default_factory=dict)
    cosmic_ray_overrides: dict = field(default_factory=dict)
    cr_rate_scale: float = 1.0
    bright_star: bool | None = None
    cr_source: str = "physics"


class SimDataset(Dataset):
    """Base class of the simulated data sets (one instrument profile each).

    Subclasses set ``versions`` (``{version: SimVersion}``); ``card`` and
    ``layouts`` of the class are the newest version's.

    Parameters
    ----------
    size : {"small", "full"}, optional
        ``small`` (default; quick start, CI, committed leaderboard) or
        ``full`` (paper scale; slow).
    data_dir : path-like, optional
        Cache root to use instead of ``$CRBENCH_CACHE``.
    border : int, optional
        Width of the ignored frame border in pixels (default: the
        version's). A non-default border is cached apart.
    version : str, optional
        Card version to generate (default: the newest).
    """

    profile_name: str
    sizes = ("small", "full")
    versions: dict

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "versions" in cls.__dict__:
            newest = cls.versions[max(cls.versions, key=int)]
            cls.card = newest.card
            cls.layouts = newest.layouts

    def __init__(self, *, size=None, data_dir=None, border=None, version=None):
        newest = max(self.versions, key=int)
        version = newest if version is None else str(version)
        if version not in self.versions:
            raise InputError(
                f"data set {self.card.name!r} has versions {sorted(self.versions, key=int)}, not {version!r}"
            )
        self.spec = self.versions[version]
        if version != newest:
            self.card = self.spec.card
        super().__init__(size=size, data_dir=data_dir)
        self.border = self.spec.border if border is None else int(border)
        if self.border < 0:
            raise InputError(f"border must be >= 0 pixels, got {border!r}")

    @property
    def version(self):
        """Card version of this instance."""
        return self.card.version

    def profile(self):
        """Return the instrument profile of this version (with its overrides)."""
        from ..simulate import get_profile

        profile = get_profile(self.profile_name)
        cosmic_rays = dataclasses.replace(profile.cosmic_rays, **self.spec.cosmic_ray_overrides)
        return dataclasses.replace(profile, cosmic_rays=cosmic_rays, **self.spec.profile_overrides)

    def layout(self):
        """Return ``{"shape": (ny, nx), "counts": {split: n}}`` of this size."""
        # the class attribute for the newest version, so that tests may shrink it
        layouts = type(self).layouts if self.spec.card is type(self).card else self.spec.layouts
        return layouts[self.size]

    def cache_dir(self, split):
        """Directory holding the cached samples and manifest of ``split``."""
        root = Path(self.data_dir) if self.data_dir else cache_root()
        size = self.size if self.border == self.spec.border else f"{self.size}-border{self.border}"
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
        if path.exists():
            try:
                return _load_saved(path, sample_id)
            except CorruptFileError as err:
                # a cached sample is a pure function of the card: regenerate it
                path.unlink(missing_ok=True)
                warnings.warn(f"{err}; removed it and regenerated the sample", CorruptFileWarning, stacklevel=2)
        sample = self.generate(split, sample_id)
        _save_sample(path, sample)
        return sample

    def stored_manifest(self, split):
        """Return the stored manifest of ``split`` or None if there is none."""
        path = self.manifest_path(split)
        if not path.exists():
            return None
        try:
            payload = json.loads(path.read_text())
            samples = payload["samples"]
            if not isinstance(samples, dict) or not all(
                    isinstance(key, str) and isinstance(value, str) for key, value in samples.items()):
                raise TypeError("'samples' is not a mapping of sample id to sha256 string")
            return dict(samples)
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise CorruptFileError(f"manifest {path} cannot be read ({type(err).__name__}: {err}); rebuild with "
                                   f"'crbench datasets build {self.name} --size {self.size}'") from err

    def manifest(self, split):
        """Return ``{sample_id: sha256}``, building the split if no complete manifest is stored.

        A damaged stored manifest is removed with a
        :class:`~crbench.errors.CorruptFileWarning` and rebuilt.
        """
        try:
            stored = self.stored_manifest(split)
        except CorruptFileError as err:
            self.manifest_path(split).unlink(missing_ok=True)
            warnings.warn(f"{err}; removed it and rebuilding it", CorruptFileWarning, stacklevel=2)
            stored = None
        if stored is not None and sorted(stored) == sorted(self.sample_ids(split)):
            return stored
        return self.build(split)

    def build(self, split, *, progress=False, jobs=1, executor=None, scheduler=None):
        """Generate (or load) every sample of ``split`` and write its manifest.

        Samples are streamed one at a time (per worker); already cached
        samples are read, not regenerated. Every sample has its own seed, and
        each is written atomically by the process that generated it, so the
        files do not depend on ``jobs`` or ``executor`` (byte for byte).

        Parameters
        ----------
        split : str
        progress : bool, optional
            Show a tqdm progress bar.
        jobs : int, optional
            Worker processes (``dask``: of the LocalCluster it starts).
        executor : {"local", "processes", "dask"}, optional
            Where samples are generated (:mod:`crbench.executors`; default
            ``processes`` with ``jobs > 1``, else ``local``). ``dask`` sends
            chunks of sample ids to the workers, which write the samples into
            this data set's cache folder: every worker must see that path.
        scheduler : str, optional
            Address of a running Dask scheduler (``executor="dask"``; default
            ``$DASK_SCHEDULER_ADDRESS``, else a LocalCluster).

        Returns
        -------
        dict of str to str
            The manifest ``{sample_id: sha256}``.
        """
        executor = choose_executor(executor, jobs=jobs)
        ids = self.sample_ids(split)
        remove_orphaned_temporaries(self.cache_dir(split))  # left by killed builds
        if executor == "dask":
            manifest = dict(zip(ids, self._hashes_on_dask(split, ids, jobs=jobs, scheduler=scheduler,
                                                          progress=progress)))
            self._write_manifest(split, manifest)
            return manifest
        if executor == "processes":
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # spawn, not fork: forking a process that holds BLAS/torch threads can deadlock
            pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"))
            args = (type(self), self.size, self.data_dir, self.border, self.version, split)
            hashes = pool.map(_sample_hash, *zip(*[args + (sample_id,) for sample_id in ids]), chunksize=4)
        else:
            pool = None
            hashes = (sample_sha256(self.load_sample(split, sample_id)) for sample_id in ids)
        if progress:
            from tqdm import tqdm

            hashes = tqdm(hashes, total=len(ids), desc=f"{self.name} {self.size} {split}", unit="image")
        try:
            manifest = dict(zip(ids, hashes))
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
        self._write_manifest(split, manifest)
        return manifest

    def _write_manifest(self, split, manifest):
        write_json_atomic(
            self.manifest_path(split),
            {"dataset": self.name, "version": self.card.version, "size": self.size, "split": split,
             "seed": self.card.seed, "border": self.border, "samples": manifest},
        )

    def _hashes_on_dask(self, split, ids, *, jobs, scheduler, progress):
        """The sha256 of every sample of ``ids``, generated and cached by the workers of a Dask cluster."""
        from tqdm import tqdm

        # the cache root as this process sees it, so that every worker writes where this process reads
        data_dir = str(Path(self.data_dir) if self.data_dir else cache_root())
        args = (type(self), self.size, data_dir, self.border, self.version, split)
        with tqdm(total=len(ids), desc=f"{self.name} {self.size} {split}", unit="image", disable=not progress) as bar, \
                dask_client(scheduler=scheduler, n_workers=jobs) as client:
            return map_chunks_on_dask(client, _sample_hashes, args=args, items=ids, on_done=bar.update)

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
            else:
                try:
                    matches = sample_sha256(_load_saved(path, sample_id)) == stored[sample_id]
                except CorruptFileError as err:
                    problems.append(f"{sample_id}: {err}")
                else:
                    if not matches:
                        problems.append(f"{sample_id}: cached file {path} does not match the manifest")
            if regenerate and sample_sha256(self.generate(split, sample_id)) != stored[sample_id]:
                problems.append(f"{sample_id}: a fresh generation does not match the manifest")
        return problems


_SIM_SOURCE = (
    "generated by crbench.simulate (GalSim scenes, ray-traced cosmic rays, defects, Poisson and read noise); "
    "instrument numbers and their sources: crbench/simulate/profiles.py"
)
_SIM_LICENSE = "BSD-3-Clause (generated data)"
_LABEL_NOTE_V1 = (
    "Truth = pixels whose injected CR charge exceeds 2.5 local noise sigmas (sqrt of sky + sources + dark + "
    "defects + read noise^2, electrons), stored undilated; scored dilated 3x3 as in both papers. CRs on stars "
    "are labelled. Ignore = saturated pixels and a 2-pixel border. Hot pixels, bad columns, bleed trails and "
    "satellite trails are non-CR; their classes are in extras['defects'] (codes in meta.extra['defect_classes'])."
)
_TRUTH_NOTE_V2 = (
    "Truth = pixels whose injected CR charge exceeds 2.5 local noise sigmas (sqrt of sky + sources + dark + "
    "defects + read noise^2, electrons), zero wherever a pixel is ignored (as in the real data sets), stored "
    "undilated; scored dilated 3x3 as in both papers. Saturation is applied after read noise, so every pixel "
    "at full well is flagged. Defect classes are in extras['defects'] (codes in meta.extra['defect_classes']); "
    "why a pixel is ignored is in extras['ignore_bits'] (bit names in meta.extra['ignore_bits'])."
)
_DECAM_IGNORE_NOTE = (
    "Ignore = the DECam Community Pipeline's data-quality mask: static bad-pixel mask (hot pixels, bad and warm "
    "columns), saturated pixels and bleed trails grown by one pixel, and a 2-pixel border "
    "(crbench.simulate.masks.decam_cp_bits). Satellite trails stay scored negatives."
)
_DECAM_PSF_NOTE = (
    "PSF FWHM = atmosphere (log-normal around the DES DR1 band median) and DECam's 0.55\" instrument term in "
    "quadrature: no patch is sharper than 0.55\" (2.09 px)."
)
_LCO_IGNORE_NOTE = (
    "Ignore = the LCO CR data set's IGNORE bits (crbench.simulate.masks.lco_ignore_bits): 1 a 100-pixel "
    "boundary, 2 no data (none in simulated frames), 4 sources (SEP on a simulated median of three frames, "
    "threshold 3.5, minimum area 9, per-source flood fill, grown by 2 pixels; saturated and bleed pixels "
    "included), 8 hot pixels (known hot pixels and bad columns, 1-pixel CRs); decoded as for the real lco_* sets."
)


_DECAM_V2_LAYOUTS = {
    # the 2022 paper's version; small: 128 test patches (8.4 Mpix)
    "small": {"shape": (256, 256), "counts": {"train": 768, "val": 64, "test": 128}},
    # full: the paper's 8,192 test patches and 20,480 train patches with 1 % held out for validation
    "full": {"shape": (256, 256), "counts": {"train": 20272, "val": 208, "test": 8192}},
}
_DECAM_V3_LAYOUTS = {
    # small: 704 test patches (176 per band, 46.1 Mpix) hold >= 400 CR objects (~0.6 per 90 s patch)
    "small": {"shape": (256, 256), "counts": {"train": 768, "val": 64, "test": 704}},
    "full": {"shape": (256, 256), "counts": {"train": 20272, "val": 208, "test": 8192}},
}
_DECAM_V3_OVERRIDES = {"sharp_psf_fraction": 0.0, "instrument_fwhm_arcsec": 0.55}
#: the version-1 cosmic-ray physics (Moyal muon steps, worms to 500 keV that keep all their energy)
_V1_COSMIC_RAYS = {"physics": "v1", "worm_energy_kev": (20.0, 500.0)}
_DECAM_SEED = 20220701


def _decam_card(name, version, description, size_note, *, family="sim_decam", kind="standard"):
    return DatasetCard(
        name=name,
        version=version,
        family=family,
        description=description,
        instrument="decam",
        truth_dilation=3,
        ignore_policy="exclude",
        # Bhavanam et al. 2022: objlim 1.0 on DECam, sigfrac 0.1, operating point sigclip 3
        detector_params=_protocol(1.0, 3.0),
        source=_SIM_SOURCE,
        citation="crbench simulator; CR pixel fraction calibrated to Desai et al. 2016 (2.7e-4 per 90 s)",
        license=_SIM_LICENSE,
        size_note=size_note,
        seed=_DECAM_SEED,
        kind=kind,
        bootstrap_strata="band",
    )


_DECAM_INTRO = "Simulated DECam-like 256x256 patches (g, r, i, z; 90 s; 250 um fully depleted CCD) in ADU, " \
    "sky-subtracted with the sky level in meta, with exact CR labels. "


class SimDecam(SimDataset):
    """DECam-like 256x256 patches in g, r, i, z (90 s, ADU, sky-subtracted)."""

    profile_name = "decam"
    versions = {
        # 2: transcendental functions through crbench.simulate.libm (issue 12); under AVX-512 dispatch
        # 4 small test images (test-z-00039, test-z-00107, test-i-00114, test-i-00122) and 6 train images
        # change by one float32 ulp in one or two pixels, labels unchanged (docs/simulated_datasets.md)
        "2": SimVersion(
            card=_decam_card(
                "sim_decam", "2", _DECAM_INTRO + _LABEL_NOTE_V1 + " 8 % of patches have FWHM 1.5-2.5 px.",
                "small: test 128 x 256^2 (8.4 Mpix), train 768, val 64; full: test 8192, train 20272, val 208. "
                "Measured undilated CR pixel fraction (benchmarks/sim_realism_report.py): 2.91e-4 on the small "
                "test split, 2.9e-4 on 40 blank-sky 1024^2 exposures; target 2.7e-4 (Desai et al. 2016).",
            ),
            layouts=_DECAM_V2_LAYOUTS,
            cosmic_ray_overrides=_V1_COSMIC_RAYS,
        ),
        # 3: the Community Pipeline's mask, saturation after read noise, the instrument's seeing floor, a
        # small test split with >= 400 CR objects and the version-2 CR physics (Landau muons, slowing-down
        # worms; checked against real ITL footprints, docs/realism_itl.md) (issue 13)
        "3": SimVersion(
            card=_decam_card(
                "sim_decam", "3", _DECAM_INTRO + _TRUTH_NOTE_V2 + " " + _DECAM_IGNORE_NOTE + " " + _DECAM_PSF_NOTE,
                "small: test 704 x 256^2 (46.1 Mpix, >= 400 CR objects), train 768, val 64; full: test 8192, "
                "train 20272, val 208. CR numbers per split: benchmarks/sim_realism_report.py.",
            ),
            layouts=_DECAM_V3_LAYOUTS,
            protocol="decam_cp",
            profile_overrides=_DECAM_V3_OVERRIDES,
        ),
    }


# Stress variants: the same generator and seed as sim_decam version 3, each with one hard condition the
# standard split no longer scores (sim_decam_unmasked's patch i has exactly sim_decam's pixels; the others
# draw other fields, since the PSF and the star counts change the random stream). Their test splits are
# smaller: they measure false positives on one condition; the standard split carries the CR statistics.
_STRESS_LAYOUTS = {
    "small": {"shape": (256, 256), "counts": {"train": 64, "val": 16, "test": 64}},
    "full": {"shape": (256, 256), "counts": {"train": 2048, "val": 64, "test": 2048}},
}
_STRESS_SIZE_NOTE = "small: test 64 x 256^2 (4.2 Mpix), train 64, val 16; full: test 2048, train 2048, val 64."


class SimDecamUnmasked(SimDataset):
    """Stress variant: sim_decam v3 pixels with no bad-pixel or bleed mask (a badly reduced frame)."""

    profile_name = "decam"
    versions = {
        "1": SimVersion(
            card=_decam_card(
                "sim_decam_unmasked", "1",
                "Stress variant of sim_decam version 3 with the same pixels and truth: hot pixels, warm and bad "
                "columns and bleed trails are NOT ignored but scored as negatives, as in a raw or badly reduced "
                "frame. Ignore = saturated pixels and the 2-pixel border. " + _DECAM_INTRO + _TRUTH_NOTE_V2,
                _STRESS_SIZE_NOTE, kind="stress",
            ),
            layouts=_STRESS_LAYOUTS,
            protocol="unmasked",
            profile_overrides=_DECAM_V3_OVERRIDES,
        ),
    }


class SimDecamSharp(SimDataset):
    """Stress variant: every patch from the sharp-seeing tail (FWHM 1.5-2.5 px, below DECam's floor)."""

    profile_name = "decam"
    versions = {
        "1": SimVersion(
            card=_decam_card(
                "sim_decam_sharp", "1",
                "Stress variant of sim_decam version 3: every patch has a PSF FWHM drawn uniformly in 1.5-2.5 px "
                "(0.39-0.66\"), sharper than DECam delivers, so stars are nearly as sharp as cosmic rays. "
                + _DECAM_INTRO + _TRUTH_NOTE_V2 + " " + _DECAM_IGNORE_NOTE,
                _STRESS_SIZE_NOTE, kind="stress",
            ),
            layouts=_STRESS_LAYOUTS,
            protocol="decam_cp",
            profile_overrides={"sharp_psf_fraction": 1.0, "instrument_fwhm_arcsec": 0.55},
        ),
    }


class SimDecamCrowded(SimDataset):
    """Stress variant: crowded fields with a saturated star in every patch (CRs on and next to stars)."""

    profile_name = "decam"
    versions = {
        "1": SimVersion(
            card=_decam_card(
                "sim_decam_crowded", "1",
                "Stress variant of sim_decam version 3: ten times the high-latitude star density and one "
                "saturated star in every patch, so that many cosmic rays fall on or next to stars (labelled "
                "wherever they stand 2.5 sigma above the star's own noise). " + _DECAM_INTRO + _TRUTH_NOTE_V2
                + " " + _DECAM_IGNORE_NOTE + " " + _DECAM_PSF_NOTE,
                _STRESS_SIZE_NOTE, kind="stress",
            ),
            layouts=_STRESS_LAYOUTS,
            protocol="decam_cp",
            profile_overrides={**_DECAM_V3_OVERRIDES, "star_density_at_20": 3.0},
            bright_star=True,
        ),
    }


class SimDecamItlcr(SimDataset):
    """Stress variant: sim_decam v3 scenes and noise with real LSST ITL cosmic-ray footprints."""

    profile_name = "decam"
    versions = {
        "1": SimVersion(
            card=_decam_card(
                "sim_decam_itlcr", "1",
                "Variant of sim_decam version 3 that isolates how real the cosmic rays are from how real the sky "
                "is: the same seed and layout, so patch i has sim_decam's sky, stars, galaxies, defects, noise and "
                "masks pixel for pixel, and only the cosmic rays differ. They are real footprints from LSST ITL dark "
                "frames (imSim catalogue, 1109 footprints of >= 1000 e-), tracks rescaled to DECam's 15 um pixels "
                "and 250 um silicon (stretched along their axis by 1.67, charge x 2.5 per footprint), spots and worms "
                "as measured, at random positions and 90-degree orientations, at 0.72 x the physics model's event "
                "rate so that the CR pixel fraction matches (docs/real_cosmic_rays.md). " + _DECAM_INTRO
                + _TRUTH_NOTE_V2 + " " + _DECAM_IGNORE_NOTE + " " + _DECAM_PSF_NOTE,
                "small: test 704 x 256^2 (46.1 Mpix, the patches of sim_decam v3), train 768, val 64; full: test "
                "8192, train 20272, val 208. Needs the imsim_cr_catalog reference file (fetched with its sha256).",
                kind="stress",
            ),
            layouts=_DECAM_V3_LAYOUTS,
            protocol="decam_cp",
            profile_overrides=_DECAM_V3_OVERRIDES,
            cr_source="itl_footprints",
        ),
    }


_LCO_PROTOCOL_NOTE = "Xu et al. 2023 / Bhavanam et al. 2022 protocol: sigfrac 0.1, objlim {objlim} for this class"


_LCO_COUNT_NOTE = "count of the LCO test set, {n} sequences x 3; independent scenes"


def _lco_card(name, telescope, objlim, seed, size_note, *, version, label_note):
    return DatasetCard(
        name=name,
        version=version,
        family="sim_lco",
        description=f"Simulated LCO {telescope} frames (100-300 s, reduced, electrons, sky not subtracted) "
        "with exact CR labels. " + label_note,
        instrument=name.removeprefix("sim_"),
        truth_dilation=3,
        ignore_policy="exclude",
        detector_params=_protocol(objlim, 15.0),
        source=_SIM_SOURCE,
        citation="crbench simulator; CR pixel fraction calibrated to ~1e-4 per LCO frame; "
        + _LCO_PROTOCOL_NOTE.format(objlim=objlim),
        license=_SIM_LICENSE,
        size_note=size_note,
        seed=seed,
        bootstrap_strata="telescope_class",
    )


def _lco_versions(name, telescope, objlim, seed, *, full, full_note, measured, n_test_v2):
    v1_note = (
        "small: test 4 x 1024^2 (4.2 Mpix), train 16, val 4; " + full_note + ". Measured undilated CR pixel "
        f"fraction (benchmarks/sim_realism_report.py): {measured[0]} on the small test split (4 frames, exposure "
        f"times 100-300 s), {measured[1]} on 20 blank-sky 1024^2 exposures; target ~1e-4."
    )
    v2_note = (
        f"small: test {n_test_v2} x 2048^2 ({n_test_v2 * 4.19:.1f} Mpix, >= 400 CR objects outside the ignore "
        "mask), train 8, val 2; " + full_note + ". CR numbers per split: benchmarks/sim_realism_report.py."
    )
    return {
        "1": SimVersion(
            card=_lco_card(name, telescope, objlim, seed, v1_note, version="1", label_note=_LABEL_NOTE_V1),
            layouts={"small": {"shape": (1024, 1024), "counts": {"train": 16, "val": 4, "test": 4}}, "full": full},
            cosmic_ray_overrides=_V1_COSMIC_RAYS,
        ),
        # 2: the LCO CR data set's ignore protocol, saturation after read noise, no sharp-seeing stratum, and
        # 2048^2 frames (the 100-pixel boundary costs 19 % instead of 37 %) with >= 400 CR objects (issue 13)
        "2": SimVersion(
            card=_lco_card(name, telescope, objlim, seed, v2_note, version="2",
                           label_note=_TRUTH_NOTE_V2 + " " + _LCO_IGNORE_NOTE),
            layouts={"small": {"shape": (2048, 2048), "counts": {"train": 8, "val": 2, "test": n_test_v2}},
                     "full": full},
            protocol="lco_cr",
            border=100,
            profile_overrides={"sharp_psf_fraction": 0.0},
        ),
    }


class SimLco0m4(SimDataset):
    """LCO 0.4 m (SBIG 6303) frames."""

    profile_name = "lco_0m4"
    # full: 55 test sequences of 3 frames; native 3072 x 2048 format
    versions = _lco_versions(
        "sim_lco_0m4", "0.4 m (SBIG 6303)", 0.5, 20220702,
        full={"shape": (2048, 3072), "counts": {"train": 495, "val": 33, "test": 165}},
        full_note=f"full: 165 test frames of 2048x3072 ({_LCO_COUNT_NOTE.format(n=55)}), train 495, val 33",
        measured=("1.54e-4", "1.06e-4"), n_test_v2=4,
    )


class SimLco1m(SimDataset):
    """LCO 1 m (Sinistro) frames."""

    profile_name = "lco_1m"
    # full: 51 test sequences of 3 frames; 4096 x 4096 format
    versions = _lco_versions(
        "sim_lco_1m", "1 m (Sinistro)", 2.0, 20220703,
        full={"shape": (4096, 4096), "counts": {"train": 459, "val": 30, "test": 153}},
        full_note=f"full: 153 test frames of 4096x4096 ({_LCO_COUNT_NOTE.format(n=51)}), train 459, val 30",
        measured=("8.5e-5", "1.03e-4"), n_test_v2=6,
    )


class SimLco2m(SimDataset):
    """LCO 2 m (Spectral, 2x2 binned) frames."""

    profile_name = "lco_2m"
    # full: 13 test sequences of 3 frames; 2048 x 2048 binned format
    versions = _lco_versions(
        "sim_lco_2m", "2 m (Spectral, 2x2 binned)", 2.0, 20220704,
        full={"shape": (2048, 2048), "counts": {"train": 117, "val": 9, "test": 39}},
        full_note=f"full: 39 test frames of 2048x2048 ({_LCO_COUNT_NOTE.format(n=13)}), train 117, val 9",
        measured=("9.4e-5", "1.03e-4"), n_test_v2=4,
    )
