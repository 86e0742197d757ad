"""Upstream default parameters of the classical detectors, read from the installed packages.

crbench's ``astroscrappy`` and ``lacosmic`` adapters default to the DECam
protocol of Bhavanam et al. 2022 (sigclip 3, objlim 1), which a data set card
normally overrides for its own family. On a data set whose card states no
parameters for a classical detector (a user data set of family ``hst`` or
``other``), those DECam values are the wrong default: such runs use the
defaults of the upstream function instead, read here from its signature
(:func:`inspect.signature`) so that they follow the installed release rather
than a copy that can go stale.

Only parameters the adapter accepts under the same name are taken. A
parameter upstream requires without a default (``lacosmic.remove_cosmics``'s
``contrast``, ``cr_threshold`` and ``neighbor_threshold``) has no upstream
default: the adapter's value stays and :func:`parameter_source` says so.
"""

import importlib
import importlib.metadata
import inspect

__all__ = ["UPSTREAM_FUNCTIONS", "upstream_defaults", "parameter_source", "protocol_or_upstream"]

#: detector name -> (module, function) whose signature holds the upstream defaults
UPSTREAM_FUNCTIONS = {
    "astroscrappy": ("astroscrappy", "detect_cosmics"),
    "lacosmic": ("lacosmic", "remove_cosmics"),
}


def _upstream_parameters(detector_name):
    module_name, function_name = UPSTREAM_FUNCTIONS[detector_name]
    function = getattr(importlib.import_module(module_name), function_name)
    return inspect.signature(function).parameters


def _adapter_params(detector_name):
    from . import get_detector_class

    return get_detector_class(detector_name).default_params


def upstream_defaults(detector_name):
    """Return the upstream default of every parameter the adapter shares with upstream.

    Parameters
    ----------
    detector_name : str
        A registry name (``"astroscrappy"``, ``"lacosmic"``).

    Returns
    -------
    dict or None
        ``{parameter: upstream default}``, e.g. ``{"sigclip": 4.5, "objlim":
        5.0, ...}`` for ``astroscrappy``; None for a detector that wraps no
        upstream function listed in :data:`UPSTREAM_FUNCTIONS`.

    Examples
    --------
    >>> upstream_defaults("astroscrappy")["objlim"]
    5.0
    >>> upstream_defaults("deepcr") is None
    True
    """
    if detector_name not in UPSTREAM_FUNCTIONS:
        return None
    adapter = _adapter_params(detector_name)
    return {
        name: parameter.default
        for name, parameter in _upstream_parameters(detector_name).items()
        if name in adapter and parameter.default is not inspect.Parameter.empty
    }


def _required_upstream(detector_name):
    """Adapter parameters that upstream requires without a default."""
    adapter = _adapter_params(detector_name)
    return [name for name, parameter in _upstream_parameters(detector_name).items()
            if name in adapter and parameter.default is inspect.Parameter.empty
            and parameter.kind is not inspect.Parameter.VAR_KEYWORD]


def parameter_source(detector_name, *, user_params=()):
    """Return the JSON-ready statement of a run at upstream defaults (stored in the run record).

    Parameters
    ----------
    detector_name : str
        A name listed in :data:`UPSTREAM_FUNCTIONS`.
    user_params : collection of str
        Parameters the user gave explicitly (they win over upstream's).

    Returns
    -------
    dict
        ``source`` (``"upstream defaults"``), ``package`` (name and installed
        version), ``function``, ``params`` (the upstream values applied),
        ``kept_adapter_defaults`` (parameters upstream requires without a
        default), ``user_params`` and ``note`` (one printable sentence).
    """
    module_name, function_name = UPSTREAM_FUNCTIONS[detector_name]
    defaults = upstream_defaults(detector_name)
    applied = {name: value for name, value in defaults.items() if name not in set(user_params)}
    kept = [name for name in _required_upstream(detector_name) if name not in set(user_params)]
    version = importlib.metadata.version(module_name)
    note = (f"{detector_name}: the data set card states no parameters for it, so it runs at the upstream "
            f"defaults of {module_name} {version} {function_name}() "
            f"({', '.join(f'{name}={value!r}' for name, value in applied.items()) or 'none left to apply'})")
    if kept:
        note += f"; upstream has no default for {', '.join(kept)}: crbench's adapter values are kept"
    if user_params:
        note += f"; given explicitly: {', '.join(sorted(user_params))}"
    return {"source": "upstream defaults", "package": f"{module_name} {version}", "function": function_name,
            "params": applied, "kept_adapter_defaults": kept, "user_params": sorted(user_params), "note": note}


def protocol_or_upstream(detector_name, card_protocol, *, user_params=()):
    """Return the parameters a run adopts for one detector and where they come from.

    The one rule: a card's protocol parameters for the detector win; a
    classical detector (listed in :data:`UPSTREAM_FUNCTIONS`) whose card
    states none runs at its upstream defaults; any other detector keeps
    its own defaults. Parameters given by the user win over both
    (:meth:`crbench.detectors.Detector.apply_protocol`).

    Parameters
    ----------
    detector_name : str
    card_protocol : dict
        :meth:`crbench.datasets.DatasetCard.protocol_for` of the detector.
    user_params : collection of str
        Parameters given explicitly.

    Returns
    -------
    protocol : dict
        To pass to :meth:`~crbench.detectors.Detector.apply_protocol`.
    source : dict or None
        :func:`parameter_source` when upstream defaults were applied, else None.
    """
    if card_protocol or detector_name not in UPSTREAM_FUNCTIONS:
        return dict(card_protocol), None
    return upstream_defaults(detector_name), parameter_source(detector_name, user_params=user_params)
