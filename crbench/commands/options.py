"""Options and option parsing shared by crbench commands (building and running lives in :mod:`crbench.jobs`).

One spelling and one default per concept across commands: ``--device``
(default ``auto``) is :func:`device_option`, ``--backend`` (default ``torch``)
:func:`backend_option`; ``--output`` is
:func:`output_option`, which keeps a command's older spelling (``--out``) as a
hidden alias that still works and warns; ``--detector a,b`` and repeated
``--detector`` are read by :func:`split_names`.
"""

import functools

import click
import yaml
from click.core import ParameterSource

from ..device import DEVICES
from ..errors import InputError, MissingDependencyError
from ..executors import EXECUTORS, SCHEDULER_VARIABLE, default_dask_workers
from ..inference_backend import BACKEND_ENV, BACKENDS, set_backend

__all__ = ["parse_key_values", "split_names", "device_option", "backend_option", "header_number_options",
           "output_option", "STDOUT",
           "jobs_executor_options", "executor_option", "scheduler_option", "check_scheduler", "executor_jobs"]

#: ``--output -``: write the single file a command produces to standard output.
STDOUT = "-"


def split_names(values):
    """Names given as ``--detector a,b`` and/or repeated ``--detector``: in order, duplicates dropped.

    Examples
    --------
    >>> split_names(("astroscrappy,deepcr", "lacosmic", "deepcr"))
    ['astroscrappy', 'deepcr', 'lacosmic']
    """
    names = [name.strip() for value in values for name in str(value).split(",")]
    return list(dict.fromkeys(name for name in names if name))


def device_option(**options):
    """The ``--device`` option every command that runs a detector or a model takes (default ``auto``)."""
    return click.option("--device", type=click.Choice(DEVICES), default="auto", show_default=True,
                        help="auto = CUDA when PyTorch sees a GPU, else the CPU; cuda without a GPU is an error.",
                        **options)


def backend_option(**options):
    """``--backend``: the engine that runs torch networks (:mod:`crbench.inference_backend`; default torch).

    The choice is made for this process and the worker processes it starts
    (:func:`crbench.inference_backend.set_backend`); the command's function
    does not receive it.
    """

    def select(context, parameter, value):
        if value is None:
            return None
        try:
            return set_backend(value)
        except (InputError, MissingDependencyError) as error:
            raise click.BadParameter(str(error), ctx=context, param=parameter) from None

    return click.option("--backend", type=click.Choice(BACKENDS), default=None, expose_value=False,
                        callback=select, envvar=BACKEND_ENV, show_envvar=True,
                        help="Engine of the torch U-Nets: torch (eager PyTorch, the reference; default) or "
                             "onnxruntime (faster on CPU, agrees to 1e-5; pip install 'crbench[onnx]').",
                        **options)


def header_number_options(*, gain_note="", saturation_note=""):
    """``--gain``, ``--read-noise`` and ``--saturation``: each a header keyword or a value.

    The commands that read FITS files (``detect``, ``datasets add``,
    ``datasets from-stack``) share the spelling, the defaults (``GAIN``,
    ``RDNOISE``, ``SATURATE``) and the parsing
    (:meth:`crbench.fits_options.HeaderValue.parse`, in the command).

    Parameters
    ----------
    gain_note, saturation_note : str
        A sentence a command adds to the option's help.
    """

    def decorate(function):
        for option in reversed([
            click.option("--gain", default="GAIN", show_default=True,
                         help=f"Header keyword holding the gain (e- per unit of the pixel values), or its value.{gain_note}"),
            click.option("--read-noise", default="RDNOISE", show_default=True,
                         help="Header keyword holding the read noise (e-), or its value."),
            click.option("--saturation", default="SATURATE", show_default=True,
                         help="Header keyword holding the saturation level in the pixels' own units, or its value."
                              f"{saturation_note}"),
        ]):
            function = option(function)
        return function

    return decorate


def output_option(*, type, help, default=None, required=False, old="--out", show_default=None):  # noqa: A002
    """``--output``, with the command's older spelling ``old`` kept as a hidden, deprecated alias.

    The alias still works and prints a warning on stderr; giving both is a
    usage error. The command's function receives the value as ``output``.

    Parameters
    ----------
    type : click.ParamType
    help : str
    default : object, optional
    required : bool
        Checked after the alias is resolved (so ``--out X`` satisfies it).
    old : str
        The deprecated spelling.
    show_default : bool, optional
        Default: shown when there is a default.
    """
    hidden_name = "deprecated_" + old.lstrip("-").replace("-", "_")

    def decorator(function):
        @functools.wraps(function)
        def command(*args, **kwargs):
            old_value = kwargs.pop(hidden_name)
            context = click.get_current_context()
            if old_value is not None:
                if context.get_parameter_source("output") not in (ParameterSource.DEFAULT, None):
                    raise click.UsageError(f"give --output only ({old} is its old, deprecated spelling)")
                click.echo(f"warning: {old} is deprecated and will be removed; use --output", err=True)
                kwargs["output"] = old_value
            if required and kwargs.get("output") is None:
                raise click.UsageError("Missing option '--output'.", ctx=context)
            return function(*args, **kwargs)

        command = click.option(old, hidden_name, type=type, default=None, hidden=True,
                               help="Deprecated spelling of --output.")(command)
        return click.option("--output", "output", type=type, default=default,
                            show_default=default is not None if show_default is None else show_default,
                            help=f"{help} Required." if required else help)(command)

    return decorator


