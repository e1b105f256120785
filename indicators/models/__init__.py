"""Snapshots of computed indicators, and the targets they are compared with."""

from indicators.models.run import IndicatorRun, IndicatorValue
from indicators.models.target import Target

__all__ = ["IndicatorRun", "IndicatorValue", "Target"]
