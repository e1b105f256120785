"""The skilled / high-skill rule, in Python and in SQL: the registry and the indicators share it."""

from django.db.models import Q

from workers.choices import HIGH_SKILL_MIN_LEVEL, SKILLED_MIN_LEVEL


def is_skilled(level: int | None) -> bool:
    return level is not None and level >= SKILLED_MIN_LEVEL


def is_high_skill(level: int | None) -> bool:
    return level is not None and level >= HIGH_SKILL_MIN_LEVEL


def skilled_q(field: str = "skill_level") -> Q:
    return Q(**{f"{field}__gte": SKILLED_MIN_LEVEL})


def high_skill_q(field: str = "skill_level") -> Q:
    return Q(**{f"{field}__gte": HIGH_SKILL_MIN_LEVEL})


def valid_on_q(on_date, prefix: str = "") -> Q:
    """Certificates valid on a date: issued by then and not revoked by then."""
    return Q(**{f"{prefix}issued_on__lte": on_date}) & (
        Q(**{f"{prefix}revoked_on__isnull": True}) | Q(**{f"{prefix}revoked_on__gt": on_date})
    )
