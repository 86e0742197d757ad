"""``crbench leaderboard``: render run records as tables and plots; ``rebuild`` regenerates them."""

import json
import time
from pathlib import Path

import click

from ..errors import CRBenchError
from .options import STDOUT, jobs_executor_options, output_option

__all__ = ["leaderboard", "rebuild_command", "site_command"]

_DEFAULT_OUT = {"md": "LEADERBOARD.md", "html": "leaderboard.html", "csv": "leaderboard.csv", "latex": "leaderboard.tex"}


@click.group("leaderboard", invoke_without_command=True)
@click.option("--results", type=click.Path(file_okay=False), default="results", show_default=True,
              help="Directory of run (and bench) records, searched recursively.")
@click.option("--format", "fmt", type=click.Choice(list(_DEFAULT_OUT)), default="md", show_default=True,
              help="md: Markdown + PNG plots next to it; html: one self-contained page; "
                   "csv: one row per record with every metric; latex: booktabs tables.")
@output_option(type=click.Path(dir_okay=False, allow_dash=True),
               help="Output file (default LEADERBOARD.md, leaderboard.html, leaderboard.csv or leaderboard.tex); "
                    "'-' writes the page to stdout (Markdown without its plot images).")
@click.option("--rank-metric", default=None, help="Metric of the summary ranking (default TPR at 0.01 % FPR).")
@click.pass_context
def leaderboard(ctx, results, fmt, output, rank_metric):
    """Aggregate run records into the leaderboard (paper Table 1, 2 and 4 layouts, ranking, plots).

    Records of different data set or metric-spec versions are shown apart as
    "not comparable", never merged. Run 'crbench leaderboard rebuild' to
    regenerate the committed leaderboard/ directory.
    """
    if ctx.invoked_subcommand is not None:
        return
    from ..leaderboard import load_results, write_leaderboard
    from ..leaderboard.render import render_text
    from ..leaderboard.tables import METRIC_LABELS

    if rank_metric is not None and rank_metric not in METRIC_LABELS:
        raise click.BadParameter(f"{rank_metric!r}; choose one of {', '.join(METRIC_LABELS)}", param_hint="--rank-metric")
    try:
        collection = load_results(results)
        if output == STDOUT:
            text, written = render_text(collection, fmt=fmt, rank_metric=rank_metric), []
        else:
            written = write_leaderboard(collection, fmt=fmt, out=output or _DEFAULT_OUT[fmt], rank_metric=rank_metric)
    except CRBenchError as error:
        raise click.ClickException(str(error)) from error
    n_records = sum(len(group.records) for group in collection.groups)
    # with --output - stdout holds the page alone; what the command says goes to stderr
    click.echo(f"{n_records} run record(s), {len(collection.bench_records)} bench record(s) from {results}",
               err=output == STDOUT)
    if output == STDOUT:
        click.echo(text, nl=False)
    for note in collection.notes:
        click.echo(f"note: {note}", err=True)
    for item in collection.skipped:
        click.echo(f"skipped {item}", err=True)
    for path in written:
        click.echo(f"wrote {path}")


def _invocation(ctx):
    """The command line as given (options that differ from their defaults), for the record."""
    parts = ["crbench", *ctx.command_path.split()[1:]]  # the program name differs under python -c
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        if value == param.default or value in ((), None) or param.name == "quiet":
            continue
        flag = param.opts[0]
        if isinstance(value, bool):
            parts.append(flag if value else (param.secondary_opts[0] if param.secondary_opts else ""))
        elif isinstance(value, tuple):
            parts.extend(f"{flag} {item}" for item in value)
        else:
            parts.append(f"{flag} {value}")
    return " ".join(part for part in parts if part)


@leaderboard.command("rebuild")
@output_option(type=click.Path(file_okay=False), default="leaderboard", old="--out-dir",
               help="Directory to regenerate (records/, LEADERBOARD.md, plots/, baseline.json).")
@click.option("--detector", "detectors", multiple=True,
              help="Only these detectors (repeatable; default every registered one except test doubles).")
@click.option("--dataset", "datasets", multiple=True,
              help="Only these data sets (repeatable; default every sim_* data set).")
@click.option("--size", default="small", show_default=True)
@click.option("--split", default="test", show_default=True)
@click.option("--processes", type=click.IntRange(min=1), default=2, show_default=True,
              help="Scoring runs in parallel worker processes (one thread each).")
@click.option("--bench/--no-bench", default=True, show_default=True, help="Time every detector with crbench bench.")
@click.option("--bench-shape", default="2048x2048", show_default=True, help="Frame ROWSxCOLS of the timing runs.")
@click.option("--bench-repeats", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
              help="Reuse this score cache (default: a fresh one, so that every run is timed).")
@click.option("--update", is_flag=True,
              help="Re-run only the selected runs and keep every other record (e.g. after a data set version bump).")
@click.option("--dry-run", is_flag=True, help="Print the runs and an estimate of the wall time; run nothing.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--site/--no-site", default=True, show_default=True,
              help="Also write the static website to OUT_DIR/site (failure galleries when --cache-dir is given).")
