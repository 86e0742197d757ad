"""Submitting a detector to the official leaderboard: the bundle, its validator, training honesty.

- :mod:`.bundle` writes a bundle (``crbench submit``);
- :mod:`.validate` checks one (``crbench validate-submission``);
- :mod:`.manifest` (sha256 of every file), :mod:`.requirement` (pinned installs),
  :mod:`.official` (the official splits), :mod:`.records` (is a record fit
  for a split), :mod:`.training` (declaration and overlap), :mod:`.install`
  (a fresh virtual environment), :mod:`.rerun` (re-running images).

See docs/submitting.md.
"""

from .bundle import SUBMISSION_SCHEMA, build_bundle
from .validate import PASS, REFUSED, SKIPPED, CheckResult, format_report, validate_bundle

__all__ = ["SUBMISSION_SCHEMA", "PASS", "REFUSED", "SKIPPED", "CheckResult", "build_bundle", "format_report",
           "validate_bundle"]
