"""Verified, weights-only loading of the model files that upstream packages ship (Cosmic-CoNN, deepCR).

``cosmic_conn`` and ``deepCR`` call ``torch.load(path)`` without
``weights_only`` on ``.pth`` files inside site-packages. torch >= 2.6
defaults to ``weights_only=True``, but ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1``
in the environment turns that default off, and then a tampered file would
run pickled code. So the adapters load those files only through
:func:`upstream_loads_verified`: while upstream builds its model, its
``torch.load`` reads the one file crbench expects, checks the bytes against
the sha256 recorded here (:data:`SHIPPED_SHA256`) and unpickles them with an
explicit ``weights_only=True`` (which no environment variable overrides).
Any other file, or a file whose bytes differ, raises
:class:`~crbench.errors.ChecksumError` naming the file and the fix.

The hashes were computed from the files of the PyPI wheels cosmic-conn
0.6.1 and deepCR 0.3.1 (they equal the hashes in the wheels' own RECORD
files). A release that ships other weights fails the check until its hashes
are recorded here.
"""

import contextlib
import hashlib
import io
from pathlib import Path

from ..errors import ChecksumError

__all__ = ["SHIPPED_SHA256", "VERIFIED_VERSIONS", "expected_sha256", "verified_state", "upstream_loads_verified"]

#: Package versions the hashes were taken from (named in errors).
VERIFIED_VERSIONS = {"cosmic-conn": "0.6.1", "deepCR": "0.3.1"}

#: distribution -> file name relative to the package's model folder -> sha256
SHIPPED_SHA256 = {
    "cosmic-conn": {
        "cosmic-conn_ground_imaging_v0.2.8.pth": "f8c4ea75dc9b212b8786a95d583dd9cd0b8ec95a53fd3d4cfbfe40c4c0cf267b",
        "cosmic-conn_LCO_NRES_v0.2.8.pth": "2f676afb81286c0810facf81236e3ef1651a04a2142d6443388ec76313a8a5be",
        "cosmic-conn_HST_ACS_WFC_v0.2.8.pth": "e4bcde26104c9c93548c6d68f2d455e5b9b6af985d62b15cb0157c54bcf4eb00",
    },
    "deepCR": {
        "mask/ACS-WFC-F435W.pth": "27d351ce310491f70964bd8a30a5579322e064edd63f5726a68d7f4129551d85",
        "mask/ACS-WFC-F606W-2-4.pth": "91fd387be08dfb2692fc3433566455812c42fae53fa6ec4ad19c384b68bce775",
        "mask/ACS-WFC-F606W.pth": "704dfcf91c3b4d7984b113236017c8b1ef6edbeca2fc54a7739a082c2f1e19f3",
        "mask/ACS-WFC-F814W.pth": "fc6bf85042dd9d54cf7f81636ff6921a1ae3d118fb5f4fd7c7ca1b164499d14b",
        "mask/ACS-WFC.pth": "0075cef7a8b72f3ecf449cac3793d3446720a97fc0ba812fb29863a9be1e7ace",
        "mask/WFC3-UVIS.pth": "92ad8d3231a0427c6fa6d9b39501549edc15fd1eb1162e028e2cf1711b2f59cd",
        "mask/decam.pth": "686de2afab28d13b2bff3c418ecf017d0b290ca5e8c811ef71f673ce12230815",
        "mask/example_model.pth": "ef11b157aeefa09090d7b829be22eaf974650f70810c487473fafa5a9fddf851",
    },
}


def expected_sha256(distribution, name):
    """The recorded sha256 of ``name`` (relative to the model folder) shipped by ``distribution``.

    Raises
    ------
    ChecksumError
        When crbench recorded no hash for that file.
    """
    try:
        return SHIPPED_SHA256[distribution][name]
    except KeyError:
        raise ChecksumError(
            f"crbench has no recorded sha256 for {distribution}'s model file {name!r} and will not let "
            f"upstream torch.load() it; install {distribution}=={VERIFIED_VERSIONS.get(distribution, '?')} "
            "or record the file's hash in crbench/detectors/shipped_weights.py"
        ) from None


def verified_state(path, *, sha256, distribution, map_location="cpu"):
    """Read ``path`` once, check its sha256, and unpickle the bytes with ``weights_only=True``.

    Parameters
    ----------
    path : path-like
    sha256 : str
        The recorded hash.
    distribution : str
        Named in the error (the package that shipped the file).
    map_location : optional
        Passed to :func:`torch.load`.

    Raises
    ------
    ChecksumError
        When the bytes do not match: the message names the file and the fix.
    """
    import torch

    path = Path(path)
    data = path.read_bytes()  # hashed and loaded from the same bytes: no swap in between
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise ChecksumError(
            f"{path} (shipped by {distribution}) has sha256 {digest}, expected {sha256} "
            f"({distribution} {VERIFIED_VERSIONS.get(distribution, '?')}); the file was modified or another "
            f"release is installed. Reinstall it: pip install --force-reinstall --no-deps "
            f"{distribution}=={VERIFIED_VERSIONS.get(distribution, '?')}"
        )
    # explicit weights_only=True: TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD overrides only an unset argument
    return torch.load(io.BytesIO(data), map_location=map_location, weights_only=True)


class _TorchWithVerifiedLoad:
    """Stands in for the ``torch`` module inside one upstream module: ``load`` reads only the verified file."""

    def __init__(self, torch, path, *, sha256, distribution):
        self._torch = torch
        self._path = Path(path).resolve()
        self._sha256 = sha256
        self._distribution = distribution

    def load(self, f, map_location=None, **_ignored):
        if not isinstance(f, (str, Path)) or Path(f).resolve() != self._path:
            raise ChecksumError(f"{self._distribution} tried to torch.load({f!r}) while crbench expected only "
                                f"{self._path}; refusing to unpickle an unverified file")
        return verified_state(f, sha256=self._sha256, distribution=self._distribution, map_location=map_location)

    def __getattr__(self, name):
        return getattr(self._torch, name)


@contextlib.contextmanager
def upstream_loads_verified(module, path, *, sha256, distribution):
    """Within the block, ``module.torch.load`` loads only ``path``, verified and weights-only.

    Parameters
    ----------
    module : module
        The upstream module whose code calls ``torch.load`` (its global
        ``torch`` is replaced for the duration of the block).
    path : path-like
        The one file it may load.
    sha256, distribution : str
        See :func:`verified_state`.
    """
    original = module.torch
    module.torch = _TorchWithVerifiedLoad(original, path, sha256=sha256, distribution=distribution)
    try:
        yield
    finally:
        module.torch = original
