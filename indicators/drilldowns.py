"""Drill-downs: the records of one district and period behind a dashboard number, scoped and filterable.

Each drill-down is a definition (the indicator whose card links to it, its columns, its filter form)
and a selector that takes the user and returns a scoped, index-friendly queryset; the page paginates
it and the exports write the same rows. Personal data leaves here masked, never in full.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.db.models import F, FloatField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Cast, NullIf
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from indicators.models import EnterpriseFigure, IndicatorRun
from indicators.periods import Period
from portal.access import restrict
from portal.models import District
from portal.numbers import grouped
from workers.choices import SizeBand
from workers.models import Enterprise

#: Exports write at most this many rows (the lists are a district's, so this is rarely reached).
EXPORT_LIMIT = 5000
PER_PAGE = 25


@dataclass(frozen=True)
class Column:
    label: Promise
    kind: str = "text"  # text, int, percent, decimal, date, bool


@dataclass(frozen=True)
class Drilldown:
    slug: str
    indicator: str
    title: Promise
    explanation: Promise
    columns: tuple[Column, ...]
    form_class: type[forms.Form]
    rows: Callable[..., QuerySet]
    cells: Callable[[object], list]
    needs_run: bool = False
    personal_data: bool = False


DRILLDOWNS: dict[str, Drilldown] = {}


def register(drilldown: Drilldown) -> Drilldown:
    DRILLDOWNS[drilldown.slug] = drilldown
    return drilldown


def drilldown_slugs_by_indicator() -> dict[str, str]:
    return {d.indicator: d.slug for d in DRILLDOWNS.values()}


class NameFilterForm(forms.Form):
    name = forms.CharField(label=_("Enterprise name starts with"), required=False, max_length=100, strip=True)


# --- High-skill share: enterprises ranked from the run's per-enterprise figures --------------------------


class HighSkillFilterForm(NameFilterForm):
    min_skilled = forms.IntegerField(
        label=_("At least this many skilled workers"),
        required=False,
        min_value=1,
        max_value=1_000_000,
        help_text=_("Enterprises without skilled workers have no share and are left out."),
    )
    order = forms.ChoiceField(
        label=_("Rank by"),
        required=False,
        choices=[("share", _("High-skill share")), ("count", _("Number of high-skill talents"))],
    )


def high_skill_enterprises(
    user, *, district: District, run: IndicatorRun, name: str = "", min_skilled: int | None = None, order=""
) -> QuerySet:
    """The district's enterprises in the run, best high-skill share first (the (run, district) index)."""
    figures = EnterpriseFigure.objects.filter(run=run, district=district, skilled__gte=min_skilled or 1)
    if name:
        figures = figures.filter(enterprise__name__startswith=name)
    figures = (
        restrict(figures, user)
        .select_related("enterprise")
        .only(
            "pk",
            "employed",
            "skilled",
            "high_skill",
            "district_id",
            "enterprise__id",
            "enterprise__name",
            "enterprise__credit_code",
            "enterprise__above_scale",
        )
        .annotate(share=Cast("high_skill", FloatField()) * 100.0 / NullIf(F("skilled"), 0))
    )
    if order == "count":
        return figures.order_by("-high_skill", "enterprise_id")
    return figures.order_by(F("share").desc(nulls_last=True), "-high_skill", "enterprise_id")


def _high_skill_cells(figure) -> list:
    share = Decimal(str(round(figure.share, 1))) if figure.share is not None else None
    e = figure.enterprise
    return [e.name, e.credit_code, e.above_scale, figure.employed, figure.skilled, figure.high_skill, share]


register(
    Drilldown(
        slug="high-skill",
        indicator="high_skill_ratio",
        title=_("Enterprises ranked by high-skill share"),
        explanation=_(
            "The district's enterprises with skilled workers on the period's last day, ranked by the share of "
            "high-skill talents among their skilled workers, from the figures of the run shown."
        ),
        columns=(
            Column(_("enterprise")),
            Column(_("unified social credit code")),
            Column(_("above designated scale"), "bool"),
            Column(_("employed workers"), "int"),
            Column(_("skilled workers"), "int"),
            Column(_("high-skill talents"), "int"),
            Column(_("high-skill share (%)"), "percent"),
        ),
        form_class=HighSkillFilterForm,
        rows=lambda user, *, district, period, run, filters: high_skill_enterprises(
            user, district=district, run=run, **filters
        ),
        cells=_high_skill_cells,
        needs_run=True,
    )
)


