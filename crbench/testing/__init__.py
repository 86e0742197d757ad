"""Helpers for testing detectors: the reusable detector contract suite."""

from .contract import CONTRACT_CHECKS, check_detector_contract, contract_cases, run_contract_check

__all__ = ["CONTRACT_CHECKS", "check_detector_contract", "contract_cases", "run_contract_check"]
