"""``crbench submit``: run a detector on every official split and write a submission bundle."""

import click

from ..errors import CRBenchError

__all__ = ["submit"]


@click.command()
@click.option("--detector", "detector_name", required=True,
              help="Registry name of the installed detector (its crbench.detectors entry point).")
@click.option("--dataset", "datasets", multiple=True,
              help="Official data set to run; repeat. Default: every data set of the leaderboard.")
@click.option("--size", default="small", show_default=True,
              help="Size of the simulated data sets (the leaderboard's is small).")
@click.option("--output", type=click.Path(file_okay=False), required=True, help="The bundle folder (must not exist).")
@click.option("--records", "records_dir", type=click.Path(exists=True, file_okay=False),
              help="Use the complete, current run records in this folder instead of running.")
@click.option("--requirement", required=True,
              help="How to install the adapter: 'pkg==1.2', a wheel/sdist path, or 'git+https://...@<commit>'.")
@click.option("--untrained", is_flag=True,
              help="State that the detector was trained on no data (needed when it declares no training_datasets).")
@click.option("--training-hashes", type=click.Path(exists=True, dir_okay=False),
              help="File with the sample_sha256 of every training image, one per line.")
@click.option("--bench-shape", default="4096x2048", show_default=True, help="Frame ROWSxCOLS of the bench record.")
@click.option("--bench-repeats", type=click.IntRange(min=1), default=3, show_default=True)
def submit(detector_name, datasets, size, output, records_dir, requirement, untrained, training_hashes, bench_shape,
           bench_repeats):
    """Write a submission bundle for DETECTOR: run records, bench record, metadata, manifest.

    Runs the detector on every official split with the leaderboard's
    parameters (or takes fresh records from --records), times it with
    crbench bench, and writes the bundle atomically. Check it with
    crbench validate-submission; see docs/submitting.md.
    """
    from ..submission import build_bundle
    from ..timing import parse_shape

    try:
        path = build_bundle(detector_name, output=output, requirement=requirement, datasets=list(datasets) or None,
                            size=size, records_dir=records_dir, untrained=untrained, training_hashes=training_hashes,
                            bench_shape=parse_shape(bench_shape), bench_repeats=bench_repeats,
                            progress=lambda message: click.echo(message, err=True))
    except CRBenchError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"wrote the submission bundle {path}; check it with: crbench validate-submission {path}")
