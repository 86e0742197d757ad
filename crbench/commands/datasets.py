"""``crbench datasets``: add, build, verify, show, review and download data sets."""

import click

from ..cli import LazyGroup

__all__ = ["datasets"]


@click.group(
    cls=LazyGroup,
    lazy_commands={
        "add": "crbench.commands.dataset_add:add",
        "build": "crbench.commands.dataset_sim:build",
        "verify": "crbench.commands.dataset_sim:verify",
        "show": "crbench.commands.dataset_show:show",
        "review": "crbench.commands.dataset_review:review",
        "download": "crbench.commands.dataset_download:download",
        "from-stack": "crbench.commands.dataset_stack:from_stack",
    },
)
def datasets():
    """Add labelled FITS files, build, verify, show, review or download data sets, or build one from repeated exposures."""
