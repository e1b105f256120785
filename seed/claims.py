"""Synthetic claims for the training step (seed/training.py): every kind, in every status, and their payment.

Every claim kind appears in every status with the fields its status implies (four eyes, a city approver
and a city-wide batch above the threshold, at most 3 skill subsidies a year, once per occupation and
level, lower levels claimed before higher ones, a paid claim with exactly one PAID payment, a returned one
with a RETURNED payment and perhaps a new pending one). While a kind lacks a status, its next claim takes
it if the dates allow, so even a small city shows them all. Skill subsidies follow certificates, tuition
a fee paid for a degree (with its receipt: seed/receipts.py), craftsman awards the titles a rule pays
for (Beilun's locally trained 浙江工匠: rare, so a small city may have none), stipends the
master-apprentice agreements. Reviewers and approvers
are synthetic staff accounts ("seed_<district code>_reviewer" …), created once, inactive and without a
usable password; ``--reset`` keeps them. Batches, a few hundred rows, are written last.
"""

from __future__ import annotations

import bisect
import datetime
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import TYPE_CHECKING

from django.conf import settings

from portal import crypto
from seed.draws import between, date_of, moment, weighted
from seed.receipts import seed_receipt
from seed.writers import DjangoWriter, IdBlocks
from training.choices import (
    CLOSED_WITHOUT_PAYMENT,
    BatchStatus,
    ClaimKind,
    ClaimStatus,
    Degree,
    PaymentStatus,
)
from training.models import Claim, Payment, PaymentBatch, SubsidyRule, TuitionDetail
from training.rules import _most_specific, add_months
from workers.choices import Education

if TYPE_CHECKING:
    from seed.training import TrainingSeed

CLOSED = tuple(s.value for s in CLOSED_WITHOUT_PAYMENT)
CS = ClaimStatus
STATUS_WEIGHTS = ((CS.PAID, 74), (CS.RETURNED, 3), (CS.APPROVED, 5), (CS.REVIEWED, 4), (CS.SUBMITTED, 5),
                  (CS.REJECTED, 7), (CS.CANCELLED, 2))  # fmt: skip
FALLBACK_WEIGHTS = ((CS.PAID, 74), (CS.SUBMITTED, 30), (CS.REVIEWED, 25), (CS.APPROVED, 25), (CS.REJECTED, 7),
                    (CS.RETURNED, 3), (CS.CANCELLED, 2))  # fmt: skip
#: Statuses tried first while a kind has not shown them yet, so a small city has every kind in every status.
COVERAGE_ORDER = (CS.RETURNED, CS.CANCELLED, CS.REJECTED, CS.APPROVED, CS.REVIEWED, CS.SUBMITTED, CS.PAID)
#: Claims submitted in the last weeks of the year before are paid in the reference year's first batches.
EARLY_CLAIM_DAYS = 21
SKILL_TAKE_UP = 0.92  # of certificates a subsidy rule covers, when the worker can be paid
SKILL_CLAIM_DELAY_DAYS = 45  # mean days from the certificate to the claim
RESUBMIT_SHARE = 0.3  # after a rejection or cancellation
REPAID_SHARE = 0.015  # paid claims the bank returned once before a later batch paid them
ONLINE_SHARE = 0.4  # submitted by the worker online; the rest at a union counter
TUITION_SHARE = 0.03  # of workers with a bank account and a degree to go for, in the window
TUITION_CLAIM_DELAY_DAYS = 30  # mean days from paying the fee to the claim
TUITION_NEXT = {
    Education.SENIOR_SECONDARY: Degree.COLLEGE,
    Education.VOCATIONAL: Degree.COLLEGE,
    Education.COLLEGE: Degree.BACHELOR,
    Education.BACHELOR: Degree.MASTER,
}
TUITION_RANGE = {Degree.COLLEGE: (32, 60), Degree.BACHELOR: (45, 90), Degree.MASTER: (160, 360)}  # hundreds
INSTITUTIONS = {
    Degree.COLLEGE: ("宁波职业技术学院", "浙江工商职业技术学院", "宁波城市职业技术学院", "宁波开放大学"),
    Degree.BACHELOR: ("宁波大学", "宁波工程学院", "浙江万里学院", "宁波开放大学"),
    Degree.MASTER: ("宁波大学", "宁波工程学院"),
}
MAJORS = ("机电一体化技术", "数控技术", "模具设计与制造", "电气自动化技术", "工业机器人技术",
          "机械设计制造及其自动化", "材料成型及控制工程", "质量管理工程")  # fmt: skip
