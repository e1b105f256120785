"""The registry's models, one module per concept."""

from workers.models.certificate import SkillCertificate
from workers.models.craftsman import CraftsmanAward, CraftsmanTitle
from workers.models.enterprise import Enterprise
from workers.models.worker import Employment, Worker

__all__ = [
    "CraftsmanAward",
    "CraftsmanTitle",
    "Employment",
    "Enterprise",
    "SkillCertificate",
    "Worker",
]
