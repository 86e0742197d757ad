"""``crbench train``: train a UNet-3-32 model on a data set's train split."""

from pathlib import Path

import click

from .options import device_option, output_option

__all__ = ["train"]

_MODELS = ("deepcr", "att_deepcr", "cosmic_conn", "att_cosmic_conn", "unet", "att_unet", "transunet_small")
_LOSSES = ("bce", "median_bce", "dice_bce")


@click.command()
@click.option("--model", "model_name", type=click.Choice(_MODELS), required=True, help="Architecture to train.")
@click.option("--dataset", "dataset_name", required=True, help="Registry name of the data set (train/val splits).")
@click.option("--size", default=None, help="Size of the data set (small | full).")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Where a real data set lives.")
@click.option("--epochs", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=16, show_default=True)
@click.option("--stamp", type=click.IntRange(min=8), default=256, show_default=True, help="Stamp side (multiple of 4).")
@click.option(
    "--stamps-per-epoch", type=click.IntRange(min=1), default=None, help="Random stamps per epoch [train area / stamp^2]."
)
@click.option("--loss", type=click.Choice(_LOSSES), default="bce", show_default=True)
@click.option("--lr", "learning_rate", type=click.FloatRange(min=0, min_open=True), default=0.005, show_default=True)
@click.option("--alpha-ramp", type=click.FloatRange(0, 1), default=0.5, show_default=True,
              help="median_bce: fraction of the epochs over which the weight floor rises to 1.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many samples per split.")
@click.option("--max-val-stamps", type=click.IntRange(min=0), default=64, show_default=True,
              help="Validate on at most this many stamps of the val split (0 = all).")
@device_option()
@output_option(type=click.Path(dir_okay=False),
               help="Checkpoint path [<model>_<dataset>.pth]; the record goes next to it as .json.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def train(model_name, dataset_name, size, data_dir, epochs, batch_size, stamp, stamps_per_epoch, loss,
          learning_rate, alpha_ramp, seed, limit, max_val_stamps, device, output, quiet):  # fmt: skip
    """Train MODEL on DATASET's train split, validating on its val split.

    Writes a checkpoint loadable as a detector
    (--detector MODEL --detector-args weights=OUT) and a JSON training record.
    """
    from ..datasets import get_dataset_class
    from ..device import resolve_device
    from ..errors import CRBenchError
    from ..training import TrainingConfig, default_command, record_path_for, train_model

    try:
        config = TrainingConfig(
            model=model_name, dataset=dataset_name, dataset_size=size, epochs=epochs, batch_size=batch_size,
            stamp=stamp, stamps_per_epoch=stamps_per_epoch, loss=loss, learning_rate=learning_rate, seed=seed,
            alpha_ramp_fraction=alpha_ramp, limit=limit, max_val_stamps=max_val_stamps or None,
        )  # fmt: skip
    except ValueError as err:
        raise click.UsageError(str(err)) from err
    try:
        dataset = get_dataset_class(dataset_name)(size=size, data_dir=data_dir)
        dataset.check_available()
        resolved_device = resolve_device(device)
    except CRBenchError as err:
        raise click.ClickException(str(err)) from err
    out_path = Path(output) if output else Path(f"{model_name}_{dataset_name}.pth")
    command = default_command(config, out_path, device)
    record = train_model(config, dataset, out=out_path, device=resolved_device, progress=not quiet, command=command)
    best = record["history"][record["best_epoch"] - 1]
    click.echo(
        f"best epoch {record['best_epoch']}/{epochs}: val loss {best['val_loss']:.5f}, val Dice {best['val_dice']:.4f} "
        f"({record['wall_seconds']:.0f} s on {resolved_device})"
    )
    click.echo(f"checkpoint: {out_path}")
    click.echo(f"record:     {record_path_for(out_path)}")
    click.echo(f"use it:     crbench run --detector {model_name} --detector-args weights={out_path} --dataset NAME")
