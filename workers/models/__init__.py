"""The registry's models, one module per concept."""

from workers.models.certificate import SkillCertificate
from workers.models.craftsman import CraftsmanAward, CraftsmanTitle
from workers.models.enterprise import Enterprise
from workers.models.worker import (
    Employment,
    Worker,
    employment_valid_on,
    employment_valid_on_q,
    employment_valid_on_sql,
)

__all__ = [
    "CraftsmanAward",
    "CraftsmanTitle",
    "Employment",
    "Enterprise",
    "SkillCertificate",
    "Worker",
    "employment_valid_on",
    "employment_valid_on_q",
    "employment_valid_on_sql",
]