@jobs_executor_options
def rebuild_command(output, detectors, datasets, size, split, processes, bench, bench_shape, bench_repeats,
                    cache_dir, update, dry_run, quiet, site, executor, scheduler):
    """Re-run every detector on every small simulated data set and regenerate the leaderboard."""
    from ..jobs import estimate_seconds, plan_rebuild, rebuild

    if dry_run:
        rows, _, cols = bench_shape.lower().partition("x")
        if not (rows.isdigit() and cols.isdigit()):
            raise click.BadParameter(f"{bench_shape!r}: expected ROWSxCOLS, e.g. 2048x2048", param_hint="--bench-shape")
        jobs, skipped = plan_rebuild(detectors=detectors or None, datasets=datasets or None, size=size, split=split)
        try:
            total, lines = estimate_seconds(jobs, processes=processes, bench=bench, bench_repeats=bench_repeats,
                                            bench_shape=(int(rows), int(cols)))
        except CRBenchError as error:
            raise click.ClickException(str(error)) from error
        for line in lines:
            click.echo(line)
        for line in skipped:
            click.echo(f"skipped {line}")
        click.echo(f"{len(jobs)} run(s) on {processes} process(es): estimated {total / 60:.1f} min in total")
        return

    start = time.perf_counter()
    try:
        report = rebuild(
            output, detectors=detectors or None, datasets=datasets or None, size=size, split=split,
            processes=processes, bench=bench, bench_shape=bench_shape, bench_repeats=bench_repeats,
            cache_dir=cache_dir, progress=not quiet, command=_invocation(click.get_current_context()), update=update,
            executor=executor, scheduler=scheduler, site=site,
        )
    except (CRBenchError, RuntimeError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{len(report.records)} run record(s), {len(report.bench_records)} detector(s) timed "
               f"in {(time.perf_counter() - start) / 60:.1f} min")
    for line in report.skipped:
        click.echo(f"skipped {line}", err=True)
    for key, error in sorted(report.bench_failures.items()):
        click.echo(f"not timed {key}: {error}", err=True)
    for path in report.written:
        click.echo(f"wrote {Path(path)}")
    if report.failures:
        for key, error in sorted(report.failures.items()):
            click.echo(f"FAILED {key}: {error}", err=True)
        raise click.exceptions.Exit(1)


@leaderboard.command("site")
@click.option("--results", type=click.Path(file_okay=False), default="leaderboard/records", show_default=True,
              help="Directory of run (and bench) records, searched recursively.")
@click.option("--output", type=click.Path(file_okay=False), default="leaderboard/site", show_default=True,
              help="Folder of the site (replaced whole when it holds an earlier site; any other non-empty folder "
                   "is refused).")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
              help="Score cache the records' runs wrote: draws each detector page's failure gallery from the cached "
                   "outputs (never runs a detector). Without it the pages say how to get one.")
@click.option("--gallery-images", type=click.IntRange(min=1), default=16, show_default=True,
              help="Images per data set reviewed for the failure galleries (the first ones of the split).")
@click.option("--rank-metric", default=None, help="Metric of the rankings (default TPR at 0.01 % FPR).")
def site_command(results, output, cache_dir, gallery_images, rank_metric):
    """Write the leaderboard as a static website (open OUTPUT/index.html; works offline from file://).

    Pages: a summary ranking, one page per part (simulated standard splits,
    stress variants, real data, published figures), per detector (with
    citation, cost per machine and failure gallery) and per protocol preset;
    every table sorts by a click and downloads as CSV and JSON.
    """
    from ..leaderboard import load_results
    from ..leaderboard.tables import METRIC_LABELS, RANK_METRIC
    from ..site import write_site

    if rank_metric is not None and rank_metric not in METRIC_LABELS:
        raise click.BadParameter(f"{rank_metric!r}; choose one of {', '.join(METRIC_LABELS)}", param_hint="--rank-metric")
    try:
        collection = load_results(results)
        galleries = None
        if cache_dir is not None:
            from ..jobs.site_gallery import failure_galleries

            galleries = failure_galleries(collection, cache_dir=cache_dir, images=gallery_images)
        written = write_site(collection, output, galleries=galleries, rank_metric=rank_metric or RANK_METRIC)
    except CRBenchError as error:
        raise click.ClickException(str(error)) from error
    for note in collection.notes:
        click.echo(f"note: {note}", err=True)
    for key, gallery in sorted((galleries or {}).items()):
        if gallery.note:
            click.echo(f"gallery {key[0]} on {key[1]}: {gallery.note}", err=True)
    pages = [path for path in written if path.suffix == ".html"]
    click.echo(f"wrote {len(pages)} page(s) and {len(written) - len(pages)} other file(s) to {output}; "
               f"open {Path(output) / 'index.html'}")


@leaderboard.command("baseline")
@click.option("--results", type=click.Path(file_okay=False, exists=True), default="leaderboard/records",
              show_default=True, help="Directory of run records.")
@output_option(type=click.Path(dir_okay=False, allow_dash=True), default="leaderboard/baseline.json",
               help="Baseline file to write; '-' writes it to stdout.")
def baseline_command(results, output):
    """Write the regression check's baseline from the complete run records in RESULTS.

    'rebuild' does this itself; use this after adding records by hand
    (e.g. a new detector's runs written with 'crbench run --output').
    """
    from ..errors import CRBenchError
    from ..leaderboard.collect import load_results
    from ..leaderboard.regression import make_baseline, write_baseline

    try:
        collection = load_results(results)
        records = [
            record for group in collection.groups for record in group.records if record.is_complete
        ]
        baseline = make_baseline(records, note=f"written by crbench leaderboard baseline --results {results}")
        if output == STDOUT:
            click.echo(json.dumps(baseline, indent=2, allow_nan=False))
        else:
            write_baseline(baseline, output)
    except CRBenchError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"baseline of {len(records)} run records: {'stdout' if output == STDOUT else output}",
               err=output == STDOUT)
