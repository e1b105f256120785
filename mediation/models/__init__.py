"""Mediation's models, one module per concept: the bodies that mediate, and the cases with their timeline."""

from mediation.models.case import CaseApplicant, CaseEvent, CaseNumberCounter, DisputeCase
from mediation.models.committee import CommitteeMember, MediationCommittee

__all__ = [
    "CaseApplicant",
    "CaseEvent",
    "CaseNumberCounter",
    "CommitteeMember",
    "DisputeCase",
    "MediationCommittee",
]
