"""Facts about the machine and software a result was produced on."""

import platform

__all__ = ["environment_info"]


def environment_info():
    """Return a JSON-ready dict of python, platform and CPU facts."""
    return {"python": platform.python_version(), "platform": platform.platform(), "cpu": platform.processor()}
