"""Option parsing shared by crbench commands (building and running lives in :mod:`crbench.jobs`)."""

import click
import yaml

from ..errors import InputError
from ..executors import EXECUTORS, SCHEDULER_VARIABLE

__all__ = ["jobs_executor_options", "parse_key_values"]


def jobs_executor_options(function):
    """``--executor`` and ``--scheduler`` of the commands that run many jobs (``leaderboard rebuild``, ``check --rerun``).

    The decorated command receives ``executor`` and ``scheduler``; a
    scheduler without ``--executor dask`` is a usage error.
    """
    def check_scheduler(ctx, param, value):
        if value is not None and ctx.params.get("executor", "processes") != "dask":
            raise click.UsageError("--scheduler names a Dask cluster: add --executor dask", ctx=ctx)
        return value

    function = click.option(
        "--scheduler", default=None, metavar="ADDRESS", callback=check_scheduler,
        help=f"Dask scheduler, e.g. tcp://host:8786 (--executor dask; default ${SCHEDULER_VARIABLE}, else a "
             "LocalCluster of --processes workers).")(function)
    return click.option(
        "--executor", type=click.Choice(EXECUTORS), default="processes", show_default=True, is_eager=True,
        help="'processes': each run whole in one of --processes worker processes; 'dask': every run's chunks of "
             "images as one task graph on a Dask cluster, the most expensive run first (docs/scaling.md); "
             "'local': one run after another in this process.")(function)


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