REJECT_REASONS = {
    ClaimKind.SKILL_SUBSIDY: ("证书信息与鉴定机构备案信息不一致", "申报材料不全，请补齐后重新申报"),
    ClaimKind.APPRENTICESHIP_STIPEND: ("带教记录不完整，请补充带教台账", "学徒考核结果未达到协议约定"),
    ClaimKind.TUITION: ("学费票据不全，请补充发票", "所学专业与岗位关联性不足"),
    ClaimKind.CRAFTSMAN_AWARD: ("未提供本土培养证明材料", "申报材料不全，请补齐后重新申报"),
}
CANCEL_REASONS = ("职工本人申请撤回", "复核发现重复申报，撤销审批")
RETURN_REASONS = ("户名与账号不符", "账户已销户", "账户状态异常（冻结）", "账号不存在")
# Minutes after midnight: submitted in the morning, reviewed and approved in the afternoon, paid at five.
SUBMIT_MINUTES, REVIEW_MINUTES, APPROVE_MINUTES = (510, 690), (810, 899), (900, 989)
PAY_MINUTE, CLOSE_MINUTE, RETURN_MINUTE = 1020, 1050, 600
STIPEND_CLAIM_DAYS = 30  # masters claim within this many days of the agreement's end


def _value(choice) -> str:
    return choice.value if hasattr(choice, "value") else choice


class Rules:
    """The subsidy rules, loaded once, chosen exactly as training.rules chooses them (the same ordering
    and the same "most specific wins"), by the day that decides."""

    def __init__(self) -> None:
        self.rules = list(SubsidyRule.objects.all())  # the model's ordering, as rules_in_force has it
        self.cache: dict[tuple, SubsidyRule | None] = {}

    def pick(self, kind: str, day: datetime.date, *, level=None, **wanted) -> SubsidyRule | None:
        key = (kind, day, level, tuple(sorted(wanted.items())))
        if key not in self.cache:
            candidates = [
                r
                for r in self.rules
                if r.kind == kind
                and r.valid_from <= day
                and (r.valid_to is None or r.valid_to >= day)
                and (level is None or r.level == level)
            ]
            self.cache[key] = _most_specific(candidates, **wanted)
        return self.cache[key]


@dataclass
class Payee:
    worker_id: int
    district_id: int
    name: str
    token: bytes

    @cached_property
    def account(self) -> str:
        return crypto.decrypt(self.token)


@dataclass(frozen=True)
class Outcome:
    status: str
    submitted: int  # day ordinal
    last: int  # the day of the last step taken


CLAIM_FIELDS = (
    "id", "kind", "status", "worker_id", "district_id", "amount", "rule_id", "reference_date", "certificate_id",
    "subsidy_occupation", "subsidy_level", "apprenticeship_id", "award_id", "award_title_id", "submitted_at", "submitted_by_id", "submitted_online", "reviewed_at", "reviewed_by_id", "approved_at",
    "approved_by_id", "paid_at", "closed_reason", "note",
)  # fmt: skip
TUITION_FIELDS = ("claim_id", "degree", "institution", "major", "tuition_paid", "paid_on", "relevant_to_job",
                  "receipt", "receipt_name", "receipt_sha256", "claim_live")  # fmt: skip
# The account an attempt went to is the worker's (plain here: the writer encrypts and hashes it).
PAYMENT_FIELDS = ("batch_id", "claim_id", "amount", "status", "paid_at", "returned_at", "return_reason",
                  "bank_reference", "payee_name", "payee_account", "account_reconfirmed_at",
                  "account_reconfirmed_by_id", "account_reconfirm_reason")  # fmt: skip
