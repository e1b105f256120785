"""The audit review page: the audit log, filtered, scoped, exported, each event linked to its record."""

import datetime
import re
from typing import TYPE_CHECKING

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.access import as_scope, restrict
from portal.admin.filters import InputFilter, ScopedDistrictFilter
from portal.admin.importexport import ImportExportMixin
from portal.admin.mixins import ScopedAdminMixin
from portal.audit import ACTION_FAMILIES, family_label
from portal.audit_labels import action_label, detail_rows
from portal.choices import STAFF_ROLES
from portal.models import AuditEvent, User
from portal.paginator import EstimatedCountPaginator
from portal.resources import AuditEventResource
from portal.selectors import audit_actions_recorded

if TYPE_CHECKING:
    from django.contrib.admin.views.main import ChangeList as _ChangeListBase
    from django_stubs_ext import StrOrPromise
else:
    _ChangeListBase = object

# --- The audit review page ------------------------------------------------------------------------------


class ActionFilter(admin.SimpleListFilter):
    """Actions grouped by family: "all claim actions", then each claim action, and so on."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        by_family: dict[str, list[str]] = {}
        for action in audit_actions_recorded():
            by_family.setdefault(action.split(".", 1)[0], []).append(action)
        order = {family: n for n, family in enumerate(ACTION_FAMILIES)}
        choices = []
        for family in sorted(by_family, key=lambda f: (order.get(f, len(order)), f)):
            choices.append((f"{family}.*", family_label(family)))
            choices.extend((action, f"\u3000{action_label(action)}") for action in by_family[family])
        return choices

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value.endswith(".*"):
            return queryset.filter(family=value[:-2])
        return queryset.filter(action=value)


class ActorFilter(admin.SimpleListFilter):
    """Staff accounts in the viewer's scope, and the system; any account by its id in the address."""

    title = _("by")
    parameter_name = "actor"
    SYSTEM = "none"

    def lookups(self, request, model_admin):
        staff = User.objects.filter(Q(role__in=STAFF_ROLES) | Q(is_superuser=True))
        scope = as_scope(request.user)
        if not scope.is_city:
            staff = (
                staff.filter(district_id=scope.district_id) if scope.district_id is not None else staff.none()
            )
        choices: list[tuple[str, StrOrPromise]] = [(self.SYSTEM, _("System"))]
        for user in staff.order_by("username").only("pk", "username", "first_name", "last_name"):
            name = user.get_full_name()
            choices.append((str(user.pk), f"{user.username} ({name})" if name else user.username))
        return choices

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value == self.SYSTEM:
            return queryset.filter(actor__isnull=True)
        return queryset.filter(actor_id=int(value))  # not a number: the admin's "?e=1" page


class CreatedFromFilter(InputFilter):
    title = _("from (date, e.g. 2025-01-31)")
    parameter_name = "created_from"

    def queryset(self, request, queryset):
        day = _parse_day(self.value())
        return queryset.filter(created_at__gte=_local_midnight(day)) if day else queryset


class CreatedToFilter(InputFilter):
    title = _("to (date, inclusive)")
    parameter_name = "created_to"

    def queryset(self, request, queryset):
        day = _parse_day(self.value())
        return (
            queryset.filter(created_at__lt=_local_midnight(day + datetime.timedelta(days=1)))
            if day
            else queryset
        )


def _parse_day(value: str | None) -> datetime.date | None:
    if value is None or not value.strip():
        return None
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise IncorrectLookupParameters(exc) from exc


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


OBJECT_REFERENCE = re.compile(r"^(?P<type>[a-z_]+\.[a-z_]+):(?P<id>\S+)$")
ACTION_CODE = re.compile(r"^[a-z_]+\.[a-z_]+$")


def _fallback_reference(event) -> str:
    return str((event.data or {}).get("reference") or f"{event.object_type}:{event.object_id}")


def _reference_of(obj) -> str:
    return str(getattr(obj, "reference", None) or getattr(obj, "number", None) or obj)


def attach_references(events, user) -> None:
    """Give each event its record's reference ("JN20250301-00012", a case number, a name): one query per
    kind of record on the page, through the viewer's scope (outside it, the event's own reference)."""
    wanted: dict[str, set[str]] = {}
    for event in events:
        if event.object_type and event.object_id:
            wanted.setdefault(event.object_type, set()).add(event.object_id)
    found: dict[tuple[str, str], str] = {}
    for object_type, ids in wanted.items():
        try:
            model = apps.get_model(object_type)
        except (LookupError, ValueError):
            continue
        numeric = [int(pk) for pk in ids if pk.isdigit()]
        if not numeric:
            continue
        for obj in restrict(model._default_manager.filter(pk__in=numeric), user):
            found[(object_type, str(obj.pk))] = _reference_of(obj)
    for event in events:
        event.record_reference = found.get((event.object_type, event.object_id))