def jobs_executor_options(function):
    """``--executor`` and ``--scheduler`` of the commands that run many jobs (``leaderboard rebuild``, ``check --rerun``).

    The decorated command receives ``executor`` and ``scheduler``; a
    scheduler without ``--executor dask`` is a usage error.
    """
    def needs_dask(ctx, param, value):
        check_scheduler(value, ctx.params.get("executor", "processes"))  # --executor is eager: already read
        return value

    function = click.option(
        "--scheduler", default=None, metavar="ADDRESS", callback=needs_dask,
        help=f"Dask scheduler, e.g. tcp://host:8786 (--executor dask; default ${SCHEDULER_VARIABLE}, else a "
             "LocalCluster of --processes workers).")(function)
    return click.option(
        "--executor", type=click.Choice(EXECUTORS), default="processes", show_default=True, is_eager=True,
        help="'processes': each run whole in one of --processes worker processes; 'dask': every run's chunks of "
             "images as one task graph on a Dask cluster, the most expensive run first (docs/scaling.md); "
             "'local': one run after another in this process.")(function)


def executor_option(*, work, default_rule, outcome):
    """The ``--executor local|processes|dask`` option of a command that spreads ``work`` over workers.

    Parameters
    ----------
    work : str
        What runs in the workers, e.g. ``"detection"``.
    default_rule : str
        When ``processes`` is the default, e.g. ``"--jobs > 1"``.
    outcome : str
        What does not depend on the executor, e.g. ``"The metrics are the same"``.
    """
    return click.option(
        "--executor", type=click.Choice(EXECUTORS), default=None,
        help=f"Where {work} runs: 'local' (this process), 'processes' (crbench's worker processes) or 'dask' (a Dask "
             f"LocalCluster of --jobs processes, or the cluster of --scheduler). Default: 'processes' with "
             f"{default_rule}, else 'local'. {outcome} whichever runs (docs/scaling.md).")


def scheduler_option(*, shared):
    """The ``--scheduler ADDRESS`` option (with ``--executor dask``); ``shared`` names the path every worker must see."""
    return click.option(
        "--scheduler", default=None, metavar="ADDRESS",
        help=f"Dask scheduler, e.g. tcp://host:8786 (--executor dask; default ${SCHEDULER_VARIABLE}, "
             f"else a LocalCluster). Every worker must see {shared}.")


def check_scheduler(scheduler, executor):
    """Refuse ``--scheduler`` without ``--executor dask`` (a usage error)."""
    if scheduler is not None and executor != "dask":
        raise click.UsageError("--scheduler names a Dask cluster: add --executor dask")


def executor_jobs(jobs, executor):
    """``--jobs`` when given, else the CPUs this process may use for ``--executor dask`` (a LocalCluster), else 1."""
    if jobs is not None:
        return jobs
    return default_dask_workers() if executor == "dask" else 1


def _split_top_level(text):
    """Split on commas that are not inside brackets or quotes."""
    parts, depth, quote, current = [], 0, None, []
    for char in text:
        if quote:
            quote = None if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{(":
            depth += 1
        elif char in "]})":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def _read_value(key, value):
    """One value read with ``yaml.safe_load`` (no tags that build objects); errors name ``key``."""
    try:
        return yaml.safe_load(value)
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or type(error).__name__
        raise InputError(
            f"cannot read the value of {key!r} ({value!r}): {problem}. Values are plain YAML: numbers, true/false, "
            "'quoted strings' with both quotes, [lists]; YAML tags such as !!python/... are refused"
        ) from None


def parse_key_values(text):
    """Parse ``"k=v,k2=[1, 2]"`` into a dict; values are read as YAML scalars.

    Raises
    ------
    InputError
        When a part is not ``key=value`` or a value is not plain YAML (an
        unclosed quote, a ``!!python/...`` tag); the message names the key.

    Examples
    --------
    >>> parse_key_values("sigclip=4.5,sweep=[1, 2, 3],model=decam")
    {'sigclip': 4.5, 'sweep': [1, 2, 3], 'model': 'decam'}
    """
    if not text:
        return {}
    result = {}
    for part in _split_top_level(text):
        key, separator, value = part.partition("=")
        if not separator or not key.strip():
            raise InputError(f"cannot read {part!r}: expected key=value (e.g. --detector-args sigclip=4.5,objlim=2)")
        result[key.strip()] = _read_value(key.strip(), value) if value.strip() else None
    return result
