"""``python -m crbench``: the same command line as the ``crbench`` script."""

from .cli import main

if __name__ == "__main__":
    main(prog_name="crbench")
