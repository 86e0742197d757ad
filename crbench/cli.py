"""The ``crbench`` command line.

Sub-commands live in :mod:`crbench.commands` and are imported only when
invoked, so ``crbench --help`` and ``crbench list`` start fast without
importing torch.
"""

import importlib

import click

from . import __version__

__all__ = ["main", "LazyGroup"]


class LazyGroup(click.Group):
    """A click group whose sub-commands are ``"module:attr"`` strings imported on use."""

    def __init__(self, *args, lazy_commands=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self.lazy_commands))

    def get_command(self, ctx, cmd_name):
        if cmd_name in self.lazy_commands:
            module_name, _, attr = self.lazy_commands[cmd_name].partition(":")
            return getattr(importlib.import_module(module_name), attr)
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=LazyGroup,
    lazy_commands={
        "run": "crbench.commands.run:run",
        "list": "crbench.commands.listing:list_command",
        "datasets": "crbench.commands.datasets:datasets",
        "leaderboard": "crbench.commands.leaderboard:leaderboard",
        "check": "crbench.commands.check:check",
        "compare": "crbench.commands.compare:compare",
        "bench": "crbench.commands.bench:bench",
        "merge": "crbench.commands.merge:merge",
        "mock-run": "crbench.commands.mock_run:mock_run",
        "train": "crbench.commands.train:train",
        "protocols": "crbench.commands.protocols:protocols",
        "cache": "crbench.commands.cache:cache_group",
        "submit": "crbench.commands.submit:submit",
        "validate-submission": "crbench.commands.validate_submission:validate_submission",
        "detect": "crbench.commands.detect:detect",
    },
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="crbench")
def main():
    """Benchmark cosmic-ray detectors on simulated and real CCD data."""

