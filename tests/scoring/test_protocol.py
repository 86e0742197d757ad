import dataclasses

import numpy as np
import pytest

from crbench.commands.run import run as run_command
from crbench.datasets import DatasetCard
from crbench.errors import InputError
from crbench.scoring import (
    DEFAULT_PROTOCOL,
    IGNORE_POLICIES,
    OUTPUT_DILATION,
    PixelProtocol,
    PositiveScores,
    SweepCounts,
    ThresholdCounts,
    prepare_pixels,
    score_images,
)
from crbench.scoring import protocol as protocol_module


def test_defaults_and_derived_values():
    assert DEFAULT_PROTOCOL == PixelProtocol(truth_dilation=3, dilate_output=False, ignore_policy="exclude")
    assert PixelProtocol().output_dilation == 1
    assert PixelProtocol(dilate_output=True).output_dilation == OUTPUT_DILATION == 3
    assert PixelProtocol().excludes_ignored
    assert not PixelProtocol(ignore_policy="negative").excludes_ignored


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"truth_dilation": 2}, "odd"),
        ({"truth_dilation": 0}, "odd integer >= 1"),
        ({"truth_dilation": -3}, "odd integer >= 1"),
        ({"truth_dilation": 3.0}, "odd integer >= 1"),
        ({"truth_dilation": "3"}, "odd integer >= 1"),
        ({"truth_dilation": True}, "odd integer >= 1"),
        ({"dilate_output": 1}, "dilate_output must be True or False"),
        ({"dilate_output": "yes"}, "dilate_output must be True or False"),
        ({"ignore_policy": "drop"}, "ignore_policy must be one of"),
        ({"ignore_policy": None}, "ignore_policy must be one of"),
    ],
)
def test_invalid_protocols_are_rejected_with_the_fix(kwargs, message):
    with pytest.raises(InputError, match=message):
        PixelProtocol(**kwargs)


def test_numpy_scalars_are_accepted_and_normalised():
    protocol = PixelProtocol(truth_dilation=np.int64(5), dilate_output=np.bool_(True))
    assert protocol == PixelProtocol(truth_dilation=5, dilate_output=True)
    assert hash(protocol) == hash(PixelProtocol(truth_dilation=5, dilate_output=True))
    assert type(protocol.truth_dilation) is int and type(protocol.dilate_output) is bool


def test_protocol_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        PixelProtocol().truth_dilation = 5


def test_every_scorer_takes_the_protocol_object_only():
    truth = np.zeros((4, 4), bool)
    scores = np.zeros((4, 4), np.float32)
    options = {"truth_dilation": 3}
    with pytest.raises(TypeError, match="PixelProtocol"):
        PositiveScores.from_image(truth, None, scores, protocol=options)
    grid = PositiveScores.empty().grid()
    with pytest.raises(TypeError, match="PixelProtocol"):
        ThresholdCounts.from_image(truth, None, scores, grid=grid, protocol=options)
    with pytest.raises(TypeError, match="PixelProtocol"):
        SweepCounts.from_image(truth, None, truth, values=[1.0], protocol=options)
    with pytest.raises(TypeError):
        score_images([(truth, None, scores, "a")], truth_dilation=3)  # the old keyword options are gone
    with pytest.raises(TypeError):
        prepare_pixels(truth, None, scores, ignore_policy="negative")


def test_ignore_policies_are_defined_once():
    assert protocol_module.IGNORE_POLICIES is IGNORE_POLICIES
    run_option = next(p for p in run_command.params if p.name == "ignore_policy")
    assert tuple(run_option.type.choices) == IGNORE_POLICIES
    with pytest.raises(InputError, match=r"card 'x': ignore_policy must be one of \('exclude', 'negative', 'zero'\)"):
        DatasetCard(name="x", version="1", family="x", description="", instrument="x", ignore_policy="maybe")
    with pytest.raises(InputError, match="card 'x': truth_dilation must be odd"):
        DatasetCard(name="x", version="1", family="x", description="", instrument="x", truth_dilation=4)


def test_card_builds_the_protocol_of_a_detector():
    card = DatasetCard(name="x", version="1", family="x", description="", instrument="x", truth_dilation=5,
                       ignore_policy="negative")
    assert card.pixel_protocol(dilate_output=True) == PixelProtocol(5, True, "negative")
    assert card.pixel_protocol(dilate_output=False, ignore_policy="exclude") == PixelProtocol(5, False, "exclude")
