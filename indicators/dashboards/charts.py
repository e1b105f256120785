"""The charts' data, rendered with json_script; static/js/dashboard.js draws it.

Values go as plain numbers; how to write them goes beside them: ``decimals`` (the unit's, none for
headcounts) for the exact figures of the tooltips, and ``steps`` (万 and 亿, or million and billion) for
the bar labels and axes, which show large figures as the cards do (indicators.dashboards.formatting).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from indicators.choices import Unit
from indicators.dashboards.board import Board
from indicators.dashboards.formatting import UNIT_SHORT, as_float, decimals_of, steps


def _numbers(unit: str) -> dict:
    """How the chart writes its numbers: rates never in steps (they stay under a hundred)."""
    return {
        "decimals": decimals_of(unit),
        "steps": [] if unit == Unit.PERCENT else [s.as_json() for s in steps()],
    }


def comparison_chart(board: Board) -> dict:
    unit = board.indicator.unit
    return {
        "kind": "bars",
        "title": _("%(indicator)s by district, %(period)s")
        % {"indicator": board.indicator.name, "period": board.period.code},
        "unit": str(UNIT_SHORT.get(unit, "")),
        **_numbers(unit),
        "categories": [row.name for row in board.comparison],
        "values": [as_float(row.value) for row in board.comparison],
        "highlight": next((i for i, row in enumerate(board.comparison) if row.highlighted), None),
        "highlightName": _("highlighted: your district")
        if board.district is None
        else _("highlighted: this district"),
        "reference": (
            {"name": board.reference_name, "value": as_float(board.comparison_reference)}
            if board.comparison_reference is not None
            else None
        ),
        "target": (
            {"name": _("City target"), "value": as_float(board.comparison_target)}
            if board.comparison_target is not None
            else None
        ),
        "seriesName": str(board.indicator.name),
    }


def trend_chart(board: Board) -> dict:
    unit = board.indicator.unit
    series = [{"name": board.area_name, "values": [as_float(r.value) for r in board.trend]}]
    if board.district is not None:
        series.append({"name": board.reference_name, "values": [as_float(r.reference) for r in board.trend]})
    targets = [as_float(r.target) for r in board.trend]
    return {
        "kind": "lines",
        "title": _("%(indicator)s, the last %(count)s periods")
        % {"indicator": board.indicator.name, "count": len(board.trend)},
        "unit": str(UNIT_SHORT.get(unit, "")),
        **_numbers(unit),
        "categories": [r.label for r in board.trend],
        "series": series,
        "target": {"name": _("Target"), "values": targets} if any(t is not None for t in targets) else None,
    }
