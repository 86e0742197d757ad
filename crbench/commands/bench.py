"""``crbench bench``: time detectors on one synthetic frame (paper Table 4)."""

from pathlib import Path

import click

from ..errors import CRBenchError
from .options import backend_option, device_option

__all__ = ["bench"]


@click.command()
@click.option("--detector", "-d", "detector_names", multiple=True,
              help="Registry name or 'package.module:Class'; repeat to time several.")
@click.option("--detector-args", default="", help="Detector parameters as k=v,k2=v2 (values read as YAML).")
@click.option("--shape", default="4096x2048", show_default=True,
              help="Frame ROWSxCOLS; 4096x2048 is one DECam CCD, the paper's Table 4 frame.")
@device_option()
@backend_option()
@click.option("--repeats", type=click.IntRange(min=1), default=3, show_default=True,
              help="Timed calls after one warm-up; the median is reported.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the synthetic frame.")
@click.option("--output", type=click.Path(file_okay=False), default="results", show_default=True,
              help="Directory for bench__*.json records.")
@click.option("--isolate/--no-isolate", default=True, show_default=True,
              help="Time each detector in a fresh process so peak memory is its own.")
@click.option("--refresh-peak", is_flag=True,
              help="Measure the machine's FLOP peak again (it is cached per CPU, torch version and threads).")
@click.option("--show", is_flag=True, help="Only print the run-time table of the records in --output.")
def bench(detector_names, detector_args, shape, device, repeats, seed, output, isolate, refresh_peak, show):
    """Time detectors on one synthetic frame and write bench records.

    Records setup time, warm-up, the median of --repeats calls, seconds per
    megapixel, peak memory, threads and the CPU/GPU model, and for torch
    detectors the network's multiply-adds per pixel, the achieved GFLOP/s,
    the machine's measured peak and "x of FLOP bound"; prints the run-time
    table of every record in --output.
    """
    from ..device import resolve_device
    from ..jobs import bench_job
    from ..timing import format_runtime_table, load_bench_records, parse_shape, runtime_table
    from .options import parse_key_values

    try:
        if not show:
            if not detector_names:
                raise click.UsageError("give at least one --detector (or --show to print existing records)")
            frame_shape = parse_shape(shape)
            params = parse_key_values(detector_args)
            resolved = resolve_device(device)
            for name in detector_names:
                click.echo(f"timing {name} on a {shape} frame ({resolved}, {repeats} repeats) ...", err=True)
                record, path = bench_job(
                    name, params=params, shape=frame_shape, device=resolved, repeats=repeats, seed=seed,
                    isolate=isolate, output=output, progress=lambda message: click.echo(f"  {message}", err=True),
                    refresh_peak=refresh_peak,
                )
                bound = ("" if record.flop_bound_ratio is None else
                         f", {record.achieved_gflops:.1f} of {record.peak_gflops:.1f} peak GFLOP/s "
                         f"({record.flop_bound_ratio:.2f} x the FLOP bound)")
                click.echo(
                    f"  {record.median_seconds:.2f} s per frame, {record.seconds_per_megapixel:.2f} s/Mpix{bound} "
                    f"-> {path}",
                    err=True,
                )
        records = load_bench_records([output]) if Path(output).is_dir() else []
    except CRBenchError as err:
        raise click.ClickException(str(err)) from err
    if not records:
        raise click.ClickException(f"no bench records in {output}; run crbench bench --detector NAME first")
    click.echo(format_runtime_table(runtime_table(records)))
