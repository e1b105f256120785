"""Choices of labour-dispute mediation: bodies, dispute types (Art. 2), sources, case states, timeline events."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CommitteeKind(models.TextChoices):
    """The mediation bodies of Art. 10 of the Labour Dispute Mediation and Arbitration Law."""

    ENTERPRISE = "enterprise", _("Enterprise labour-dispute mediation committee")
    STREET = "street", _("Street or township mediation body")
    INDUSTRIAL_COMMUNITY = "industrial_community", _("Industrial-community mediation body")
    PEOPLES = "peoples", _("Grassroots people's mediation committee")


class MemberRole(models.TextChoices):
    CHAIR = "chair", _("Chair")
    WORKER_REPRESENTATIVE = "worker_rep", _("Worker representative")
    EMPLOYER_REPRESENTATIVE = "employer_rep", _("Employer representative")


class DisputeType(models.TextChoices):
    """The categories of Art. 2, in the law's order."""

    EMPLOYMENT_RELATIONSHIP = "employment_relationship", _("Existence of an employment relationship")
    CONTRACT = "contract", _("Conclusion, performance, change or termination of a labour contract")
    DISMISSAL = "dismissal", _("Dismissal, discharge, resignation or leaving")
    WORKING_CONDITIONS = (
        "working_conditions",
        _("Working hours, rest and leave, social insurance, welfare, training or labour protection"),
    )
    PAY = "pay", _("Pay, work-injury medical costs, economic compensation or damages")
    OTHER = "other", _("Other labour disputes provided by law")


class CaseSource(models.TextChoices):
    WALK_IN = "walk_in", _("Walk-in application")
    ONLINE = "online", _("Online application")
    ARBITRATION_TRANSFER = "arbitration_transfer", _("Transferred from an arbitration commission")
    COURT_TRANSFER = "court_transfer", _("Transferred from a court")


#: Cases handed to mediation by the arbitration commission or a court ("移交案件"); the closure-rate
#: indicator counts these.
TRANSFERRED_SOURCES = (CaseSource.ARBITRATION_TRANSFER, CaseSource.COURT_TRANSFER)


class CaseStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    ACCEPTED = "accepted", _("Accepted")
    MEDIATING = "mediating", _("Mediating")
    AGREEMENT = "agreement", _("Mediation agreement reached")
    FAILED = "failed", _("Mediation failed")
    REFERRED_TO_ARBITRATION = "referred_to_arbitration", _("Referred to arbitration")
    LITIGATION = "litigation", _("In litigation")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REJECTED = "rejected", _("Not accepted")


#: The 15-day limit runs while a case is in one of these states (from the day of receipt).
OPEN_STATUSES = (CaseStatus.APPLIED, CaseStatus.ACCEPTED, CaseStatus.MEDIATING)

#: Mediation is over; concluded_on is set. Failed cases keep their date when they move on to
#: arbitration and litigation, which happen outside the mediation body.
CONCLUDED_STATUSES = (
    CaseStatus.AGREEMENT,
    CaseStatus.FAILED,
    CaseStatus.REFERRED_TO_ARBITRATION,
    CaseStatus.LITIGATION,
    CaseStatus.WITHDRAWN,
    CaseStatus.REJECTED,
)

#: What the on-time indicator counts as "concluded" (DOMAIN.md): mediation ended in an agreement or
#: failed (including failed cases that went on to arbitration or court). Withdrawn and rejected cases
#: were never mediated to an end, so they count neither way.
MEDIATED_TO_AN_END = (
    CaseStatus.AGREEMENT,
    CaseStatus.FAILED,
    CaseStatus.REFERRED_TO_ARBITRATION,
    CaseStatus.LITIGATION,
)


class EventType(models.TextChoices):
    APPLIED = "applied", _("Application received")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Not accepted")
    MEDIATION_STARTED = "mediation_started", _("Mediation started")
    SESSION = "session", _("Mediation session")
    NOTE = "note", _("Note")
    DOCUMENT = "document", _("Document")
    EXTENDED = "extended", _("Time limit extended")
    AGREEMENT = "agreement", _("Mediation agreement reached")
    FAILED = "failed", _("Mediation failed")
    REFERRED_TO_ARBITRATION = "referred_to_arbitration", _("Referred to arbitration")
    LITIGATION = "litigation", _("Went to court")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    OVERDUE = "overdue", _("Time limit passed")
