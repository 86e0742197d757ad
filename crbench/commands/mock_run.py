"""``crbench mock-run NAME``: the detector contract on tiny synthetic data, in seconds."""

import click

from ..errors import CRBenchError
from .options import device_option

__all__ = ["mock_run"]


@click.command("mock-run")
@click.argument("detector_name")
@click.option("--detector-args", default="", help="Detector parameters as k=v,k2=v2 (values read as YAML).")
@device_option()
def mock_run(detector_name, detector_args, device):
    """Check that DETECTOR_NAME honours the detector contract.

    Runs every contract check (metadata, output shape/dtype/range, no input
    mutation, determinism, NaN input, tiny and non-square images, sweep) on
    seeded toy frames and prints one line per check. Exits with status 1 on
    the first failure, printing what went wrong.
    """
    import time

    from ..detectors import get_detector_class
    from ..device import resolve_device
    from ..testing.contract import CONTRACT_CHECKS, build_detector
    from .options import parse_key_values

    try:
        detector_cls = get_detector_class(detector_name)
        params = parse_key_values(detector_args)
        start = time.perf_counter()
        detector = build_detector(detector_cls, device=resolve_device(device), **params)
    except CRBenchError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"{detector.name} {detector.version} ({detector.output_kind}, {detector.input_units})")
    click.echo(f"  {'setup':<12} ok    {time.perf_counter() - start:7.2f} s")
    for check, function in CONTRACT_CHECKS.items():
        start = time.perf_counter()
        try:
            function(detector)
        except AssertionError as err:
            click.echo(f"  {check:<12} FAIL  {time.perf_counter() - start:7.2f} s")
            raise click.ClickException(f"contract check {check!r} failed: {err}") from err
        except Exception as err:  # a crash inside detect() is a contract failure too
            click.echo(f"  {check:<12} ERROR {time.perf_counter() - start:7.2f} s")
            raise click.ClickException(
                f"contract check {check!r} raised {type(err).__name__}: {err}"
            ) from err
        click.echo(f"  {check:<12} ok    {time.perf_counter() - start:7.2f} s")
    click.echo(f"{detector.name}: all {len(CONTRACT_CHECKS)} contract checks passed")
