"""Disk and time a full-size data set build or run will need, told before it starts; refused when the disk is too small.

The estimates come from measured per-megapixel costs on the 2-core reference
machine (``docs/score_cache.md``, "Disk and time of full-size runs"):

- generated samples (compressed ``.npz``): :data:`DATASET_MB_PER_MPIX`,
  generated in :data:`GENERATE_SECONDS_PER_MPIX` CPU seconds;
- score-cache entries: float32 maps compress about 1.1x
  (:data:`SCORE_BYTES_PER_PIXEL`), bit-packed masks 28x (LACosmic) to 260x
  (Astro-SCRAPPY) (:data:`MASK_BYTES_PER_PIXEL_PER_VALUE`, the worse);
- detection: :data:`crbench.jobs.plan.COST_HINT` CPU seconds per megapixel
  per sweep value.

Samples already generated are not counted again. Score maps already in the
cache are not known before the inputs are hashed; the run's estimate
subtracts what its detector configuration's cache folder holds already.
"""

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..cache import cache_root
from ..errors import StorageError
from ..runner import detector_cache
from .build import build_dataset, build_detector
from .plan import _DEFAULT_COST, COST_HINT

__all__ = ["DATASET_MB_PER_MPIX", "GENERATE_SECONDS_PER_MPIX", "SCORE_BYTES_PER_PIXEL",
           "MASK_BYTES_PER_PIXEL_PER_VALUE", "Footprint", "build_footprint", "run_footprint", "require_disk"]

#: MB (10**6 bytes) of generated ``.npz`` per megapixel: 4.4 (sim_decam v3 small), 3.8-3.9 (sim_lco_* v2 small),
#: rounded up.
DATASET_MB_PER_MPIX = 4.5
#: CPU seconds to simulate one megapixel: 0.59 (sim_decam patches), 0.30 (sim_lco_1m frames); the larger.
GENERATE_SECONDS_PER_MPIX = 0.6
#: Bytes per pixel of a compressed float32 score map (4 bytes / 1.1).
SCORE_BYTES_PER_PIXEL = 4 / 1.1
#: Bytes per pixel per swept value of a compressed bit-packed mask (1/8 byte / 28).
MASK_BYTES_PER_PIXEL_PER_VALUE = 1 / 8 / 28


@dataclass(frozen=True)
class Footprint:
    """What a build or run will need.

    Attributes
    ----------
    needs : dict of pathlib.Path to int
        Bytes to be written under each folder (data sets, score cache).
    seconds : float
        Estimated wall seconds.
    lines : tuple of str
        One line per part, for the user.
    """

    needs: dict
    seconds: float
    lines: tuple

    def summary(self):
        """One paragraph: the parts, the total disk and the time."""
        total = sum(self.needs.values())
        return "\n".join(self.lines + (f"needs ~ {total / 1e9:.2f} GB of disk and ~ {_duration(self.seconds)} "
                                       "(estimated from measured per-Mpix costs)",))


def _duration(seconds):
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.1f} min"


def _missing_megapixels(dataset, split):
    """Megapixels of the samples of ``split`` not generated yet (0 for data sets that are not simulated)."""
    if not hasattr(dataset, "layout"):
        return 0.0
    ny, nx = dataset.layout()["shape"]
    folder = dataset.cache_dir(split)
    missing = sum(not (folder / f"{sample_id}.npz").is_file() for sample_id in dataset.sample_ids(split))
    return missing * ny * nx / 1e6


def _data_root(dataset):
    return Path(dataset.data_dir) if getattr(dataset, "data_dir", None) else cache_root()


