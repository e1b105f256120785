"""Importing claims. Claims are money: each new row is judged by the same rules (training/rules.py) as a
claim entered on its page, and written by the same service, claim_submit, with its audit event; rows
that need each other's effects within the file (the yearly limit, once per occupation and level) are
counted as the check goes.

A row whose certificate, award, apprenticeship or tuition already has a live claim is left as it is, so
importing the same file twice changes nothing. A new tuition row is refused: every tuition claim needs
its receipt, which a spreadsheet cannot carry, so paper tuition claims are entered on the claim page.
Claims come in hundreds or thousands, not millions: a claim row costs a few queries, which keeps every
rule in one place.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext as _

from portal.masking import mask_id_number
from portal.spreadsheets.pipeline import (
    NEW,
    SAME,
    Importer,
    Planned,
    RegistryChanged,
    RowError,
    action_label,
)
from portal.spreadsheets.seen import FirstSeen
from training import rules
from training.choices import CLOSED_WITHOUT_PAYMENT, ClaimKind
from training.importers import cells
from training.models import Apprenticeship, Claim, TuitionDetail
from training.resources import ClaimResource
from training.services.claims import claim_submit
from workers.importers.lookups import TitleReader
from workers.importers.worker import id_number, short_text
from workers.models import CraftsmanAward, SkillCertificate, Worker

_CLOSED = [s.value for s in CLOSED_WITHOUT_PAYMENT]


class ClaimRecord(NamedTuple):
    row: int
    kind: str
    id_hash: str
    id_masked: str
    certificate_number: str | None = None
    program_type: str = ""
    apprentice_hash: str | None = None
    apprenticeship_starts_on: datetime.date | None = None
    title_id: int | None = None
    award_year: int | None = None
    tuition: dict | None = None
    note: str = ""


#: The column that a rule's refusal of each kind points at, by the service's field name.
CLAIM_COLUMNS = {
    "certificate": "certificate_number",
    "award": "award_title",
    "apprenticeship": "apprentice_id_number",
    "relevant_to_job": "relevant_to_job",
    "paid_on": "tuition_paid_on",
    "bank_account": "id_number",
    "receipt": "kind",
}
MAIN_COLUMN = {
    ClaimKind.SKILL_SUBSIDY: "certificate_number",
    ClaimKind.CRAFTSMAN_AWARD: "award_title",
    ClaimKind.APPRENTICESHIP_STIPEND: "apprentice_id_number",
    ClaimKind.TUITION: "tuition_paid",
}


class ClaimImporter(Importer):
    key = "claims"
    resource_class = ClaimResource
    audit_action = "import.claims"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.id_index = Worker._meta.get_field("id_number_hash").index_for
        self.title = TitleReader()
        self.seen = FirstSeen()
        #: subsidies per (worker, year) and (worker, occupation, level) in the rows checked so far
        self.subsidies: Counter[tuple] = Counter()
        self._number = short_text(64)
        self._text = short_text(128)
        self._note = short_text(255)
        self._date = cells.not_future(self.today)

    def parse(self, row: int, values: dict[str, object]):
        errors: list[tuple[str, str]] = []
        take = self.take
        kind = take(errors, "kind", cells.claim_kind, values.get("kind"), required=True)
        number, _birth, _gender = id_number(errors, "id_number", values.get("id_number"), self.today)
        note = take(errors, "note", self._note, values.get("note")) or ""
        details: dict[str, Any] = {}
        duplicate = None
        if kind == ClaimKind.SKILL_SUBSIDY:
            details["certificate_number"] = take(
                errors, "certificate_number", self._number, values.get("certificate_number"), required=True
            )
            details["program_type"] = (
                take(errors, "program_type", cells.program_type, values.get("program_type")) or ""
            )
            duplicate = ("certificate", details["certificate_number"])
        elif kind == ClaimKind.APPRENTICESHIP_STIPEND:
            apprentice, _b, _g = id_number(
                errors, "apprentice_id_number", values.get("apprentice_id_number"), self.today
            )
            details["apprentice_hash"] = self.id_index(apprentice) if apprentice else None
            details["apprenticeship_starts_on"] = take(
                errors, "apprenticeship_starts_on", cells.date, values.get("apprenticeship_starts_on")
            )
            duplicate = ("stipend", number, apprentice, details["apprenticeship_starts_on"])
        elif kind == ClaimKind.CRAFTSMAN_AWARD:
            details["title_id"] = take(
                errors, "award_title", self.title, values.get("award_title"), required=True
            )
            details["award_year"] = take(
                errors, "award_year", cells.year, values.get("award_year"), required=True
            )
            duplicate = ("award", number, details["title_id"], details["award_year"])
        elif kind == ClaimKind.TUITION:
            tuition = {
                "degree": take(errors, "degree", cells.degree, values.get("degree"), required=True),
                "institution": take(
                    errors, "institution", self._text, values.get("institution"), required=True
                ),
                "major": take(errors, "major", self._text, values.get("major"), required=True),
                "tuition_paid": take(
                    errors, "tuition_paid", cells.positive_yuan, values.get("tuition_paid"), required=True
                ),
                "paid_on": take(
                    errors, "tuition_paid_on", self._date, values.get("tuition_paid_on"), required=True
                ),
                "relevant_to_job": take(
                    errors, "relevant_to_job", cells.yes_no, values.get("relevant_to_job"), required=True
                ),
            }
            details["tuition"] = tuition
            duplicate = ("tuition", number, tuition["institution"], tuition["major"], tuition["paid_on"])
        if duplicate and None not in duplicate and number:
            message = _("This claim already appears in row %(row)d of the file.")
            cells.first_seen(self.seen, duplicate, row, errors, MAIN_COLUMN[kind], message)
        if errors:
            return None, errors
        return ClaimRecord(row, kind, self.id_index(number), mask_id_number(number), note=note, **details), []

    def plan(self, records: list[ClaimRecord], *, lock: bool):
        if not records:
            return [], []
        found = Worker.objects.filter(id_number_hash__in={r.id_hash for r in records})
        if lock:
            found = found.select_for_update().order_by("pk")
        workers = {w.id_number_hash: w for w in found}
        worker_ids = [w.pk for w in workers.values()]
        certificates = {
            c.number: c
            for c in SkillCertificate.objects.filter(
                number__in={r.certificate_number for r in records if r.certificate_number}
            )
        }
        awards = {
            (a.worker_id, a.title_id, a.year): a
            for a in CraftsmanAward.objects.filter(worker_id__in=worker_ids).select_related("title")
        }
        pairs = defaultdict(list)
        for pair in Apprenticeship.objects.filter(master_id__in=worker_ids).select_related("apprentice"):
            pairs[(pair.master_id, pair.apprentice.id_number_hash)].append(pair)
        live = Claim.objects.filter(worker_id__in=worker_ids).exclude(status__in=_CLOSED)
        claimed = set()
        for certificate_id, award_id, apprenticeship_id in live.values_list(
            "certificate_id", "award_id", "apprenticeship_id"
        ):
            claimed.update(
                {("certificate", certificate_id), ("award", award_id), ("stipend", apprenticeship_id)}
            )
        claimed.update(
            ("tuition", *key)
            for key in TuitionDetail.objects.filter(claim__in=live).values_list(
                "claim__worker_id", "institution", "major", "paid_on"
            )
        )
        this_year = dict(
            live.filter(kind=ClaimKind.SKILL_SUBSIDY, submitted_at__year=self.today.year)
            .values("worker_id")
            .annotate(n=Count("id"))
            .values_list("worker_id", "n")
        )
        # While writing, earlier chunks are in the database already: count only this chunk's rows.
        counted = Counter() if lock else self.subsidies

        planned: list[Planned] = []
        errors: list[RowError] = []
        for r in records:
            worker = workers.get(r.id_hash)
            if worker is None:
                errors.append(RowError(r.row, "id_number", _("No worker with this ID number is registered.")))
                continue
            if not self.can_write_district(worker.district_id):
                errors.append(RowError(r.row, "id_number", _("This worker is not in your district.")))
                continue
            try:
                outcome = self._judge(r, worker, certificates, awards, pairs, claimed, this_year, counted)
            except ValidationError as exc:
                for field, messages in _fields(exc):
                    column = CLAIM_COLUMNS.get(field, MAIN_COLUMN[r.kind])
                    errors.append(RowError(r.row, column, " ".join(messages)))
                continue
            planned.append(Planned(r, outcome[0], extra=(worker, *outcome[1:])))
        return planned, errors

    def _judge(self, r: ClaimRecord, worker, certificates, awards, pairs, claimed, this_year, counted):
        """(action, links, rule, amount): what claim_submit would do with the row, without writing."""
        today = self.today
        if r.kind == ClaimKind.SKILL_SUBSIDY:
            certificate = certificates.get(r.certificate_number)
            if certificate is None:
                raise ValidationError({"certificate": [_("No certificate with this number is registered.")]})
            links = {"certificate_id": certificate.pk, "program_type": r.program_type}
            if ("certificate", certificate.pk) in claimed and certificate.worker_id == worker.pk:
                return SAME, links, None, None
            rule, amount = rules.skill_subsidy_terms(
                worker=worker, certificate=certificate, submitted_on=today, program_type=r.program_type
            )
            same_level = (worker.pk, certificate.occupation, certificate.level)
            if counted[same_level]:
                raise ValidationError(
                    {
                        "certificate": [
                            _(
                                "A subsidy for %(occupation)s at this level has already been claimed; each occupation and level is paid once."
                            )
                            % {"occupation": certificate.occupation}
                        ]
                    }
                )
            year = (worker.pk, today.year)
            if (
                rule.yearly_limit is not None
                and this_year.get(worker.pk, 0) + counted[year] >= rule.yearly_limit
            ):
                raise ValidationError(
                    _(
                        "Rule “%(rule)s”: at most %(limit)s subsidies per person per calendar year; %(count)s already submitted in %(year)s."
                    )
                    % {
                        "rule": rule.name,
                        "limit": rule.yearly_limit,
                        "count": this_year.get(worker.pk, 0) + counted[year],
                        "year": today.year,
                    }
                )
            counted[same_level] += 1
            counted[year] += 1
        elif r.kind == ClaimKind.CRAFTSMAN_AWARD:
            award = awards.get((worker.pk, r.title_id, r.award_year))
            if award is None:
                raise ValidationError({"award": [_("The registry holds no such award of this worker.")]})
            links = {"award_id": award.pk}
            if ("award", award.pk) in claimed:
                return SAME, links, None, None
            rule, amount, _reference = rules.award_terms(worker=worker, award=award)
            rules.award_once(worker_id=worker.pk, title=award.title)
            if counted[("award", worker.pk, award.title_id)]:
                raise ValidationError(
                    {
                        "award": [
                            _("The award for %(title)s is paid once per person.")
                            % {"title": award.title.name}
                        ]
                    }
                )
            counted[("award", worker.pk, award.title_id)] += 1
        elif r.kind == ClaimKind.APPRENTICESHIP_STIPEND:
            candidates = [
                p
                for p in pairs.get((worker.pk, r.apprentice_hash), [])
                if r.apprenticeship_starts_on in (None, p.starts_on)
            ]
            if not candidates:
                raise ValidationError(
                    {"apprenticeship": [_("The registry holds no such apprenticeship of this master.")]}
                )
            if len(candidates) > 1:
                raise ValidationError(
                    {
                        "apprenticeship": [
                            _("The pair has several agreements; fill in the agreement's start date.")
                        ]
                    }
                )
            pair = candidates[0]
            links = {"apprenticeship_id": pair.pk}
            if ("stipend", pair.pk) in claimed:
                return SAME, links, None, None
            rule, amount, _reference = rules.stipend_terms(apprenticeship=pair, submitted_on=today)
        else:
            t = r.tuition
            links = {"tuition": t}
            if ("tuition", worker.pk, t["institution"], t["major"], t["paid_on"]) in claimed:
                return SAME, links, None, None
            # The rules' own refusal first, as on the claim's page (relevance, a rule in force).
            rules.tuition_terms(
                tuition_paid=t["tuition_paid"], paid_on=t["paid_on"], relevant_to_job=t["relevant_to_job"]
            )
            # Every tuition claim needs its receipt, and a spreadsheet cannot carry one: a paper claim is
            # entered on the claim's page with the scan. A row already entered there stays unchanged.
            raise ValidationError(
                {
                    "receipt": [
                        _(
                            "A tuition claim needs its receipt, which a spreadsheet cannot carry: enter it on the claim page (Add claim) with the scan of the receipt."
                        )
                    ]
                }
            )
        if not worker.bank_account:
            raise ValidationError(
                {"bank_account": [_("No bank account is on file for the payee; add one first.")]}
            )
        return NEW, links, rule, amount

    def write(self, planned: list[Planned]) -> None:
        for item in planned:
            if item.action != NEW:
                continue
            worker, links = item.extra[0], item.extra[1]
            try:
                claim_submit(
                    by=self.user, worker_id=worker.pk, kind=item.record.kind, note=item.record.note, **links
                )
            except ValidationError as exc:
                # The check passed a moment ago: someone else's claim took the place meanwhile.
                raise RegistryChanged(str(exc)) from exc

    def preview_headers(self) -> list[str]:
        return [
            _("Row"),
            _("What happens"),
            self.header("kind"),
            self.header("id_number"),
            _("worker"),
            _("amount (yuan)"),
            _("rule applied"),
        ]

    def preview_row(self, item: Planned) -> list[str]:
        r = item.record
        worker, _links, rule, amount = item.extra
        return [
            str(r.row),
            action_label(item.action),
            str(ClaimKind(r.kind).label),
            r.id_masked,
            worker.name,
            f"{amount:,.2f}" if amount is not None else "",
            rule.name if rule is not None else "",
        ]


def _fields(error: ValidationError) -> list[tuple[str | None, list[str]]]:
    if hasattr(error, "error_dict"):
        return [(None if f == "__all__" else f, list(m)) for f, m in error.message_dict.items()]
    return [(None, list(error.messages))]
