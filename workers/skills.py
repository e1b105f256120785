"""The skill rules the registry and the indicators share: which certificates are valid on a date, and
which levels count as skilled and as high-skill.

The registry keeps each worker's skill level from the certificates valid today (services.skill_levels_refresh,
with valid_on_q); the indicator engine counts skilled and high-skill workers from the certificates valid
on a period's last day (indicators/sources.py, with certificate_valid_on_sql and skill_cut_params).
"""

import datetime

from django.db.models import Q

from workers.choices import SkillLevel

#: Skilled worker (技能劳动者): a valid certificate at 初级工 or above.
SKILLED_MIN_LEVEL = SkillLevel.JUNIOR
#: High-skill talent (高技能人才): 高级工 or above.
HIGH_SKILL_MIN_LEVEL = SkillLevel.SENIOR


def valid_on_q(on_date: datetime.date, prefix: str = "") -> Q:
    """Certificates valid on a date: issued by then and not revoked by then."""
    return Q(**{f"{prefix}issued_on__lte": on_date}) & (
        Q(**{f"{prefix}revoked_on__isnull": True}) | Q(**{f"{prefix}revoked_on__gt": on_date})
    )


def certificate_valid_on_sql(alias: str, day: str = "day") -> str:
    """valid_on_q as an SQL condition: ``alias`` is the certificate table's alias in the query (or ""),
    ``day`` the name of the date's placeholder (``%(day)s``) in the parameters."""
    column = f"{alias}." if alias else ""
    return (
        f"{column}issued_on <= %({day})s AND ({column}revoked_on IS NULL OR {column}revoked_on > %({day})s)"
    )


def skill_cut_params() -> dict[str, int]:
    """The cut as SQL parameters: ``best >= %(skilled)s`` is skilled, ``best >= %(high_skill)s`` high-skill."""
    return {"skilled": int(SKILLED_MIN_LEVEL), "high_skill": int(HIGH_SKILL_MIN_LEVEL)}
