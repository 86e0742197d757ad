"""``crbench datasets``: build, verify, show and download data sets."""

import click

from ..cli import LazyGroup

__all__ = ["datasets"]


@click.group(
    cls=LazyGroup,
    lazy_commands={
        # "build": "crbench.commands.dataset_sim:build",       (simulator)
        # "verify": "crbench.commands.dataset_sim:verify",     (simulator)
        # "show": "crbench.commands.dataset_sim:show",         (simulator)
        "download": "crbench.commands.dataset_download:download",
    },
)
def datasets():
    """Build, verify, show or download data sets."""
