"""The submission's requirement: how the leaderboard installs the detector's adapter package.

Three forms are accepted, each pinned so that the install is reproducible:

- a PyPI name pinned with ``==`` (``crbench-example-detector==0.1.0``);
- a wheel or sdist file, copied into the bundle's ``dist/`` folder;
- a ``git+https://...@<40-hex commit>`` URL.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ..errors import InputError

__all__ = ["ARCHIVE_SUFFIXES", "PinnedRequirement", "parse_requirement"]

#: Distribution files pip installs from a path.
ARCHIVE_SUFFIXES = (".whl", ".tar.gz", ".zip")

_GIT_URL = re.compile(r"^git\+https://[^@\s]+@(?P<commit>[^#\s]+)(#.*)?$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class PinnedRequirement:
    """A requirement that names one exact build of the adapter package.

    Attributes
    ----------
    kind : {"pypi", "file", "git"}
    text : str
        What ``pip install`` is given (for ``"file"``: the path inside the bundle).
    """

    kind: str
    text: str


def parse_requirement(text, *, package=None, base=None):
    """Check that ``text`` pins one build of the adapter package; return it classified.

    Parameters
    ----------
    text : str
        A PyPI requirement, a path to a wheel/sdist, or a git URL.
    package : str, optional
        The adapter's distribution name; a PyPI requirement must name it.
    base : path-like, optional
        Folder a relative file path is read from (a bundle's root; default
        the working directory).

    Returns
    -------
    PinnedRequirement
        For a file, ``text`` is the file's path as given (the bundle copies it).

    Raises
    ------
    InputError
        For an unpinned requirement (no ``==``, a wildcard, a git URL
        without a 40-hex commit, a file that does not exist), naming the fix.
    """
    text = str(text).strip()
    if text.startswith("git+"):
        match = _GIT_URL.match(text)
        if match is None or not _COMMIT.match(match["commit"]):
            raise InputError(f"requirement {text!r} is not pinned: a git URL must be "
                             "git+https://HOST/REPO@<40-hex commit> (a branch or tag can move)")
        return PinnedRequirement("git", text)
    if text.endswith(ARCHIVE_SUFFIXES) or "/" in text or text.startswith("."):
        if not (Path(base or ".") / text).is_file() or not text.endswith(ARCHIVE_SUFFIXES):
            raise InputError(f"requirement {text!r} is not a wheel or sdist file ({', '.join(ARCHIVE_SUFFIXES)}); "
                             "build one with `pip wheel --no-deps .`")
        return PinnedRequirement("file", text)
    try:
        requirement = Requirement(text)
    except InvalidRequirement as error:
        raise InputError(f"requirement {text!r} is neither a PyPI requirement, a wheel file nor a git URL "
                         f"({error})") from error
    pins = [spec for spec in requirement.specifier if spec.operator in ("==", "===") and "*" not in spec.version]
    if len(pins) != 1 or len(requirement.specifier) != 1 or requirement.url:
        raise InputError(f"requirement {text!r} is not pinned: name one release, e.g. "
                         f"{requirement.name}==1.2.0")
    if package is not None and canonicalize_name(requirement.name) != canonicalize_name(package):
        raise InputError(f"requirement {text!r} names {requirement.name!r}, but the detector comes from "
                         f"package {package!r}")
    return PinnedRequirement("pypi", text)