def build_footprint(dataset, splits, *, jobs=1):
    """Disk and time of generating the missing samples of ``splits`` of a simulated data set.

    Parameters
    ----------
    dataset : crbench.datasets.sim.SimDataset
    splits : sequence of str
    jobs : int
        Worker processes.

    Returns
    -------
    Footprint
    """
    lines, megapixels = [], 0.0
    for split in splits:
        missing = _missing_megapixels(dataset, split)
        megapixels += missing
        lines.append(f"{dataset.name} {dataset.size} {split}: {missing:.0f} Mpix to generate")
    seconds = megapixels * GENERATE_SECONDS_PER_MPIX / max(1, jobs)
    return Footprint({_data_root(dataset): int(megapixels * DATASET_MB_PER_MPIX * 1e6)}, seconds, tuple(lines))


def run_footprint(job, *, cache_dir=None, workers=1):
    """Disk and time of a run: the missing samples of its split, its score-cache entries and detection.

    Parameters
    ----------
    job : crbench.jobs.Job
    cache_dir : path-like, optional
        Score cache root (default :func:`crbench.cache.cache_root`).
    workers : int

    Returns
    -------
    Footprint
    """
    dataset, _ = build_dataset(job.dataset, size=job.size, data_dir=job.data_dir)
    detector = build_detector(job.detector, job.params)
    generate = _missing_megapixels(dataset, job.split)
    ids = dataset.sample_ids(job.split)
    if hasattr(dataset, "layout"):
        ny, nx = dataset.layout()["shape"]
    else:  # a real data set: its first image tells the size
        ny, nx = dataset.load_sample(job.split, ids[0]).image.shape if ids else (0, 0)
    megapixels = len(ids) * ny * nx / 1e6
    n_values = max(1, len(detector.sweep_values())) if detector.output_kind == "mask" else 1
    per_pixel = (MASK_BYTES_PER_PIXEL_PER_VALUE * n_values if detector.output_kind == "mask"
                 else SCORE_BYTES_PER_PIXEL)
    cache = detector_cache(detector, cache_dir=cache_dir)
    held = sum(path.stat().st_size for path in cache.directory.rglob("*") if path.is_file()) \
        if cache.directory.is_dir() else 0
    cache_bytes = max(0, int(megapixels * 1e6 * per_pixel) - held)
    detect_seconds = COST_HINT.get(detector.name, _DEFAULT_COST) * megapixels * n_values
    seconds = (generate * GENERATE_SECONDS_PER_MPIX + detect_seconds) / max(1, workers)
    lines = (f"{dataset.name} {job.size} {job.split}: {len(ids)} images, {megapixels:.0f} Mpix "
             f"({generate:.0f} Mpix to generate: {generate * DATASET_MB_PER_MPIX / 1e3:.2f} GB)",
             f"{detector.name}: {n_values} value(s) per pixel, score cache ~ {cache_bytes / 1e9:.2f} GB more "
             f"({held / 1e9:.2f} GB held), detection ~ {_duration(detect_seconds / max(1, workers))}")
    needs = {_data_root(dataset): int(generate * DATASET_MB_PER_MPIX * 1e6)}
    score_root = Path(cache_dir) if cache_dir else cache_root()
    needs[score_root] = needs.get(score_root, 0) + cache_bytes  # often the same root as the data
    return Footprint(needs, seconds, lines)


def _existing(path):
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def require_disk(footprint):
    """Raise :class:`~crbench.errors.StorageError` when a file system has less free space than the footprint needs.

    Folders on one file system add up.

    Raises
    ------
    StorageError
        Naming the folder, the bytes needed and free, and the fix.
    """
    by_device = {}
    for folder, needed in footprint.needs.items():
        existing = _existing(folder)
        device = os.stat(existing).st_dev
        total, where = by_device.get(device, (0, []))
        by_device[device] = (total + needed, where + [str(folder)])
    for needed, folders in by_device.values():
        free = shutil.disk_usage(_existing(folders[0])).free
        if needed > free:
            raise StorageError(
                f"not enough disk: {' and '.join(folders)} need ~ {needed / 1e9:.2f} GB, {free / 1e9:.2f} GB free. "
                "Free space, point $CRBENCH_CACHE (or --cache-dir / --data-dir) at a larger disk, or use "
                "--size small")
