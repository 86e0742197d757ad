"""Click sub-commands of the ``crbench`` CLI (imported lazily by :mod:`crbench.cli`)."""
