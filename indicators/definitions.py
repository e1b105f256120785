"""Every indicator, defined in one place: what it counts, over what, in which unit, and how to read it.

An indicator is a ratio or a plain figure of two counts that the sources (indicators/sources.py)
compute per district in one pass. Adding an indicator means adding one definition here; a new
kind of count means adding it to one source, never editing the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from indicators.choices import Kind, Unit

FOUR_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Indicator:
    code: str
    name: Promise
    unit: str
    kind: str
    numerator: str
    denominator: str | None = None
    higher_is_better: bool = True
    explanation: Promise | str = ""

    def value_of(self, numerator: Decimal, denominator: Decimal | None) -> Decimal | None:
        """The figure shown; None ("no value") when a ratio has nothing to divide by."""
        if self.denominator is None:
            return Decimal(numerator).quantize(FOUR_PLACES)
        if not denominator:
            return None
        scale = 100 if self.unit == Unit.PERCENT else 1
        return (Decimal(numerator) * scale / Decimal(denominator)).quantize(
            FOUR_PLACES, rounding=ROUND_HALF_UP
        )


INDICATORS: dict[str, Indicator] = {}


def register(indicator: Indicator) -> Indicator:
    if indicator.code in INDICATORS:
        raise ValueError(f"indicator {indicator.code} is defined twice")
    INDICATORS[indicator.code] = indicator
    return indicator


register(
    Indicator(
        code="skilled_workers",
        name=_("Skilled workers"),
        unit=Unit.COUNT,
        kind=Kind.STOCK,
        numerator="skilled",
        explanation=_(
            "Employed workers whose highest certificate valid on the period's last day is junior worker (初级工) or above."
        ),
    )
)
register(
    Indicator(
        code="high_skill_talents",
        name=_("High-skill talents"),
        unit=Unit.COUNT,
        kind=Kind.STOCK,
        numerator="high_skill",
        explanation=_(
            "Employed workers whose highest valid certificate is senior worker (高级工) or above, on the period's last day."
        ),
    )
)
register(
    Indicator(
        code="high_skill_ratio",
        name=_("High-skill ratio"),
        unit=Unit.PERCENT,
        kind=Kind.STOCK,
        numerator="high_skill",
        denominator="skilled",
        explanation=_("High-skill talents as a share of skilled workers, on the period's last day."),
    )
)
register(
    Indicator(
        code="training_person_times",
        name=_("Training person-times"),
        unit=Unit.COUNT,
        kind=Kind.FLOW,
        numerator="enrollments",
        explanation=_(
            "Enrolments whose enrolment date falls in the period; one enrolment is one person-time."
        ),
    )
)
register(
    Indicator(
        code="subsidy_paid",
        name=_("Training subsidies paid"),
        unit=Unit.YUAN,
        kind=Kind.FLOW,
        numerator="subsidy_paid",
        explanation=_(
            "Skill subsidies and apprenticeship stipends paid in the period (payments the bank returned are not counted)."
        ),
    )
)
register(
    Indicator(
        code="tuition_reimbursed",
        name=_("Tuition reimbursed"),
        unit=Unit.YUAN,
        kind=Kind.FLOW,
        numerator="tuition_paid",
        explanation=_("Tuition reimbursements paid in the period."),
    )
)
register(
    Indicator(
        code="apprenticeships_active",
        name=_("Active apprenticeships"),
        unit=Unit.COUNT,
        kind=Kind.STOCK,
        numerator="apprenticeships_active",
        explanation=_("Master-apprentice pairs whose agreement runs on the period's last day."),
    )
)
register(
    Indicator(
        code="craftsmen",
        name=_("Craftsmen"),
        unit=Unit.COUNT,
        kind=Kind.STOCK,
        numerator="craftsmen",
        explanation=_("Employed workers holding any craftsman title awarded by the period's year."),
    )
)
register(
    Indicator(
        code="mediation_committee_rate",
        name=_("Mediation committee formation rate"),
        unit=Unit.PERCENT,
        kind=Kind.STOCK,
        numerator="union_above_scale_with_committee",
        denominator="union_above_scale",
        explanation=_(
            "Above-scale enterprises with a union that have their own labour-dispute mediation committee on the "
            "period's last day, as a share of all above-scale enterprises with a union."
        ),
    )
)
register(
    Indicator(
        code="mediation_closure_rate",
        name=_("Transferred-case closure rate"),
        unit=Unit.PERCENT,
        kind=Kind.FLOW,
        numerator="transferred_agreed",
        denominator="transferred_accepted",
        explanation=_(
            "Cases transferred by an arbitration commission or a court and accepted in the period that were "
            "closed by a mediation agreement, as a share of all transferred cases accepted in the period."
        ),
    )
)
register(
    Indicator(
        code="mediation_on_time_rate",
        name=_("Mediated within the time limit"),
        unit=Unit.PERCENT,
        kind=Kind.FLOW,
        numerator="mediated_on_time",
        denominator="mediated_concluded",
        explanation=_(
            "Cases concluded in the period by agreement or failure (withdrawn ones not counted) by their due "
            "date, as a share of all cases so concluded in the period."
        ),
    )
)
