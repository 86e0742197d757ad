"""Build a detector or a data set from registry names and parameters."""

from ..datasets import get_dataset_class
from ..detectors import get_detector_class
from ..detectors.param_checks import check_param_types
from ..errors import InputError

__all__ = ["build_detector", "build_dataset"]


def build_detector(name, params=None):
    """Construct the detector ``name``.

    Parameters
    ----------
    name : str
        Registry name or ``"package.module:Class"``.
    params : dict, optional
        Detector parameters (validated by the detector).

    Raises
    ------
    MissingDependencyError
        When the detector's optional dependencies are not installed (the
        message names the install command).
    InputError
        On unknown parameters or a value of the wrong type (naming the parameter).
    PluginError
        When ``name`` does not load a usable detector class.
    """
    detector_cls = get_detector_class(name)
    detector_cls.check_available()
    check_param_types(detector_cls, params)
    return detector_cls(**(params or {}))


def build_dataset(name, *, size=None, data_dir=None):
    """Construct the data set ``name``; return it and the keyword arguments that rebuild it.

    Parameters
    ----------
    name : str
        Registry name, optionally with ``@version`` (``"sim_decam@2"``) for
        an earlier version of a simulated data set.
    size : str, optional
        Data set size, e.g. ``"small"`` or ``"full"`` (simulated data sets).
    data_dir : path-like, optional
        Where a real data set lives.

    Returns
    -------
    dataset : crbench.datasets.Dataset
    kwargs : dict
        Rebuilds an equal data set in a worker process.
    """
    name, _, version = name.partition("@")
    dataset_cls = get_dataset_class(name)
    kwargs = {}
    if version:
        versions = getattr(dataset_cls, "versions", None)
        if versions is None:
            if version != dataset_cls.card.version:
                raise InputError(f"data set {name!r} has only version {dataset_cls.card.version}, not {version!r}")
        else:
            kwargs["version"] = version
    if size is not None:
        kwargs["size"] = size
    if data_dir is not None:
        kwargs["data_dir"] = str(data_dir)
    dataset = dataset_cls(**kwargs)
    dataset.check_available()
    return dataset, kwargs
