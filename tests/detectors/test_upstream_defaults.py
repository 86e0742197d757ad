import dataclasses
import inspect

import astroscrappy
import lacosmic
import pytest

from crbench.datasets.tiny import TinyDataset
from crbench.detectors import get_detector_class
from crbench.detectors.upstream_defaults import parameter_source, protocol_or_upstream, upstream_defaults
from crbench.jobs.build import build_detector
from crbench.runner import run_detector
from crbench.uncertainty import BootstrapSettings


def test_astroscrappy_defaults_are_the_installed_signature_not_crbench_decam_ones():
    defaults = upstream_defaults("astroscrappy")
    signature = inspect.signature(astroscrappy.detect_cosmics).parameters
    adapter = get_detector_class("astroscrappy").default_params
    assert set(defaults) == set(adapter) & set(signature)  # every shared parameter, nothing else
    assert all(defaults[name] == signature[name].default for name in defaults)
    assert (defaults["sigclip"], defaults["sigfrac"], defaults["objlim"]) != (adapter["sigclip"], adapter["sigfrac"],
                                                                             adapter["objlim"])
    assert "gain" not in defaults and "verbose" not in defaults  # from the sample's metadata / not an adapter option


def test_lacosmic_has_no_upstream_thresholds_and_the_note_says_so():
    signature = inspect.signature(lacosmic.remove_cosmics).parameters
    defaults = upstream_defaults("lacosmic")
    assert defaults == {name: signature[name].default for name in ("maxiter", "border_mode")}
    source = parameter_source("lacosmic")
    assert source["kept_adapter_defaults"] == ["contrast", "cr_threshold", "neighbor_threshold"]
    assert "upstream has no default for contrast, cr_threshold, neighbor_threshold" in source["note"]


def test_one_rule_card_parameters_win_then_upstream_for_classical_detectors_only():
    assert protocol_or_upstream("astroscrappy", {"objlim": 2.0}) == ({"objlim": 2.0}, None)
    assert protocol_or_upstream("deepcr", {}) == ({}, None)
    assert upstream_defaults("oracle") is None
    protocol, source = protocol_or_upstream("astroscrappy", {}, user_params={"sigclip"})
    assert protocol == upstream_defaults("astroscrappy")
    assert "sigclip" not in source["params"] and source["user_params"] == ["sigclip"]


class _TinyWithoutParameters(TinyDataset):
    card = dataclasses.replace(TinyDataset.card, name="tiny_bare", detector_params={})


@pytest.mark.parametrize(("dataset_cls", "sigclip", "noted"), [(_TinyWithoutParameters, 4.5, True),
                                                              (TinyDataset, 4.5, False)])
def test_runner_applies_upstream_defaults_only_without_card_parameters(dataset_cls, sigclip, noted):
    detector = build_detector("astroscrappy", {"sweep": [4.0, 8.0]})
    result = run_detector(detector, dataset_cls(), limit=1, progress=False, object_scores=False,
                          bootstrap=BootstrapSettings(n_resamples=0))
    assert result.detector_info["params"]["sigclip"] == sigclip
    # tiny's card states objlim 2; without card parameters upstream's 5 applies (crbench's own default is 1)
    assert result.detector_info["params"]["objlim"] == (5.0 if noted else 2.0)
    assert ("parameter_source" in result.detector_info) is noted
