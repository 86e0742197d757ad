"""``crbench check``: the regression check (fresh run records vs a committed baseline)."""

import tempfile
from pathlib import Path

import click

from ..errors import CRBenchError, InputError
from .options import jobs_executor_options

__all__ = ["check"]


def _load_run_records(directory):
    from ..leaderboard import load_results

    # every record, duplicates included: the gate checks each (the leaderboard shows one per configuration)
    collection = load_results(directory)
    for note in collection.subset_notes:
        click.echo(f"note: {note}", err=True)
    return collection.all_run_records


@click.command("check")
@click.option("--baseline", type=click.Path(dir_okay=False), required=True,
              help="Baseline file, e.g. leaderboard/baseline.json.")
@click.option("--results", type=click.Path(file_okay=False), default=None,
              help="Directory of fresh run records (default 'results'; with --rerun: a temporary directory).")
@click.option("--rules", type=click.Path(dir_okay=False, exists=True), default=None,
              help="YAML file overriding the default tolerances (crbench/leaderboard/data/regression_rules.yaml).")
@click.option("--only", "patterns", multiple=True,
              help="Compare only entries matching this detector@dataset glob (repeatable), e.g. 'astroscrappy@sim_lco_1m'.")
@click.option("--rerun", is_flag=True, help="Re-run the selected baseline entries now, then compare.")
@click.option("--processes", type=click.IntRange(min=1), default=2, show_default=True,
              help="Worker processes for --rerun.")
@jobs_executor_options
@click.option("--strict", is_flag=True, help="Also fail on not comparable, missing and new entries.")
@click.option("--summary", type=click.Path(dir_okay=False), default=None,
              help="Also append the Markdown summary to this file (e.g. $GITHUB_STEP_SUMMARY).")
def check(baseline, results, rules, patterns, rerun, processes, executor, scheduler, strict, summary):
    """Compare fresh run records with a baseline; exit 1 if any metric got worse or a run failed.

    Per metric, direction-aware: worse when it moved the bad way by more than
    max(abs, rel x baseline). Verdicts: improved, unchanged, worse, not
    comparable (a version changed), missing, new, failed (partial record, a
    run raised, or images/parameters changed without a version bump). Run time is
    reported; it fails an entry only when the detector became more than 2x
    slower relative to the other detectors timed in the same run.
    """
    from ..leaderboard.regression import compare, exit_code, load_baseline, load_rules, select_entries, summary_markdown

    try:
        baseline_doc = load_baseline(baseline)
        check_rules = load_rules(rules)
        run_failures = {}
        with tempfile.TemporaryDirectory(prefix="crbench-check-") as scratch:
            if rerun:
                from ..jobs import Job, run_jobs
                from ..jobs.plan import slowest_first

                entries = {entry["key"]: entry for entry in baseline_doc.get("entries", [])}
                keys = select_entries(sorted(entries), patterns)
                if not keys:
                    raise InputError(f"no baseline entry matches {list(patterns)}; entries are: {', '.join(sorted(entries))}")
                jobs = [Job(entries[key]["detector"], entries[key]["dataset"], size=entries[key]["size"],
                            split=entries[key]["split"], params=entries[key].get("params"))
                        for key in keys]
                jobs.sort(key=lambda job: slowest_first(job.detector))
                results_dir = Path(results) if results else Path(scratch)
                results_dir.mkdir(parents=True, exist_ok=True)
                click.echo(f"re-running {len(jobs)} baseline entr{'y' if len(jobs) == 1 else 'ies'}: {', '.join(keys)}", err=True)
                _, run_failures = run_jobs(jobs, results_dir=results_dir, cache_dir=str(Path(scratch) / "cache"),
                                           processes=min(processes, len(jobs)), progress=False,
                                           executor=executor, scheduler=scheduler)
            else:
                results_dir = Path(results or "results")
            try:
                records = _load_run_records(results_dir)
            except InputError:
                if not run_failures:
                    raise
                records = []  # every re-run failed: each is reported as failed below
            outcome = compare(baseline_doc, records, rules=check_rules, only=patterns, run_failures=run_failures)
    except CRBenchError as error:
        raise click.ClickException(str(error)) from error
    text = summary_markdown(outcome, strict=strict, baseline_path=baseline)
    click.echo(text)
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(text)
    raise click.exceptions.Exit(exit_code(outcome, strict=strict))
