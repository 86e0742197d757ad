"""Exception and warning classes shared by every crbench module.

Errors name the file or image at fault and the fix, so that a user who sees
one knows what to do next without reading the source.
"""

__all__ = [
    "CacheChangedError",
    "CRBenchError",
    "InputError",
    "ShapeMismatchError",
    "UnknownNameError",
    "DuplicateNameError",
    "MissingDependencyError",
    "DataNotAvailableError",
    "ChecksumError",
    "CorruptFileError",
    "DownloadError",
    "UnsafeArchiveError",
    "UnsafeFileError",
    "DetectorFailedError",
    "PluginError",
    "PluginImportError",
    "StorageError",
    "NotComparableError",
    "CRBenchWarning",
    "NonFinitePixelsWarning",
    "WorkersCappedWarning",
    "CorruptFileWarning",
]


class CRBenchError(Exception):
    """Base class of every error crbench raises on purpose."""


class InputError(CRBenchError, ValueError):
    """An array or file does not meet the documented contract."""


class ShapeMismatchError(InputError):
    """Image, truth, ignore mask and prediction do not share one 2-D shape."""


class UnknownNameError(CRBenchError, KeyError):
    """A detector or data set name is not registered."""

    def __str__(self):  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class DuplicateNameError(CRBenchError):
    """Two sources register the same detector or data set name."""


class MissingDependencyError(CRBenchError, ImportError):
    """An optional dependency of a detector or data set is not installed."""


class DataNotAvailableError(CRBenchError, FileNotFoundError):
    """A real data set has not been downloaded or pointed at."""


class ChecksumError(CRBenchError):
    """A downloaded or cached file does not match its recorded sha256."""


class CorruptFileError(InputError):
    """A data file cannot be read or lacks an expected part."""


class DownloadError(CRBenchError):
    """A download failed or stopped early (a partial file is kept for resuming)."""


class UnsafeArchiveError(CorruptFileError):
    """An archive member would escape the extraction directory or is a link or device."""


class UnsafeFileError(CorruptFileError):
    """A data file is not a regular file, or declares more data than a limit or than it holds."""


class DetectorFailedError(CRBenchError):
    """One or more images made a detector raise during a run."""


class PluginError(CRBenchError):
    """A detector plug-in is not a usable Detector class, or its ``setup()`` raised."""


class PluginImportError(PluginError, ImportError):
    """A plug-in's module cannot be imported (missing, misspelt, or raising at import)."""


class StorageError(CRBenchError, OSError):
    """A file or folder crbench must write cannot be written (read-only, full disk, a file in the path)."""


class CacheChangedError(CRBenchError):
    """A cache entry's bytes changed while a run was using it."""


class NotComparableError(CRBenchError):
    """Two results come from different data set or metric-spec versions."""


class CRBenchWarning(UserWarning):
    """Base class of crbench warnings."""


class NonFinitePixelsWarning(CRBenchWarning):
    """NaN or inf pixels were found and moved into the ignore mask."""


class WorkersCappedWarning(CRBenchWarning):
    """More worker processes were asked for than this machine has CPUs; the number was lowered."""


class CorruptFileWarning(CRBenchWarning):
    """A damaged cached file (score map, sample, manifest) was found, removed and regenerated."""
