"""Layers point one way: commands -> jobs -> (runner, records) -> scoring, detectors, data sets.

The leaderboard only reads records; nothing below the command layer reaches
back up into it.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "crbench"


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path):
    """Every crbench module ``path`` imports (absolute names, relative imports resolved)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "crbench" or name.startswith("crbench.")}


def _modules_under(subpackage):
    root = PACKAGE / subpackage if subpackage else PACKAGE
    return sorted(root.rglob("*.py")) if root.is_dir() else [root.with_suffix(".py")]


def _within(name, prefix):
    return name == prefix or name.startswith(prefix + ".")


RULES = [
    ("submission", ("crbench.commands", "crbench.cli", "crbench.leaderboard"),
     "the submission layer sits beside jobs: it runs and checks records, the CLI sits above it"),
    # (modules, forbidden imports, why)
    ("leaderboard", ("crbench.commands", "crbench.cli", "crbench.jobs", "crbench.runner", "crbench.cache",
                     "crbench.api"),
     "the leaderboard only reads records"),
    ("records", ("crbench.commands", "crbench.cli", "crbench.jobs", "crbench.runner"),
     "records are built from a RunResult snapshot, not by reaching into the runner"),
    ("training", ("crbench.detectors", "crbench.commands", "crbench.jobs"),
     "training prepares inputs through crbench.inputs, not a detector module"),
    ("scoring", ("crbench.commands", "crbench.jobs", "crbench.runner", "crbench.records", "crbench.leaderboard"),
     "scoring is pure science"),
    ("stack", ("crbench.commands", "crbench.cli", "crbench.jobs", "crbench.runner", "crbench.records",
               "crbench.leaderboard"),
     "the stack truth builder is science and file I/O below the data sets"),
    ("runner", ("crbench.commands", "crbench.cli", "crbench.jobs", "crbench.leaderboard"),
     "the runner sits below the job layer"),
    ("isolation", ("crbench.commands", "crbench.cli", "crbench.jobs", "crbench.runner", "crbench.records",
                   "crbench.leaderboard"),
     "the worker pool runs any task it is handed; what a task does is the runner's"),
    ("object_pass", ("crbench.commands", "crbench.cli", "crbench.jobs", "crbench.leaderboard", "crbench.runner"),
     "the runner's object pass sits beside it, below the job layer"),
    ("jobs", ("crbench.commands", "crbench.cli"), "the job layer sits below the commands"),
    ("api", ("crbench.commands", "crbench.cli"),
     "the notebook API sits beside the command line: both call the job layer, neither the other"),
    ("review", ("crbench.commands", "crbench.cli", "crbench.jobs", "crbench.runner", "crbench.leaderboard"),
     "the review gallery draws the samples and masks it is handed; running detectors is the job layer's"),
    ("uncertainty", ("crbench.commands", "crbench.cli", "crbench.jobs", "crbench.runner", "crbench.leaderboard"),
     "the bootstrap works on scoring states and records, below the runner and the leaderboard"),
    ("site", ("crbench.commands", "crbench.cli", "crbench.jobs", "crbench.runner", "crbench.cache"),
     "the website renders records (and galleries it is handed); running detectors is the job layer's"),
]


@pytest.mark.parametrize(("subpackage", "forbidden", "why"), RULES, ids=[rule[0] for rule in RULES])
def test_layers_point_one_way(subpackage, forbidden, why):
    offences = [
        f"{_module_name(path)} imports {name}"
        for path in _modules_under(subpackage)
        for name in sorted(_imports(path))
        if any(_within(name, prefix) for prefix in forbidden)
    ]
    assert not offences, f"{why}: " + "; ".join(offences)


def test_only_the_command_layer_imports_commands():
    offences = [
        f"{_module_name(path)} imports {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if not _within(_module_name(path), "crbench.commands") and _module_name(path) != "crbench.cli"
        for name in sorted(_imports(path))
        if _within(name, "crbench.commands")
    ]
    assert not offences, "; ".join(offences)


def test_the_import_resolver_sees_relative_imports():
    # guards the guard: a rule that resolves nothing would pass vacuously
    assert "crbench.runner" in _imports(PACKAGE / "jobs" / "run.py")
    assert "crbench.records" in _imports(PACKAGE / "jobs" / "run.py")
    assert "crbench.scoring" in _imports(PACKAGE / "runner.py")
