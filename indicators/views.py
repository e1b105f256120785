"""The dashboard pages: the city overview, a district's page, drill-downs to the records, their exports,
and city staff's "recompute now"."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from indicators import exports
from indicators.dashboards.board import board_for, chosen_indicator
from indicators.dashboards.cache import BOARD_CACHE_SECONDS, snapshot_version, targets_version
from indicators.dashboards.charts import comparison_chart, trend_chart
from indicators.dashboards.periods import (
    default_period,
    following,
    period_groups,
    period_label,
    periods_with_snapshots,
)
from indicators.definitions import INDICATORS
from indicators.drilldowns import (
    DRILLDOWNS,
    EXPORT_LIMIT,
    PER_PAGE,
    describe_filters,
    display_cell,
    drilldown_slugs_by_indicator,
    situation,
)
from indicators.models import IndicatorRun
from indicators.periods import Period
from indicators.selectors import latest_run
from portal.access import scope_for
from portal.jobs import JobNotQueued
from portal.models import District
from portal.views import role_required, sees_dashboards

FORMATS = ("xlsx", "csv")
NUMERIC = ("int", "percent", "decimal")


def _chosen_period(request: HttpRequest, available: set[str]) -> tuple[Period, str]:
    """The period asked for, or the default one and why the asked one could not be shown."""
    code = (request.GET.get("period") or "").strip()
    if code:
        try:
            return Period.parse(code), ""
        except ValueError as exc:
            return default_period(available, timezone.localdate()), str(exc)
    return default_period(available, timezone.localdate()), ""


def _query(**params) -> str:
    return "?" + urlencode({k: v for k, v in params.items() if v})


def _provisional_until(period: Period) -> datetime.date | None:
    """Until when late records still change the period's figures (the nightly recomputation's grace)."""
    closes = period.end + datetime.timedelta(days=settings.INDICATOR_GRACE_DAYS)
    return closes if timezone.localdate() <= closes else None


def _board_page(request: HttpRequest, district: District | None) -> HttpResponse:
    scope = scope_for(request.user)
    version = snapshot_version()
    available = periods_with_snapshots(version)
    period, period_error = _chosen_period(request, available)
    indicator = chosen_indicator(request.GET.get("indicator"))
    drillable = district is not None and scope.covers_district(district.pk)
    viewer_district = scope.district_id if not scope.is_city else None
    slugs = drilldown_slugs_by_indicator() if drillable else {}

    # Computed only when the cached board (templates: {% cache %}) has expired or is stale.
    board = SimpleLazyObject(
        lambda: board_for(
            period=period,
            district=district,
            indicator_code=indicator.code,
            viewer_district_id=viewer_district,
            drilldowns=slugs,
        )
    )

    here = (
        reverse("dashboard-district", args=[district.code]) if district is not None else reverse("dashboard")
    )
    query = {"period": period.code, "indicator": indicator.code}
    own_page = None
    if viewer_district and (district is None or district.pk != viewer_district):
        own_page = reverse("dashboard-district", args=[request.user.district.code]) + _query(**query)
    provisional_until = _provisional_until(period)
    board_key = ":".join(
        str(part)
        for part in (
            version, targets_version(), translation.get_language(), timezone.localdate(), period.code,
            indicator.code, district.code if district else "city", viewer_district, drillable,
            request.user.is_staff, provisional_until,
        )
    )  # fmt: skip
    context = {
        "board": board,
        "board_key": board_key,
        "board_cache_seconds": BOARD_CACHE_SECONDS,
        "indicator": indicator,
        "district": district,
        "period": period,
        "period_label": period_label(period),
        "period_error": period_error,
        "period_groups": period_groups(available, timezone.localdate(), period),
        "previous_link": here + _query(period=period.previous().code, indicator=indicator.code),
        # No way into periods that have not begun: they can have no figures.
        "next_link": (
            here + _query(period=following(period).code, indicator=indicator.code)
            if following(period).start <= timezone.localdate()
            else ""
        ),
        "previous_label": period_label(period.previous()),
        "next_label": period_label(following(period)),
        "indicator_choices": [(i.code, i.name) for i in INDICATORS.values()],
        "comparison_chart": lambda: comparison_chart(board) if board.run else None,
        "trend_chart": lambda: trend_chart(board) if board.run else None,
        "query": _query(**query),
        "period_query": _query(period=period.code),
        "drillable": drillable,
        "drilldowns": list(DRILLDOWNS.values()) if drillable else [],
        "own_page": own_page,
        "provisional_until": provisional_until,
        "is_city_staff": scope.is_city,
        "recompute_run": _asked_run(request) if scope.is_city else None,
    }
    template = "indicators/district.html" if district is not None else "indicators/city.html"
    return render(request, template, context)


def _asked_run(request: HttpRequest) -> IndicatorRun | None:
    """The run a "recompute now" started (``?run=``), whose status the board shows to city staff."""
    asked = request.GET.get("run", "")
    if not asked.isdigit():
        return None
    return IndicatorRun.objects.filter(pk=int(asked)).only("pk", "period", "status").first()


@never_cache
@role_required(sees_dashboards)
def city_page(request: HttpRequest) -> HttpResponse:
    return _board_page(request, None)


@never_cache
@role_required(sees_dashboards)
def district_page(request: HttpRequest, code: str) -> HttpResponse:
    # Every official may compare districts' aggregates; only the records behind them are scoped.
    return _board_page(request, get_object_or_404(District, code=code))


def _board_export(request: HttpRequest, district: District | None, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    scope = scope_for(request.user)
    period, _error = _chosen_period(request, periods_with_snapshots())
    board = board_for(
        period=period,
        district=district,
        indicator_code=request.GET.get("indicator"),
        viewer_district_id=scope.district_id,
    )
    if board.run is None:
        raise Http404
    return exports.response(exports.board_report(board, portal_name=str(settings.PORTAL_NAME)), fmt)


@never_cache
@role_required(sees_dashboards)
def city_export(request: HttpRequest, fmt: str) -> HttpResponse:
    return _board_export(request, None, fmt)


@never_cache
@role_required(sees_dashboards)
def district_export(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    return _board_export(request, get_object_or_404(District, code=code), fmt)


@never_cache
@require_POST
@role_required(sees_dashboards)
def recompute(request: HttpRequest) -> HttpResponse:
    """City staff queue a run of the shown period through the engine's task and come back to the board,
    which shows the run's status; anyone else gets the 403 page."""
    if not scope_for(request.user).is_city:
        return render(request, "portal/forbidden.html", status=403)
    district = District.objects.filter(code=request.POST.get("district", "")).first()
    indicator = request.POST.get("indicator", "")
    here = reverse("dashboard-district", args=[district.code]) if district else reverse("dashboard")
    try:
        period = Period.parse(request.POST.get("period", ""))
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect(here)
    back = here + _query(period=period.code, indicator=indicator if indicator in INDICATORS else "")
    if period.start > timezone.localdate():
        messages.error(
            request, _("%(period)s has not begun: there is nothing to compute yet.") % {"period": period.code}
        )
        return redirect(back)
    from indicators.tasks import period_compute_async

    try:
        run = period_compute_async(period=period, user=request.user)
    except JobNotQueued:
        messages.error(request, _("The computation could not be queued: the background service is down."))
        return redirect(back)
    return redirect(f"{back}&run={run.pk}")


