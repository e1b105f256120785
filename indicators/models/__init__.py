"""Snapshots of computed indicators, and the targets they are compared with."""

from indicators.models.run import EnterpriseFigure, IndicatorRun, IndicatorValue
from indicators.models.target import Target

__all__ = ["EnterpriseFigure", "IndicatorRun", "IndicatorValue", "Target"]
