"""``MANIFEST.json`` of a submission bundle: the sha256 of every other file in it."""

import json
from pathlib import Path

from ..hashing import file_sha256

__all__ = ["MANIFEST_NAME", "manifest_of", "write_manifest", "manifest_problems"]

#: The manifest's file name, at the bundle's root (it does not list itself).
MANIFEST_NAME = "MANIFEST.json"


def _bundle_files(bundle):
    bundle = Path(bundle)
    return sorted(path.relative_to(bundle).as_posix() for path in bundle.rglob("*")
                  if path.is_file() and path.relative_to(bundle).as_posix() != MANIFEST_NAME)


def manifest_of(bundle):
    """``{relative path: sha256}`` of every file under ``bundle`` except the manifest itself."""
    bundle = Path(bundle)
    return {name: file_sha256(bundle / name) for name in _bundle_files(bundle)}


def write_manifest(bundle):
    """Write ``bundle/MANIFEST.json`` listing every file's sha256; return the mapping."""
    files = manifest_of(bundle)
    (Path(bundle) / MANIFEST_NAME).write_text(json.dumps({"files": files}, indent=2, sort_keys=True) + "\n")
    return files


def manifest_problems(bundle):
    """What disagrees between a bundle's files and its manifest (empty list when nothing).

    A file the manifest does not list, a listed file that is missing, and a
    file whose sha256 differs are each a problem: a bundle holds exactly the
    files its manifest names, byte for byte.
    """
    bundle = Path(bundle)
    path = bundle / MANIFEST_NAME
    try:
        listed = json.loads(path.read_text())["files"]
        if not isinstance(listed, dict):
            raise TypeError("'files' is not an object")
    except (OSError, ValueError, KeyError, TypeError) as error:
        return [f"{MANIFEST_NAME} is missing or unreadable ({error})"]
    present = set(_bundle_files(bundle))
    problems = [f"extra file not in the manifest: {name}" for name in sorted(present - set(listed))]
    problems += [f"missing file listed in the manifest: {name}" for name in sorted(set(listed) - present)]
    problems += [f"sha256 of {name} differs from the manifest" for name in sorted(present & set(listed))
                 if file_sha256(bundle / name) != listed[name]]
    return problems
