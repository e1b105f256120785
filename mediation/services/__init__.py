"""Writes of mediation, one function each: the case workflow and timeline, committees, the overdue flag."""

from mediation.services.cases import (
    TRANSITIONS,
    allowed_transitions,
    case_accept,
    case_add_document,
    case_add_note,
    case_apply,
    case_extend,
    case_fail,
    case_reach_agreement,
    case_record_session,
    case_refer_to_arbitration,
    case_reject,
    case_start_mediation,
    case_to_litigation,
    case_withdraw,
)
from mediation.services.committees import (
    committee_dissolve,
    committee_establish,
    committee_members_replace,
    committee_update,
)
from mediation.services.overdue import overdue_cases_record

__all__ = [
    "TRANSITIONS",
    "allowed_transitions",
    "case_accept",
    "case_add_document",
    "case_add_note",
    "case_apply",
    "case_extend",
    "case_fail",
    "case_reach_agreement",
    "case_record_session",
    "case_refer_to_arbitration",
    "case_reject",
    "case_start_mediation",
    "case_to_litigation",
    "case_withdraw",
    "committee_dissolve",
    "committee_establish",
    "committee_members_replace",
    "committee_update",
    "overdue_cases_record",
]
