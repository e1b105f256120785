"""Which rule applies to a claim, and whether the claim is allowed: one place, Chinese reasons."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from training.choices import CLOSED_WITHOUT_PAYMENT, ClaimKind, ClaimStatus
from training.models import Claim, SubsidyRule

CENT = Decimal("0.01")


def rules_in_force(kind: str, on_date: datetime.date):
    return SubsidyRule.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=on_date), kind=kind, valid_from__lte=on_date
    )


def _most_specific(candidates, **wanted) -> SubsidyRule | None:
    """Among rules whose set columns all match, the one that sets the most columns wins."""
    best, best_score = None, -1
    for rule in candidates:
        score = 0
        for field, value in wanted.items():
            rule_value = getattr(rule, field)
            if rule_value in (None, ""):
                continue
            if rule_value != value:
                break
            score += 1
        else:
            if score > best_score:
                best, best_score = rule, score
    return best


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Same day n months later, or the month's last day (12 months from 29 Feb is 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _refuse(message: str, field: str | None = None) -> ValidationError:
    return ValidationError({field: [message]} if field else message)


def _live_claims(worker_id: int, kind: str):
    return Claim.objects.filter(worker_id=worker_id, kind=kind).exclude(
        status__in=[s.value for s in CLOSED_WITHOUT_PAYMENT]
    )


def skill_subsidy_terms(*, worker, certificate, submitted_on: datetime.date, program_type: str = ""):
    """(rule, amount) for a skill-upgrade subsidy, or a ValidationError naming the rule that refuses it."""
    if certificate.worker_id != worker.pk:
        raise _refuse(_("This certificate belongs to another worker."), "certificate")
    if certificate.revoked_on is not None and certificate.revoked_on <= submitted_on:
        raise _refuse(
            _("The certificate has been revoked; a revoked certificate earns no subsidy."), "certificate"
        )
    candidates = rules_in_force(ClaimKind.SKILL_SUBSIDY, certificate.issued_on).filter(
        level=certificate.level
    )
    rule = _most_specific(candidates, program_type=program_type)
    if rule is None:
        raise _refuse(
            _("No skill-subsidy rule covers a %(level)s certificate issued on %(date)s.")
            % {"level": certificate.get_level_display(), "date": certificate.issued_on},
            "certificate",
        )
    if rule.window_months and submitted_on > add_months(certificate.issued_on, rule.window_months):
        raise _refuse(
            _(
                "Rule “%(rule)s”: apply within %(months)s months of the certificate date (%(date)s); that time has passed."
            )
            % {"rule": rule.name, "months": rule.window_months, "date": certificate.issued_on},
            "certificate",
        )
    live = _live_claims(worker.pk, ClaimKind.SKILL_SUBSIDY)
    if rule.yearly_limit is not None:
        this_year = live.filter(submitted_at__year=submitted_on.year).count()
        if this_year >= rule.yearly_limit:
            raise _refuse(
                _(
                    "Rule “%(rule)s”: at most %(limit)s subsidies per person per calendar year; %(count)s already submitted in %(year)s."
                )
                % {
                    "rule": rule.name,
                    "limit": rule.yearly_limit,
                    "count": this_year,
                    "year": submitted_on.year,
                }
            )
    if live.filter(subsidy_occupation=certificate.occupation, subsidy_level=certificate.level).exists():
        raise _refuse(
            _(
                "A subsidy for %(occupation)s at this level has already been claimed; each occupation and level is paid once."
            )
            % {"occupation": certificate.occupation},
            "certificate",
        )
    higher_paid = Claim.objects.filter(
        worker_id=worker.pk,
        kind=ClaimKind.SKILL_SUBSIDY,
        status=ClaimStatus.PAID,
        subsidy_occupation=certificate.occupation,
        subsidy_level__gt=certificate.level,
    )
    if higher_paid.exists():
        raise _refuse(
            _(
                "A subsidy for a higher level in %(occupation)s has already been paid; a lower level earns none after it."
            )
            % {"occupation": certificate.occupation},
            "certificate",
        )
    return rule, rule.amount


def tuition_terms(*, tuition_paid: Decimal, paid_on: datetime.date, relevant_to_job: bool):
    if not relevant_to_job:
        raise _refuse(
            _("Tuition is reimbursed only when the major is relevant to the job."), "relevant_to_job"
        )
    rule = _most_specific(rules_in_force(ClaimKind.TUITION, paid_on))
    if rule is None or rule.rate is None:
        raise _refuse(_("No tuition rule was in force on %(date)s.") % {"date": paid_on}, "paid_on")
    amount = (Decimal(tuition_paid) * rule.rate).quantize(CENT, rounding=ROUND_HALF_UP)
    if rule.cap is not None:
        amount = min(amount, rule.cap)
    return rule, amount


def tuition_once(*, worker_id: int, institution: str, paid_on: datetime.date, tuition_paid: Decimal) -> None:
    """One tuition payment is reimbursed once: refused while a live or paid claim of the worker names the
    same institution, payment date and amount (whatever the major or the receipt's scan)."""
    earlier = (
        _live_claims(worker_id, ClaimKind.TUITION)
        .filter(
            tuition__institution__iexact=" ".join(institution.split()),
            tuition__paid_on=paid_on,
            tuition__tuition_paid=tuition_paid,
        )
        .only("pk", "kind", "submitted_at")
        .first()
    )
    if earlier is not None:
        raise _refuse(
            _(
                "This tuition payment (%(institution)s, %(amount)s yuan paid on %(date)s) is already claimed in %(reference)s; one payment is reimbursed once."
            )
            % {
                "institution": institution.strip(),
                "amount": tuition_paid,
                "date": paid_on,
                "reference": earlier.reference,
            },
            "tuition_paid",
        )


def receipt_once(*, receipt_sha256: str) -> None:
    """One receipt (the same file, by its content's hash) backs one live claim."""
    earlier = (
        Claim.objects.filter(tuition__receipt_sha256=receipt_sha256, tuition__claim_live=True)
        .only("pk", "kind", "submitted_at")
        .first()
    )
    if earlier is not None:
        raise _refuse(
            _("This receipt already backs claim %(reference)s; a receipt backs one claim.")
            % {"reference": earlier.reference},
            "receipt",
        )


def award_once(*, worker_id: int, title) -> None:
    """A craftsman title is paid once per worker, whichever year the award is recorded in."""
    earlier = (
        _live_claims(worker_id, ClaimKind.CRAFTSMAN_AWARD)
        .filter(Q(award_title=title) | Q(award__title=title))
        .select_related("award")
        .only("pk", "kind", "submitted_at", "award__year")
        .first()
    )
    if earlier is not None:
        raise _refuse(
            _(
                "The award for %(title)s is paid once per person; it is already claimed in %(reference)s (the award recorded for %(year)s)."
            )
            % {"title": title.name, "reference": earlier.reference, "year": earlier.award.year},
            "award",
        )


def award_terms(*, worker, award):
    if award.worker_id != worker.pk:
        raise _refuse(_("This award belongs to another worker."), "award")
    reference = datetime.date(award.year, 12, 31)
    candidates = rules_in_force(ClaimKind.CRAFTSMAN_AWARD, reference)
    rule = _most_specific(
        candidates,
        district_id=worker.district_id,
        title_id=award.title_id,
        locally_trained=award.locally_trained,
    )
    # A rule for another title or district, or for locally trained craftsmen only, does not match.
    if rule is None:
        raise _refuse(
            _("No award rule covers %(title)s %(year)s for this craftsman in this district.")
            % {"title": award.title, "year": award.year},
            "award",
        )
    return rule, rule.amount, reference


def stipend_terms(*, apprenticeship, submitted_on: datetime.date):
    if apprenticeship.terminated_on is not None:
        raise _refuse(_("The apprenticeship was terminated early; no stipend is due."), "apprenticeship")
    if apprenticeship.ends_on > submitted_on:
        raise _refuse(
            _("The stipend is paid after the agreement ends (%(date)s).") % {"date": apprenticeship.ends_on},
            "apprenticeship",
        )
    rule = _most_specific(rules_in_force(ClaimKind.APPRENTICESHIP_STIPEND, apprenticeship.ends_on))
    if rule is None:
        raise _refuse(_("No stipend rule was in force when the agreement ended."), "apprenticeship")
    return rule, rule.amount, apprenticeship.ends_on
