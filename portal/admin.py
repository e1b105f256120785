"""Admin of users, the audit review page, and the admin site's Chinese titles."""

import datetime
import re

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.access import as_scope
from portal.admin_mixins import ScopedAdminMixin
from portal.audit import ACTION_FAMILIES, family_label
from portal.choices import STAFF_ROLES
from portal.models import AuditEvent, User
from portal.paginator import EstimatedCountPaginator
from portal.resources import AuditEventResource
from portal.selectors import audit_actions_recorded

# The registry's export machinery and filters serve the audit log too (workers.admin registers its own
# models on import; it imports nothing from this module).
from workers.admin import ImportExportMixin, InputFilter, ScopedDistrictFilter

admin.site.site_header = _("Industrial-Worker Reform Portal")
admin.site.site_title = _("Reform portal administration")
admin.site.index_title = _("Records")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "district", "is_active"]
    list_filter = ["role", "district", "is_active"]
    list_select_related = ["district"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        (_("Role and scope"), {"fields": ["role", "district"]}),
    ]
    add_fieldsets = [
        *DjangoUserAdmin.add_fieldsets,
        (_("Role and scope"), {"fields": ["role", "district"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        # City staff manage accounts but cannot hand out superuser status or raw permissions.
        hidden = {"is_superuser", "groups", "user_permissions", "is_staff"}
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f not in hidden]})
            for name, opts in fieldsets
        ]


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
            choices.extend((action, f"\u3000{action}") for action in by_family[family])
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
            staff = staff.filter(district_id=scope.district_id)
        choices = [(self.SYSTEM, _("System"))]
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
    if not (value or "").strip():
        return None
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise IncorrectLookupParameters(exc) from exc


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


OBJECT_REFERENCE = re.compile(r"^(?P<type>[a-z_]+\.[a-z_]+):(?P<id>\S+)$")
ACTION_CODE = re.compile(r"^[a-z_]+\.[a-z_]+$")


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
        "action",
        "district",
        "object_link",
        "summary",
    ]
    list_select_related = ["actor", "district"]
    list_filter = [ActionFilter, ActorFilter, ScopedDistrictFilter, CreatedFromFilter, CreatedToFilter]
    search_fields = ["summary"]  # see get_search_results
    search_help_text = _(
        "A record (training.claim:123, or its number alone), an action (claim.approve), or words of the summary."
    )
    fields = [
        "created_at",
        "actor",
        "action",
        "family",
        "district",
        "object_type",
        "object_id",
        "summary",
        "data",
    ]
    readonly_fields = fields
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
        name = event.actor.get_full_name()
        return f"{event.actor.username} ({name})" if name else event.actor.username

    @admin.display(description=_("kind of action"))
    def family_display(self, event):
        return family_label(event.family)

    @admin.display(description=_("record"))
    def object_link(self, event):
        if not event.object_type:
            return ""
        reference = f"{event.object_type}:{event.object_id}"
        app_label, _dot, model_name = event.object_type.partition(".")
        try:
            url = reverse(f"admin:{app_label}_{model_name}_change", args=[event.object_id])
        except NoReverseMatch:
            return reference
        return format_html('<a href="{}">{}</a>', url, reference)

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
