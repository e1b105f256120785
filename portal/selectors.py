"""Reads of the portal's own tables that more than a page needs."""

from django.db import connection

from portal.models import AuditEvent

# A loose index scan: each step asks the action index for the next action after the last one, so
# listing the few dozen actions ever recorded costs a few dozen index probes, not a scan of the log.
_RECORDED_ACTIONS_SQL = """
WITH RECURSIVE recorded(action) AS (
    (SELECT action FROM {table} ORDER BY action LIMIT 1)
    UNION ALL
    SELECT (SELECT e.action FROM {table} e WHERE e.action > r.action ORDER BY e.action LIMIT 1)
    FROM recorded r WHERE r.action IS NOT NULL
)
SELECT action FROM recorded WHERE action IS NOT NULL
"""


def audit_actions_recorded() -> list[str]:
    """Every action the audit log holds, sorted; the same for every viewer (codes, not events)."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(AuditEvent._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(_RECORDED_ACTIONS_SQL.format(table=table))
            return [row[0] for row in cursor.fetchall()]
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())