def _drilldown_rows(request: HttpRequest, code: str, slug: str, available: set[str]):
    """The drill-down, district, period, run, filter form and rows; a district outside the scope is a 404.

    Only a list ranked from a snapshot has a run; the others show the records as they stand now."""
    drilldown = DRILLDOWNS.get(slug)
    if drilldown is None:
        raise Http404
    district = get_object_or_404(District, code=code)
    if not scope_for(request.user).covers_district(district.pk):
        # Aggregates of other districts are open to every official; their records are not.
        raise Http404
    period, period_error = _chosen_period(request, available)
    run = latest_run(period.code) if drilldown.needs_run else None
    form = drilldown.form_class(request.GET or None)
    filters = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")} if form.is_valid() else {}
    rows = None
    if run is not None or not drilldown.needs_run:
        rows = drilldown.rows(request.user, district=district, period=period, run=run, filters=filters)
    return drilldown, district, period, period_error, run, form, filters, rows


@never_cache
@role_required(sees_dashboards)
def drilldown_page(request: HttpRequest, code: str, slug: str) -> HttpResponse:
    available = periods_with_snapshots()
    drilldown, district, period, period_error, run, form, _filters, rows = _drilldown_rows(
        request, code, slug, available
    )
    page = None
    table = []
    if rows is not None:
        page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
        kinds = [c.kind for c in drilldown.columns]
        table = [
            (
                page.start_index() + i,
                [display_cell(v, k) for v, k in zip(drilldown.cells(obj), kinds, strict=True)],
            )
            for i, obj in enumerate(page.object_list)
        ]
    params = request.GET.copy()
    params.pop("page", None)
    params["period"] = period.code
    context = {
        "drilldown": drilldown,
        "district": district,
        "period": period,
        "period_label": period_label(period),
        "period_error": period_error,
        "period_groups": period_groups(available, timezone.localdate(), period),
        "run": run,
        "situation": situation(drilldown, period, run),
        "form": form,
        "page": page,
        "table": table,
        "filter_query": "?" + params.urlencode(),
        "columns": [(c.label, c.kind in NUMERIC) for c in drilldown.columns],
        "numeric_columns": {i for i, c in enumerate(drilldown.columns) if c.kind in NUMERIC},
        "board_link": reverse("dashboard-district", args=[district.code])
        + _query(
            period=period.code, indicator=drilldown.indicator if drilldown.indicator in INDICATORS else ""
        ),
    }
    return render(request, "indicators/drilldown.html", context)


@never_cache
@role_required(sees_dashboards)
def drilldown_export(request: HttpRequest, code: str, slug: str, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    drilldown, district, period, _error, run, form, filters, rows = _drilldown_rows(
        request, code, slug, periods_with_snapshots()
    )
    if rows is None:
        raise Http404
    objects = list(rows[: EXPORT_LIMIT + 1])
    truncated = len(objects) > EXPORT_LIMIT
    report = exports.drilldown_report(
        drilldown,
        district=district,
        period=period,
        run=run,
        rows=[drilldown.cells(obj) for obj in objects[:EXPORT_LIMIT]],
        truncated=truncated,
        filters=describe_filters(form, filters),
        situation=situation(drilldown, period, run),
    )
    return exports.response(report, fmt)
