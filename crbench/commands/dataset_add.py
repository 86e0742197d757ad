"""``crbench datasets add``: register labelled FITS files as a data set, without code."""

from pathlib import Path

import click

from .options import header_number_options

__all__ = ["add"]


@click.command()
@click.argument("name")
@click.option("--images", "patterns", multiple=True, required=True,
              help="Image FITS files: a glob pattern (quote it) or a path; repeat for several. Files that are "
                   "another image's mask or ignore file are left out.")
@click.option("--masks", required=True,
              help="Each image's CR mask file (1 = CR, 0 = not), e.g. '{stem}_crmask.fits'; {stem} = file name "
                   "without its FITS suffix, {name} = whole file name; relative to the image's folder.")
@click.option("--ignore", default=None,
              help="Each image's ignore mask (nonzero = excluded from scoring), e.g. '{stem}_bpm.fits'.")
@click.option("--ext", default="0", show_default=True, help="HDU index or name holding the image.")
@click.option("--mask-ext", default="0", show_default=True, help="HDU index or name holding the masks.")
@header_number_options()
@click.option("--units", type=click.Choice(["adu", "electron"]), default="adu", show_default=True,
              help="Units of the image pixels.")
@click.option("--sky-subtracted", is_flag=True, help="State that the images are sky-subtracted.")
@click.option("--truth-dilation", type=click.Choice(["1", "3"]), default="3", show_default=True,
              help="Side of the square the CR masks are dilated with before scoring (1 = masks already dilated).")
@click.option("--family", type=click.Choice(["lco", "decam", "hst", "other"]), default="other", show_default=True,
              help="Instrument family: matched against detectors' training data; lco and decam adopt the "
                   "built-in cards' classical-detector parameters, the others run them at upstream defaults.")
@click.option("--split", default="test", show_default=True, help="The split every image goes to.")
@click.option("--instrument", default=None, help="Instrument name (default: header INSTRUME, lower case).")
@click.option("--description", default=None, help="One line describing the data set.")
@click.option("--card", "card_path", type=click.Path(dir_okay=False), default=None,
              help="Where to write the YAML card, e.g. beside the data (paths then stored relative to it); "
                   "default: the user config folder, found by NAME.")
@click.option("--overwrite", is_flag=True, help="Replace an existing card of the same path.")
def add(name, patterns, masks, ignore, ext, mask_ext, gain, read_noise, saturation, units, sky_subtracted,
        truth_dilation, family, split, instrument, description, card_path, overwrite):
    """Register labelled FITS images as data set NAME (a YAML card with a sha256 manifest).

    Every mask is checked now (present, same shape as its image, only 0 and 1) and the gain, read noise and
    saturation are read from each header. Afterwards 'crbench run --dataset NAME' (card in the config folder)
    or '--dataset path/to/card.yaml' scores detectors on it like any built-in set (docs/own_data.md).
    """
    from ..datasets.user_card import build_user_card, default_card_path, write_user_card
    from ..errors import CRBenchError
    from ..fits_options import HeaderValue, parse_ext

    path = Path(card_path) if card_path else default_card_path(name)
    if path.exists() and not overwrite:
        raise click.ClickException(f"{path} exists; pass --overwrite to replace it (e.g. after changing the files)")
    try:
        content = build_user_card(
            name, images=patterns, masks=masks, ignore=ignore, card_path=path, ext=parse_ext(ext),
            mask_ext=parse_ext(mask_ext),
            gain=HeaderValue.parse("--gain", gain), read_noise=HeaderValue.parse("--read-noise", read_noise),
            saturation=HeaderValue.parse("--saturation", saturation), units=units, sky_subtracted=sky_subtracted,
            truth_dilation=int(truth_dilation), family=family, split=split, instrument=instrument,
            description=description, progress=True,
        )
        write_user_card(path, content, overwrite=overwrite)
    except CRBenchError as err:
        raise click.ClickException(str(err)) from err
    n_files = sum(2 + ("ignore" in entry) for entry in content["samples"].values())
    use = name if not card_path else str(path)
    click.echo(f"{name}: {len(content['samples'])} images ({n_files} files with sha256) -> {path}")
    click.echo(f"run it with: crbench run --detector DETECTOR --dataset {use}")