#: Why a clerk let a returned claim go to the same account again (the worker's account did not change).
RECONFIRM_REASON = "已电话核实账户可正常入账"
BATCH_FIELDS = (
    "id",
    "district_id",
    "status",
    "created_at",
    "created_by_id",
    "sent_at",
    "sent_by_id",
    "reconciled_at",
    "closed_at",
    "note",
)


@dataclass
class Staff:
    """Synthetic union staff: per district a clerk (submits at the counter), a reviewer and an approver;
    for the city an approver (amounts above the threshold) and a payment clerk (city-wide batches)."""

    clerk: dict[int, int]
    reviewer: dict[int, int]
    approver: dict[int, int]
    city_approver: int
    city_payments: int

    @classmethod
    def ensure(cls, district_names: dict[int, str], codes: dict[int, str]) -> Staff:
        from portal.choices import Role
        from portal.models import User

        def account(username: str, role: str, district_id: int | None, label: str) -> int:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(
                    username=username, role=role, district_id=district_id, first_name=label, is_active=False
                )
                user.set_unusable_password()
                user.save()
            return user.pk

        staff = cls({}, {}, {}, 0, 0)
        for district_id, name in district_names.items():
            code = codes[district_id]
            for role_name, label, target in (
                ("clerk", "经办", staff.clerk),
                ("reviewer", "审核", staff.reviewer),
                ("approver", "审批", staff.approver),
            ):
                target[district_id] = account(
                    f"seed_{code}_{role_name}",
                    Role.DISTRICT_STAFF,
                    district_id,
                    f"{name}总工会{label}（合成）",
                )
        staff.city_approver = account("seed_city_approver", Role.CITY_STAFF, None, "市总工会审批（合成）")
        staff.city_payments = account("seed_city_payments", Role.CITY_STAFF, None, "市总工会资金发放（合成）")
        return staff