class _ReferencesChangeList(_ChangeListBase):
    """Mixed into the audit list's ChangeList: the page's records named by their references."""

    def get_results(self, request):
        super().get_results(request)
        attach_references(self.result_list, request.user)


@admin.register(AuditEvent)
class AuditEventAdmin(ImportExportMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Who did what, when, in which district, to which record: read-only, filtered, exported.

    City staff and superusers see every event; district staff only their district's (portal.access),
    the same scope as the records themselves; officials and workers have no admin. Every filter and
    the default order are served by an index of AuditEvent, and the list never counts the log.
    """

    resource_class = AuditEventResource
    importer_key = "audit_events"
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50
    sortable_by = ()  # only the indexed order, newest first
    list_display = [
        "created_at",
        "actor_display",
        "family_display",
        "action_display",
        "district",
        "object_link",
        "summary_display",
    ]
    list_select_related = ["actor", "district"]
    list_filter = [ActionFilter, ActorFilter, ScopedDistrictFilter, CreatedFromFilter, CreatedToFilter]
    search_fields = ["summary"]  # see get_search_results
    search_help_text = _(
        "A record (training.claim:123, or its number alone), an action (claim.approve), or words of the summary."
    )
    fields = [
        "created_at",
        "actor_display",
        "action_display",
        "family_display",
        "district",
        "object_link",
        "summary",
        "details_table",
    ]
    # django-stubs reads `fields` as the base class's nested field groups; these are plain names.
    readonly_fields = fields  # type: ignore[assignment]
    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_import_permission(self, request) -> bool:
        return False

    @admin.display(description=_("by"))
    def actor_display(self, event):
        if event.actor is None:
            return gettext("System")
        return event.actor.display_name  # a worker by name, never by their hashed user name

    @admin.display(description=_("kind of action"))
    def family_display(self, event):
        return family_label(event.family)

    @admin.display(description=_("summary"))
    def summary_display(self, event):
        # Long reasons are clamped to two lines on the list (static/css/admin.css); the whole text is the
        # title, and the event's page shows it in full.
        return format_html('<span class="clamp" title="{}">{}</span>', event.summary, event.summary)

    @admin.display(description=_("action"))
    def action_display(self, event):
        # The words for people; the code (what search and the export use) on hover.
        return format_html('<span title="{}">{}</span>', event.action, action_label(event.action))

    @admin.display(description=_("record"))
    def object_link(self, event):
        if not event.object_type:
            return ""
        reference = getattr(event, "record_reference", None) or _fallback_reference(event)
        app_label, _dot, model_name = event.object_type.partition(".")
        try:
            url = reverse(f"admin:{app_label}_{model_name}_change", args=[event.object_id])
        except NoReverseMatch:
            return reference
        return format_html('<a href="{}">{}</a>', url, reference)

    @admin.display(description=_("details"))
    def details_table(self, event):
        rows = detail_rows(event)
        if not rows:
            return "—"
        body = format_html_join("", '<tr><th scope="row">{}</th><td>{}</td></tr>', rows)
        return format_html('<table class="audit-details"><tbody>{}</tbody></table>', body)

    def get_changelist(self, request, **kwargs):
        changelist = super().get_changelist(request, **kwargs)
        return type("AuditChangeList", (_ReferencesChangeList, changelist), {})

    def get_object(self, request, object_id, from_field=None):
        event = super().get_object(request, object_id, from_field)
        if event is not None:
            attach_references([event], request.user)
        return event

    def get_search_results(self, request, queryset, search_term):
        """Exact, indexed matches for a record or an action; otherwise words of the summary."""
        term = search_term.strip()
        if not term:
            return queryset, False
        if match := OBJECT_REFERENCE.match(term):
            return queryset.filter(object_id=match["id"], object_type=match["type"]), False
        if term.isdigit():
            return queryset.filter(object_id=term), False
        if ACTION_CODE.match(term):
            return queryset.filter(Q(action=term) | Q(object_type=term)), False
        return queryset.filter(summary__icontains=term), False
