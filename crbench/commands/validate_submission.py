"""``crbench validate-submission``: the leaderboard CI's checks of a submission bundle."""

import click

from ..errors import CRBenchError

__all__ = ["validate_submission"]


@click.command("validate-submission")
@click.argument("bundle", type=click.Path(exists=True, file_okay=False))
@click.option("--rerun", type=click.IntRange(min=0), default=0, show_default=True,
              help="Re-run this many randomly chosen images and compare with the records.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the images chosen to re-run.")
@click.option("--tolerance", type=click.FloatRange(min=0.0), default=1e-5, show_default=True,
              help="Fraction of an image's pixels whose TP/FP decision may differ on re-run.")
@click.option("--no-install", "no_install", is_flag=True,
              help="Do not install the detector in a fresh environment (install and mock-run are SKIPPED, "
                   "the re-run uses this environment).")
@click.option("--dataset", "datasets", multiple=True,
              help="The splits the submission must cover; repeat. Default: every data set of the leaderboard.")
@click.option("--size", default="small", show_default=True, help="Size of the simulated data sets.")
def validate_submission(bundle, rerun, seed, tolerance, no_install, datasets, size):
    """Check a submission BUNDLE: PASS (exit 0) or REFUSED with named reasons (exit 1).

    Checks the schema and versions, the manifest's sha256 of every file, the
    pinned requirement, the training declaration and overlap, that every
    official split has a complete record of the official images whose
    metrics agree with its counts, the bench record, that the detector
    installs in a fresh virtual environment and passes mock-run, and that
    re-run images reproduce their recorded counts.
    """
    from ..submission import REFUSED, format_report, validate_bundle

    try:
        results = validate_bundle(bundle, datasets=list(datasets) or None, size=size, rerun=rerun, seed=seed,
                                  tolerance=tolerance, install=not no_install,
                                  progress=lambda message: click.echo(message, err=True))
    except CRBenchError as err:
        raise click.ClickException(str(err)) from err
    click.echo(format_report(results))
    if any(result.verdict == REFUSED for result in results):
        raise SystemExit(1)