# --- Committee formation rate: above-scale unionised enterprises without a committee ----------------------


class NoCommitteeFilterForm(NameFilterForm):
    size = forms.ChoiceField(
        label=_("size"), required=False, choices=[("", _("All sizes")), *SizeBand.choices]
    )


def enterprises_without_committee(
    user, *, district: District, period: Period, name: str = "", size: str = ""
) -> QuerySet:
    """Above-scale enterprises of the district with a union by the period's last day (today, for a period
    not over yet) and no enterprise mediation committee existing that day (the (district, above_scale)
    index, one EXISTS probe each)."""
    from mediation.choices import CommitteeKind
    from mediation.models import MediationCommittee
    from mediation.selectors import enterprise_committee_exists

    day = state_day(period)
    enterprises = Enterprise.objects.filter(
        district=district, above_scale=True, union_established_on__lte=day
    ).filter(~enterprise_committee_exists(day))
    if name:
        enterprises = enterprises.filter(name__startswith=name)
    if size:
        enterprises = enterprises.filter(size_band=size)
    dissolved = (
        MediationCommittee.objects.filter(
            enterprise=OuterRef("pk"), kind=CommitteeKind.ENTERPRISE, dissolved_on__lte=day
        )
        .order_by("-dissolved_on")
        .values("dissolved_on")[:1]
    )
    return (
        restrict(enterprises, user)
        .only("pk", "name", "credit_code", "size_band", "union_established_on", "pilot_level", "district_id")
        .annotate(committee_dissolved_on=Subquery(dissolved))
        .order_by("name", "pk")
    )


def _no_committee_cells(enterprise) -> list:
    return [
        enterprise.name,
        enterprise.credit_code,
        enterprise.get_size_band_display(),
        enterprise.union_established_on,
        enterprise.get_pilot_level_display(),
        enterprise.committee_dissolved_on,
    ]


register(
    Drilldown(
        slug="no-committee",
        indicator="mediation_committee_rate",
        title=_("Unionised above-scale enterprises without a mediation committee"),
        explanation=_(
            "Above-scale enterprises of the district that had a union on the period's last day but no "
            "labour-dispute mediation committee of their own that day."
        ),
        columns=(
            Column(_("enterprise")),
            Column(_("unified social credit code")),
            Column(_("size")),
            Column(_("union established on"), "date"),
            Column(_("reform pilot")),
            Column(_("former committee dissolved on"), "date"),
        ),
        form_class=NoCommitteeFilterForm,
        rows=lambda user, *, district, period, run, filters: enterprises_without_committee(
            user, district=district, period=period, **filters
        ),
        cells=_no_committee_cells,
    )
)


# --- Transferred-case closure rate: transferred cases accepted in the period, not closed by agreement ------


OPEN, FAILED, WITHDRAWN = "open", "failed", "withdrawn"


class OpenTransfersFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("state"),
        required=False,
        choices=[
            ("", _("All not closed by agreement")),
            (OPEN, _("Still being mediated")),
            (FAILED, _("Mediation failed (including referred to arbitration or court)")),
            (WITHDRAWN, _("Withdrawn or not accepted")),
        ],
    )
    source = forms.ChoiceField(label=_("source"), required=False, choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from mediation.choices import TRANSFERRED_SOURCES

        self.fields["source"].choices = [
            ("", _("Arbitration and courts")),
            *((s.value, s.label) for s in TRANSFERRED_SOURCES),
        ]


def transferred_cases_not_closed(
    user, *, district: District, period: Period, state: str = "", source: str = ""
) -> QuerySet:
    """Cases transferred by arbitration or a court, accepted in the period, not closed by a mediation
    agreement (the (district, accepted_on) index), oldest acceptance first."""
    from mediation.choices import MEDIATED_TO_AN_END, OPEN_STATUSES, TRANSFERRED_SOURCES, CaseStatus
    from mediation.models import DisputeCase
    from mediation.selectors import applicants_prefetch

    cases = DisputeCase.objects.filter(
        district=district,
        source__in=[s.value for s in TRANSFERRED_SOURCES],
        accepted_on__gte=period.start,
        accepted_on__lte=period.end,
    ).exclude(status=CaseStatus.AGREEMENT)
    if state == OPEN:
        cases = cases.filter(status__in=[s.value for s in OPEN_STATUSES])
    elif state == FAILED:
        cases = cases.filter(status__in=[s.value for s in MEDIATED_TO_AN_END if s != CaseStatus.AGREEMENT])
    elif state == WITHDRAWN:
        cases = cases.filter(status__in=[CaseStatus.WITHDRAWN, CaseStatus.REJECTED])
    if source:
        cases = cases.filter(source=source)
    return (
        restrict(cases, user)
        .select_related("enterprise")
        .only(
            "pk",
            "number",
            "source",
            "status",
            "received_on",
            "accepted_on",
            "due_on",
            "concluded_on",
            "district_id",
            "enterprise__id",
            "enterprise__name",
        )
        .prefetch_related(applicants_prefetch())
        .order_by("accepted_on", "pk")
    )


def masked_applicants(case) -> str:
    """Names with masked ID numbers (330206********123X): never a full number, whoever reads the list."""
    return "、".join(f"{w.name}（{w.id_number_masked}）" for w in case.applicants.all())


def _open_transfer_cells(case) -> list:
    return [
        case.number,
        case.enterprise.name,
        case.get_source_display(),
        case.accepted_on,
        case.due_on,
        case.get_status_display(),
        case.concluded_on,
        masked_applicants(case),
    ]


register(
    Drilldown(
        slug="open-transfers",
        indicator="mediation_closure_rate",
        title=_("Transferred cases not closed by agreement"),
        explanation=_(
            "Cases transferred to mediation by an arbitration commission or a court, accepted in the period, "
            "that have not ended in a mediation agreement: still being mediated, failed, or withdrawn."
        ),
        columns=(
            Column(_("case number")),
            Column(_("enterprise")),
            Column(_("source")),
            Column(_("accepted on"), "date"),
            Column(_("due on"), "date"),
            Column(_("status")),
            Column(_("concluded on"), "date"),
            Column(_("applicants (ID numbers masked)")),
        ),
        form_class=OpenTransfersFilterForm,
        rows=lambda user, *, district, period, run, filters: transferred_cases_not_closed(
            user, district=district, period=period, **filters
        ),
        cells=_open_transfer_cells,
        personal_data=True,
    )
)


# --- Display ---------------------------------------------------------------------------------------------


def state_day(period: Period, today: datetime.date | None = None) -> datetime.date:
    """The day whose state a list of records gives: the period's last day, or today while it lasts."""
    return min(period.end, today or timezone.localdate())


def situation(drilldown: Drilldown, period: Period, run: IndicatorRun | None) -> str:
    """Which day the list describes, in words; never a day still to come as if it had been."""
    today = timezone.localdate()
    if drilldown.needs_run:
        if run is None or run.finished_at is None:
            return ""
        computed = timezone.localdate(run.finished_at)
        if period.end <= computed:
            return ""
        return gettext(
            "The period has not ended: these are the figures as of the computation on %(date)s, "
            "not those of its last day (%(end)s)."
        ) % {"date": computed.isoformat(), "end": period.end.isoformat()}
    if period.end > today:
        return gettext(
            "The records as they stand now, as of today (%(date)s); the period runs until %(end)s. "
            "The dashboard's figure comes from the last computation and may differ by what was recorded since."
        ) % {"date": today.isoformat(), "end": period.end.isoformat()}
    return gettext(
        "The records as they stand now, for the situation on %(date)s; the dashboard's figure comes from "
        "the last computation and may differ by what was recorded since."
    ) % {"date": period.end.isoformat()}


def describe_filters(form: forms.Form, filters: dict) -> list[str]:
    """The filters applied, as "label: value" in the form's words (a choice by its label)."""
    described = []
    for name, value in filters.items():
        field = form.fields[name]
        if isinstance(field, forms.ChoiceField):
            value = dict(field.choices).get(value, value)
        elif isinstance(value, int) and not isinstance(value, bool):
            value = grouped(value)
        described.append(gettext("%(label)s: %(value)s") % {"label": field.label, "value": value})
    return described


def display_cell(value, kind: str) -> str:
    """A cell as the page shows it; exports write the raw value with a number format instead."""
    if value is None or value == "":
        return "—"
    if kind == "bool":
        return str(_("yes") if value else _("no"))
    if kind == "date" and isinstance(value, datetime.date):
        return value.isoformat()
    if kind == "int":
        return grouped(value)
    if kind == "percent":
        return grouped(value, 1)
    if kind == "decimal":
        return grouped(value, 2)
    return str(value)
