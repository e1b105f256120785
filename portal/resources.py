"""Spreadsheet columns of the audit log's export: Chinese headers, local times, formulas escaped.

The columns and the export machinery are the shared ones (portal.spreadsheets.columns and .exporting), so
the audit log exports exactly as the registry lists do: the admin list as filtered, in the request
or, when large, as a background job; and the export is itself audited ("export.audit_events").
"""

import json

from django.utils.translation import gettext

from portal.audit import family_label
from portal.audit_labels import action_label
from portal.models import AuditEvent
from portal.spreadsheets.columns import Column, PortalResource


class AuditEventResource(PortalResource):
    created_at = Column(attribute="created_at", column_name="时间", readonly=True)
    actor = Column(attribute="actor__username", column_name="操作人账号", readonly=True)
    actor_name = Column(attribute="actor", column_name="操作人", readonly=True)
    family = Column(attribute="family", column_name="操作类别", readonly=True)
    action = Column(attribute="action", column_name="操作", readonly=True)
    action_code = Column(attribute="action", column_name="操作代码", readonly=True)
    district = Column(attribute="district__name", column_name="所在区（县、市）", readonly=True)
    object_type = Column(attribute="object_type", column_name="对象类型", readonly=True)
    object_id = Column(attribute="object_id", column_name="对象编号", text=True, readonly=True)
    summary = Column(attribute="summary", column_name="摘要", readonly=True)
    data = Column(attribute="data", column_name="详情", readonly=True)

    select_related = ("actor", "district")

    class Meta:
        model = AuditEvent
        fields = (
            "created_at", "actor", "actor_name", "family", "action", "action_code", "district", "object_type",
            "object_id", "summary", "data",
        )  # fmt: skip

    def dehydrate_actor_name(self, event: AuditEvent) -> str:
        if event.actor is None:
            return gettext("System")
        return event.actor.get_full_name() or event.actor.username

    def dehydrate_family(self, event: AuditEvent) -> str:
        return family_label(event.family)

    def dehydrate_action(self, event: AuditEvent) -> str:
        # In words, as the list shows it; the code (what filters and search use) has its own column.
        return action_label(event.action)

    def dehydrate_data(self, event: AuditEvent) -> str:
        return json.dumps(event.data, ensure_ascii=False, sort_keys=True) if event.data else ""