class Claims:
    """Claims with the dates, people, payments and batches their status implies."""

    def __init__(self, seed: TrainingSeed, rng: random.Random, out) -> None:
        self.seed, self.rng, self.out = seed, rng, out
        self.rules = Rules()
        self.ids = IdBlocks(seed.writer, Claim, seed.batch_size)
        self.batch_ids = IdBlocks(seed.writer, PaymentBatch, 64)
        self.batches: dict[tuple, int] = {}  # (district or None, "closed" / "sent" / "open", day) -> id
        self.pay_days = seed.pay_days
        self.covered: dict[str, set[str]] = defaultdict(set)
        self.paid_in_window: Counter = Counter()  # kind -> yuan paid in the window
        self.threshold = Decimal(settings.CLAIM_CITY_APPROVAL_THRESHOLD)
        self.bank_serial = 0

    def complete(self, kind: str) -> bool:
        return len(self.covered[kind]) == len(ClaimStatus.values)

    # Dates ------------------------------------------------------------------------------------------------

    def _dates(self, status: str, a: int, b: int) -> dict | None:
        """Day ordinals of a claim's steps, submitted within [a, b]; None if the status cannot fit."""
        rng, as_of, days = self.rng, self.seed.as_of, self.pay_days
        b = min(b, as_of)
        if a > b:
            return None
        if status in (CS.PAID, CS.RETURNED):
            # Paid in the first batch after approval; a batch is made two days before its pay day, so the
            # claim is approved at least three days before. A returned payment needs days for the return.
            usable = bisect.bisect_right(days, as_of - 12 if status == CS.RETURNED else as_of)
            if not usable:
                return None
            last_pay = days[usable - 1]
            high = min(b, last_pay - 3)
            if a > high:
                return None
            submitted = between(rng, a, high)
            reviewed = submitted + between(rng, 0, min(10, high - submitted))
            approved = reviewed + between(rng, 0, min(7, high - reviewed))
            paid = days[bisect.bisect_left(days, approved + 3)]
            out = {"s": submitted, "r": reviewed, "ap": approved, "p": paid}
            if status == CS.RETURNED:
                out["q"] = paid + between(rng, 2, min(10, as_of - 1 - paid))
                out["rebatch"] = out["q"] <= as_of - 4 and rng.random() < 0.3
            elif rng.random() < REPAID_SHARE:
                later = days[bisect.bisect_right(days, paid + 7) :]
                if later:
                    again = later[int(rng.random() * min(len(later), 3))]
                    out.update(first=paid, q=paid + between(rng, 2, again - paid - 3), p=again)
            return out
        if status == CS.APPROVED:
            low, high = max(a, as_of - 40), min(b, as_of - 1)
            if low > high:
                return None
            submitted = between(rng, low, high)
            reviewed = submitted + between(rng, 0, min(7, as_of - 1 - submitted))
            approved = reviewed + between(rng, 0, min(7, as_of - 1 - reviewed))
            draw, batch = rng.random(), None
            if approved <= as_of - 4 and draw < 0.4:
                batch = "sent"
            elif draw < 0.65:
                batch = "open"
            return {"s": submitted, "r": reviewed, "ap": approved, "batch": batch}
        if status == CS.REVIEWED:
            low = max(a, as_of - 25)
            if low > b:
                return None
            submitted = between(rng, low, b)
            return {"s": submitted, "r": submitted + between(rng, 0, min(10, as_of - submitted))}
        if status == CS.SUBMITTED:
            low = max(a, as_of - 14)
            return None if low > b else {"s": between(rng, low, b)}
        if status == CS.REJECTED:
            submitted = between(rng, a, b)
            decided = submitted + between(rng, 0, min(20, as_of - submitted))
            return {"s": submitted, "r": decided if rng.random() < 0.5 else None, "last": decided}
        # Cancelled: approved, then withdrawn before any batch took it.
        submitted = between(rng, a, b)
        reviewed = submitted + between(rng, 0, min(10, as_of - submitted))
        approved = reviewed + between(rng, 0, min(7, as_of - reviewed))
        return {
            "s": submitted,
            "r": reviewed,
            "ap": approved,
            "last": approved + between(rng, 0, min(10, as_of - approved)),
        }

    def _choose(self, kind: str, a: int, b: int, stretch: int, status, exclude) -> tuple[str, dict] | None:
        if status is not None:
            order = [status]
        else:
            allowed = [(s, w) for s, w in STATUS_WEIGHTS if s not in exclude]
            missing = [s for s in COVERAGE_ORDER if s not in self.covered[kind] and s not in exclude]
            # A status the kind still lacks may take the claim later than usual, up to `stretch`.
            for candidate in missing:
                dates = self._dates(candidate, a, b) or self._dates(candidate, a, max(b, stretch))
                if dates is not None:
                    return _value(candidate), dates
            order = [weighted(self.rng, allowed)]
        for candidate in order:
            dates = self._dates(candidate, a, b)
            if dates is not None:
                return _value(candidate), dates
        if status is not None:
            return None
        # What the dates allow instead: too recent to be paid is mostly still pending, too old to be
        # pending mostly paid.
        rest = [(s, w) for s, w in FALLBACK_WEIGHTS if s not in exclude and s not in order]
        while rest:
            candidate = weighted(self.rng, rest)
            dates = self._dates(candidate, a, b)
            if dates is not None:
                return _value(candidate), dates
            rest = [(s, w) for s, w in rest if s != candidate]
        return None

    # Batches ------------------------------------------------------------------------------------------------

    def _batch(self, district_id: int | None, kind: str, day: int = 0) -> int:
        key = (district_id, kind, day)
        if key not in self.batches:
            self.batches[key] = self.batch_ids.take()
        return self.batches[key]

    def write_batches(self, staff: Staff) -> None:
        as_of, rows, created = self.seed.as_of, [], {}
        # The last pay day's batches are reconciled but not yet closed.
        last_settled = max((day for (_d, kind, day) in self.batches if kind == "closed"), default=None)
        for (district_id, kind, day), batch_id in sorted(self.batches.items(), key=lambda item: item[1]):
            by = staff.city_payments if district_id is None else staff.clerk[district_id]
            # The city's payment staff send every batch (and someone else reconciles it).
            sender = staff.city_payments
            if kind == "closed" and day == last_settled:
                row = (batch_id, district_id, BatchStatus.RECONCILED.value, moment(day - 2, 540), by,
                       moment(day - 1, 600), sender, moment(day, CLOSE_MINUTE), None, "")  # fmt: skip
            elif kind == "closed":
                row = (batch_id, district_id, BatchStatus.CLOSED.value, moment(day - 2, 540), by, moment(day - 1, 600),
                       sender, moment(day, CLOSE_MINUTE), moment(day, CLOSE_MINUTE), "")  # fmt: skip
            elif kind == "sent":
                row = (batch_id, district_id, BatchStatus.SENT.value, moment(as_of - 3, 540), by,
                       moment(as_of - 2, 600), sender, None, None, "")  # fmt: skip
            else:
                row = (batch_id, district_id, BatchStatus.OPEN.value, moment(as_of, 540), by, None, None, None, None,
                       "")  # fmt: skip
            rows.append(row)
            created[batch_id] = row[3]
        self.seed.writer.write(PaymentBatch, BATCH_FIELDS, rows)
        if isinstance(self.seed.writer, DjangoWriter):
            # bulk_create stamps auto_now_add with the real time; a batch must predate its payments.
            for batch_id, created_at in created.items():
                PaymentBatch.objects.filter(pk=batch_id).update(created_at=created_at)
        self.seed.stats["training_batches"] += len(rows)

    def _bank_reference(self, day: int) -> str:
        self.bank_serial += 1
        return f"NB{datetime.date.fromordinal(day):%Y%m%d}{self.bank_serial:08d}"

    # One claim ------------------------------------------------------------------------------------------------

    def add(
        self,
        *,
        kind: str,
        payee: Payee,
        rule: SubsidyRule,
        amount: Decimal,
        reference_date: datetime.date,
        window: tuple[int, int],
        stretch: int = 0,
        status=None,
        exclude: tuple = (),
        certificate_id: int | None = None,
        occupation: str = "",
        level: int | None = None,
        apprenticeship_id: int | None = None,
        award_id: int | None = None,
        award_title_id: int | None = None,
        tuition: tuple | None = None,
    ) -> Outcome | None:
        chosen = self._choose(kind, window[0], window[1], stretch, status, exclude)
        if chosen is None:
            return None
        status, d = chosen
        rng, staff = self.rng, self.seed.staff
        claim_id = self.ids.take()
        district_id = payee.district_id
        online = rng.random() < ONLINE_SHARE
        submitter = None if online else staff.clerk[district_id]
        reviewer = (
            rng.choice((staff.clerk[district_id], staff.reviewer[district_id]))
            if online
            else staff.reviewer[district_id]
        )
        approver = staff.city_approver if amount > self.threshold else staff.approver[district_id]
        reviewed, approved = d.get("r"), d.get("ap")
        reason = ""
        if status == CS.REJECTED:
            reason = rng.choice(REJECT_REASONS[ClaimKind(kind)])
        elif status == CS.CANCELLED:
            reason = rng.choice(CANCEL_REASONS)
        elif "q" in d:
            reason = rng.choice(RETURN_REASONS)
        self.out.add(Claim, CLAIM_FIELDS, (
            claim_id, kind, status, payee.worker_id, district_id, amount, rule.pk, reference_date, certificate_id,
            occupation, level, apprenticeship_id, award_id, award_title_id,
            moment(d["s"], between(rng, *SUBMIT_MINUTES)), submitter, online,
            moment(reviewed, between(rng, *REVIEW_MINUTES)) if reviewed is not None else None,
            reviewer if reviewed is not None else None,
            moment(approved, between(rng, *APPROVE_MINUTES)) if approved is not None else None,
            approver if approved is not None else None,
            moment(d["p"], PAY_MINUTE) if status == CS.PAID else None, reason, "",
        ))  # fmt: skip
        if tuition is not None:
            # Its receipt, as claim_submit requires; a rejected or cancelled claim frees it (claim_live).
            self.out.add(TuitionDetail, TUITION_FIELDS, (
                claim_id, *tuition, True, *seed_receipt(claim_id), status not in CLOSED,
            ))  # fmt: skip
        # Money goes through city-wide batches when the city approved it, else through the district's.
        batch_district = None if approver == staff.city_approver else district_id
        if "p" in d:
            first = d.get("first", d["p"])
            if status == CS.RETURNED or "first" in d:
                # Sent again to the same account: only after a clerk confirmed it again (the account did not change).
                again = "first" in d or d.get("rebatch")
                self.out.add(Payment, PAYMENT_FIELDS, (
                    self._batch(batch_district, "closed", first), claim_id, amount, PaymentStatus.RETURNED.value,
                    moment(first, PAY_MINUTE), moment(d["q"], RETURN_MINUTE), reason, self._bank_reference(first),
                    payee.name, payee.account, moment(d["q"], RETURN_MINUTE + 60) if again else None,
                    staff.clerk[district_id] if again else None, RECONFIRM_REASON if again else "",
                ))  # fmt: skip
            if status == CS.PAID:
                self.out.add(Payment, PAYMENT_FIELDS, (
                    self._batch(batch_district, "closed", d["p"]), claim_id, amount, PaymentStatus.PAID.value,
                    moment(d["p"], PAY_MINUTE), None, "", self._bank_reference(d["p"]), payee.name, payee.account,
                    None, None, "",
                ))  # fmt: skip
                self.paid_in_window[kind] += amount
        if d.get("rebatch"):
            d["batch"] = "sent"
        if d.get("batch"):
            # The account is taken when a batch is sent; an open batch's payments have none yet.
            sent = d["batch"] == "sent"
            self.out.add(Payment, PAYMENT_FIELDS, (
                self._batch(batch_district, d["batch"]), claim_id, amount, PaymentStatus.PENDING.value,
                None, None, "", "", payee.name if sent else "", payee.account if sent else None, None, None, "",
            ))  # fmt: skip
        self.covered[kind].add(status)
        self.seed.stats[f"training_claims_{kind}_{status}"] += 1
        last = max(v for k, v in d.items() if k in ("s", "r", "ap", "p", "q", "last") and v is not None)
        return Outcome(status, d["s"], last)

    # Claims of each kind --------------------------------------------------------------------------------

    def skill_subsidies(self, rng, payee: Payee, held: list[tuple]) -> None:
        """Most workers claim a few weeks after the certificate, some only near the deadline. Claims
        submitted before the window are not in the records (they were paid before the reference year)."""
        seed = self.seed
        earliest, claims_this_year = 0, 0
        for _, cert_id, level, occupation, issued, revoked in held:
            rule = self.rules.pick(ClaimKind.SKILL_SUBSIDY, issued, level=level, program_type="")
            if rule is None or rng.random() >= SKILL_TAKE_UP:
                continue
            issued_day = issued.toordinal()
            deadline = seed.as_of + 365
            if rule.window_months:
                deadline = add_months(issued, rule.window_months).toordinal()
            if revoked is not None:  # a revoked certificate earns nothing from the day it is revoked
                deadline = min(deadline, revoked.toordinal() - 1)
            submitted = issued_day + int(rng.expovariate(1 / SKILL_CLAIM_DELAY_DAYS))
            if submitted > deadline:
                submitted = issued_day + int(rng.random() * (deadline - issued_day + 1))
            # Later certificates (higher levels) are claimed after earlier ones: a lower level never
            # follows a paid higher one.
            first, last = max(submitted, earliest), min(deadline, seed.as_of)
            if first < seed.year_start - EARLY_CLAIM_DAYS or first > last:
                continue
            window = (first, min(first + 7, last))
            for _attempt in range(3):
                if rule.yearly_limit is not None and claims_this_year >= rule.yearly_limit:
                    return
                outcome = self.add(
                    kind=ClaimKind.SKILL_SUBSIDY.value, payee=payee, rule=rule, amount=rule.amount,
                    reference_date=issued, window=window, stretch=last, certificate_id=cert_id, occupation=occupation,
                    level=level,
                )  # fmt: skip
                if outcome is None:
                    break
                claims_this_year += 1
                earliest = max(earliest, outcome.submitted)
                if outcome.status not in CLOSED or not self.again(rng, ClaimKind.SKILL_SUBSIDY):
                    break
                # Rejected or cancelled: the worker tries again before the deadline.
                first = outcome.last + 1 + int(rng.random() * 20)
                earliest = max(earliest, first)
                if first > last:
                    break
                window = (first, min(first + 7, last))

    def again(self, rng, kind) -> bool:
        return not self.complete(kind.value) or rng.random() < RESUBMIT_SHARE

    def tuition(self, rng, payee: Payee, education: str) -> None:
        degree = TUITION_NEXT.get(education)
        chance = TUITION_SHARE * (0.3 if degree == Degree.MASTER else 1)
        if degree is None or rng.random() >= chance:
            return
        seed = self.seed
        paid_on = between(rng, seed.year_start - 120, seed.as_of - 10)  # the fee, paid for a term
        submitted = paid_on + int(rng.expovariate(1 / TUITION_CLAIM_DELAY_DAYS))
        if not seed.year_start - EARLY_CLAIM_DAYS <= submitted <= seed.as_of:
            return
        low, high = TUITION_RANGE[degree]
        tuition_paid = Decimal(between(rng, low, high) * 100)
        rule = self.rules.pick(ClaimKind.TUITION, date_of(paid_on))
        if rule is None or rule.rate is None:
            return
        amount = (tuition_paid * rule.rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if rule.cap is not None:
            amount = min(amount, rule.cap)
        detail = (
            degree.value,
            rng.choice(INSTITUTIONS[degree]),
            rng.choice(MAJORS),
            tuition_paid,
            date_of(paid_on),
        )
        self.add(
            kind=ClaimKind.TUITION.value, payee=payee, rule=rule, amount=amount, reference_date=date_of(paid_on),
            window=(submitted, min(submitted + 7, seed.as_of)), stretch=min(paid_on + 365, seed.as_of),
            tuition=detail,
        )  # fmt: skip

    def award(self, rng, payee: Payee, award: tuple) -> None:
        _, award_id, title_id, year, locally_trained = award
        reference = datetime.date(year, 12, 31)
        rule = self.rules.pick(
            ClaimKind.CRAFTSMAN_AWARD,
            reference,
            district_id=payee.district_id,
            title_id=title_id,
            locally_trained=locally_trained,
        )
        if rule is None:
            return
        first = self.seed.year_start
        for _attempt in range(3):
            outcome = self.add(
                kind=ClaimKind.CRAFTSMAN_AWARD.value, payee=payee, rule=rule, amount=rule.amount,
                reference_date=reference, window=(first, self.seed.as_of), award_id=award_id,
                award_title_id=title_id,
            )  # fmt: skip
            if (
                outcome is None
                or outcome.status not in CLOSED
                or not self.again(rng, ClaimKind.CRAFTSMAN_AWARD)
            ):
                return
            first = outcome.last + 1

    # Enterprises one by one: master-apprentice pairs and their stipends ---------------------------------

    def stipend(self, rng, *, master: Payee, apprenticeship_id: int, ends: int, fate: str) -> None:
        """The master's stipend claim for an agreement that ended on ``ends``: paid (fate "paid"), or any
        other status ("claimed"); a rejected or cancelled claim may be submitted again."""
        seed, as_of = self.seed, self.seed.as_of
        pair_id, payee = apprenticeship_id, master
        rule = self.rules.pick(ClaimKind.APPRENTICESHIP_STIPEND, date_of(ends))
        if rule is None:
            return
        kind = ClaimKind.APPRENTICESHIP_STIPEND
        first = max(ends, seed.year_start - EARLY_CLAIM_DAYS)
        for _attempt in range(3):
            outcome = self.add(
                kind=kind.value, payee=payee, rule=rule, amount=rule.amount, reference_date=date_of(ends),
                window=(first, min(first + STIPEND_CLAIM_DAYS, as_of)), stretch=as_of, status=CS.PAID if fate == "paid" else None,
                exclude=() if fate == "paid" else (CS.PAID,), apprenticeship_id=pair_id,
            )  # fmt: skip
            if outcome is None or outcome.status not in CLOSED or not self.again(rng, kind):
                return
            first, fate = outcome.last + 1, "claimed"  # a resubmission is not one of the wanted payments
