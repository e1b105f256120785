"""Synthetic mediation for the city seeder: committees, their members, cases with their timelines.

Reproduces the report's shape: about 96% of above-scale enterprises with a union have a standing
mediation committee on the reference date, and about 83% of the transferred cases (from arbitration
commissions and courts) that were accepted end in a mediation agreement. Cases cover every dispute
type, source and state; their dates follow the 15-day limit (most concluded in time, some after an
agreed extension, a few late), and cases received shortly before the reference date are still open.

``generate(seed)`` takes a :class:`MediationSeed` (a random stream, the reference date, the
enterprises with their above-scale / union flags, worker ids per enterprise, and a writer's
``write(model, fields, rows)`` and ``reserve_ids(model, count)``) and writes rows in batches, the way
the city's other steps do (seed/writers.py), so COPY on PostgreSQL and bulk_create elsewhere both serve.
``seed_step(ctx)`` adapts the city seeder's SeedContext; ``from_registry()`` builds the input from
whatever the registry holds (tests, demos).
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.management.color import no_style
from django.db import connection, models

from mediation.choices import (
    TRANSFERRED_SOURCES,
    CaseSource,
    CaseStatus,
    CommitteeKind,
    DisputeType,
    EventType,
    MemberRole,
)
from mediation.deadlines import MEDIATION_DAYS, extension_cap_days
from mediation.models import (
    CaseApplicant,
    CaseEvent,
    CaseNumberCounter,
    CommitteeMember,
    DisputeCase,
    MediationCommittee,
)
from mediation.numbering import district_short_name, format_number
from seed.steps import EnterprisePlan, SeedStep

#: Parents first: the seeder empties them in reverse order on --reset.
MODELS = (
    "mediation.MediationCommittee",
    "mediation.CommitteeMember",
    "mediation.DisputeCase",
    "mediation.CaseApplicant",
    "mediation.CaseEvent",
    "mediation.CaseNumberCounter",
)

COMMITTEE_SHARE_ABOVE_SCALE_UNION = 0.96  # (seed) the report's coverage
COMMITTEE_SHARE_OTHER_UNION = 0.25
DISSOLVED_SHARE = 0.015  # of enterprises without a standing committee: one that was dissolved
STREET_BODIES_PER_DISTRICT = (6, 12)
PEOPLES_BODIES_PER_DISTRICT = 2
CASES_PER_THOUSAND_WORKERS_PER_YEAR = 5.0
CASE_YEARS = 1.5  # cases received in the last year and a half before the reference date
TRANSFERRED_AGREEMENT_SHARE = 0.83  # (seed) transferred cases closed by mediation
SAMPLE_WORKERS_PER_ENTERPRISE = 8  # the adapter's reservoir: applicants are drawn from these

SOURCES = (
    (CaseSource.WALK_IN, 45), (CaseSource.ONLINE, 25),
    (CaseSource.ARBITRATION_TRANSFER, 20), (CaseSource.COURT_TRANSFER, 10),
)  # fmt: skip
TYPES = (
    (DisputeType.PAY, 45), (DisputeType.DISMISSAL, 18), (DisputeType.WORKING_CONDITIONS, 14),
    (DisputeType.CONTRACT, 12), (DisputeType.EMPLOYMENT_RELATIONSHIP, 7), (DisputeType.OTHER, 4),
)  # fmt: skip
#: Outcome shares of cases not transferred: agreement, failed, withdrawn, rejected.
OTHER_OUTCOMES = ((CaseStatus.AGREEMENT, 64), (CaseStatus.FAILED, 16), (CaseStatus.WITHDRAWN, 12),
                  (CaseStatus.REJECTED, 8))  # fmt: skip
CLAIMS = {
    DisputeType.PAY: ("要求支付拖欠的工资", "要求支付加班费", "要求支付工伤医疗费"),
    DisputeType.DISMISSAL: ("要求支付违法解除劳动合同赔偿金", "要求支付经济补偿金"),
    DisputeType.WORKING_CONDITIONS: ("要求补缴社会保险费", "要求安排带薪年休假", "要求改善劳动保护条件"),
    DisputeType.CONTRACT: ("要求签订书面劳动合同", "要求支付未签劳动合同二倍工资"),
    DisputeType.EMPLOYMENT_RELATIONSHIP: ("要求确认与企业存在劳动关系",),
    DisputeType.OTHER: ("要求退还押金", "要求出具离职证明"),
}
MEAN_CLAIM = {DisputeType.PAY: 9000, DisputeType.DISMISSAL: 32000, DisputeType.WORKING_CONDITIONS: 6000,
              DisputeType.CONTRACT: 18000, DisputeType.OTHER: 2000}  # fmt: skip
STREETS = ("街道", "镇", "乡")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕"


@dataclass(frozen=True)
class EnterpriseInfo:
    id: int
    district_id: int
    above_scale: bool
    has_union: bool


@dataclass
class MediationSeed:
    rng: random.Random
    as_of: datetime.date
    enterprises: Sequence[EnterpriseInfo]
    #: current workers per enterprise (all of them, or a sample); applicants are drawn from these
    workers_by_enterprise: Mapping[int, Sequence[int]]
    #: district id -> name (北仑区), for the case numbers
    district_names: Mapping[int, str]
    write: Callable[[type[models.Model], Sequence[str], Sequence[tuple]], None]
    reserve_ids: Callable[[type[models.Model], int], int]
    #: enterprise id -> number of workers, to spread cases by size; default: the lists' lengths
    worker_counts: Mapping[int, int] | None = None
    timestamp: datetime.datetime | None = None
    batch_size: int = 5000
    cases_per_thousand_workers_per_year: float = CASES_PER_THOUSAND_WORKERS_PER_YEAR
    #: transferring bodies' case numbers handed out so far per day (they must be unique at city scale)
    transfer_numbers: dict = field(default_factory=dict)
    stats: Counter = field(default_factory=Counter)


# --- Helpers ----------------------------------------------------------------------------------------------


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _days(day: datetime.date, n: int) -> datetime.date:
    return day + datetime.timedelta(days=n)


class _Batches:
    """Rows per model, written when a batch is full and at the end."""

    def __init__(self, seed: MediationSeed) -> None:
        self.seed = seed
        self.rows: dict[tuple[type[models.Model], tuple[str, ...]], list[tuple]] = defaultdict(list)

    def add(self, model, fields: tuple[str, ...], row: tuple) -> None:
        rows = self.rows[(model, fields)]
        rows.append(row)
        self.seed.stats[model._meta.label] += 1
        if len(rows) >= self.seed.batch_size:
            # Everything pending, parents first: a member's committee must be written before it.
            self.flush_all()

    def flush(self, model, fields) -> None:
        rows = self.rows[(model, fields)]
        if rows:
            self.seed.write(model, fields, rows)
            rows.clear()

    def flush_all(self) -> None:
        # Parents first, as the foreign keys need.
        order = {label: i for i, label in enumerate(MODELS)}
        for model, fields in sorted(self.rows, key=lambda key: order[key[0]._meta.label]):
            self.flush(model, fields)


# --- Committees ---------------------------------------------------------------------------------------------

COMMITTEE_FIELDS = ("id", "kind", "name", "enterprise_id", "district_id", "established_on", "dissolved_on", "note",
                    "created_at", "updated_at")  # fmt: skip
MEMBER_FIELDS = ("committee_id", "name", "role", "union_member")


def _committees(seed: MediationSeed, out: _Batches) -> dict[int, list[tuple[int, int | None, datetime.date]]]:
    """Write committees and members; district id -> [(committee id, enterprise id or None, established on)]."""
    rng, as_of, stamp = seed.rng, seed.as_of, seed.timestamp
    planned: list[tuple] = []
    for firm in seed.enterprises:
        if not firm.has_union:
            continue
        share = COMMITTEE_SHARE_ABOVE_SCALE_UNION if firm.above_scale else COMMITTEE_SHARE_OTHER_UNION
        if rng.random() < share:
            established = _days(as_of, -rng.randint(30, 12 * 365))
            planned.append((CommitteeKind.ENTERPRISE, firm, established, None))
        elif rng.random() < DISSOLVED_SHARE / max(1 - share, 1e-9):
            established = _days(as_of, -rng.randint(3 * 365, 10 * 365))
            dissolved = _days(established, rng.randint(365, 2 * 365))
            planned.append((CommitteeKind.ENTERPRISE, firm, established, dissolved))
    # Street, industrial-community and people's bodies serve the districts that have enterprises.
    for district_id in sorted({firm.district_id for firm in seed.enterprises}):
        short = district_short_name(seed.district_names[district_id])
        for n in range(rng.randint(*STREET_BODIES_PER_DISTRICT)):
            founded = _days(as_of, -rng.randint(365, 15 * 365))
            planned.append(
                (CommitteeKind.STREET, district_id, founded, f"{short}第{n + 1}{rng.choice(STREETS)}")
            )
        founded = _days(as_of, -rng.randint(200, 6 * 365))
        planned.append((CommitteeKind.INDUSTRIAL_COMMUNITY, district_id, founded, f"{short}产业社区"))
        for n in range(PEOPLES_BODIES_PER_DISTRICT):
            founded = _days(as_of, -rng.randint(365, 20 * 365))
            planned.append((CommitteeKind.PEOPLES, district_id, founded, f"{short}第{n + 1}社区"))

    first_id = seed.reserve_ids(MediationCommittee, len(planned))
    standing: dict[int, list[tuple[int, int | None, datetime.date]]] = defaultdict(list)
    names = {
        CommitteeKind.STREET: "{}劳动争议调解中心",
        CommitteeKind.INDUSTRIAL_COMMUNITY: "{}劳动争议调解室",
        CommitteeKind.PEOPLES: "{}人民调解委员会",
    }
    for offset, (kind, owner, established, extra) in enumerate(planned):
        committee_id = first_id + offset
        if kind == CommitteeKind.ENTERPRISE:
            firm, dissolved = owner, extra
            name, district_id, enterprise_id = f"企业{firm.id}劳动争议调解委员会", firm.district_id, firm.id
            seed.stats["committees_enterprise"] += 1
            seed.stats["committees_above_scale_union"] += firm.above_scale and dissolved is None
        else:
            district_id, enterprise_id, dissolved = owner, None, None
            name = names[kind].format(extra)
        out.add(MediationCommittee, COMMITTEE_FIELDS, (
            committee_id, kind.value, name, enterprise_id, district_id, established, dissolved, "", stamp, stamp,
        ))  # fmt: skip
        if dissolved is None:
            standing[district_id].append((committee_id, enterprise_id, established))
        out.add(CommitteeMember, MEMBER_FIELDS, (committee_id, _person(rng), MemberRole.CHAIR.value, True))
        for _ in range(rng.randint(1, 3)):
            out.add(CommitteeMember, MEMBER_FIELDS, (
                committee_id, _person(rng), MemberRole.WORKER_REPRESENTATIVE.value, rng.random() < 0.9,
            ))  # fmt: skip
        for _ in range(rng.randint(1, 2)):
            out.add(CommitteeMember, MEMBER_FIELDS, (
                committee_id, _person(rng), MemberRole.EMPLOYER_REPRESENTATIVE.value, rng.random() < 0.1,
            ))  # fmt: skip
    return standing


# --- Cases --------------------------------------------------------------------------------------------------

CASE_FIELDS = (
    "id", "number", "district_id", "year", "sequence", "enterprise_id", "dispute_type", "claim", "claimed_amount",
    "source", "external_reference", "committee_id", "status", "received_on", "accepted_on", "concluded_on",
    "due_on", "extension_reason", "outcome", "agreed_amount", "rejection_reason", "referred_on", "litigation_on",
    "created_by_id", "created_at", "updated_at",
)  # fmt: skip
APPLICANT_FIELDS = ("case_id", "worker_id")
EVENT_FIELDS = (
    "case_id",
    "event_type",
    "occurred_on",
    "recorded_at",
    "by_id",
    "text",
    "file",
    "file_name",
    "due_on",
    "internal",
)
COUNTER_FIELDS = ("district_id", "year", "last")


@dataclass
class _Case:
    received_on: datetime.date
    district_id: int
    enterprise_id: int
    applicants: list[int]
    source: str
    dispute_type: str
    values: dict = field(default_factory=dict)
    events: list[tuple] = field(default_factory=list)


def _transfer_number(seed: MediationSeed, received: datetime.date) -> str:
    """The transferring body's number: a running number per day, so thousands a day never collide."""
    seed.transfer_numbers[received] = seed.transfer_numbers.get(received, 0) + 1
    return f"TR{received:%Y%m%d}-{seed.transfer_numbers[received]:06d}"


def _plan_case(
    seed: MediationSeed, case: _Case, committees: list[tuple[int, int | None, datetime.date]]
) -> None:
    """Status, dates, outcome and timeline of one case, cut off at the reference date."""
    rng, as_of = seed.rng, seed.as_of
    received = case.received_on
    transferred = case.source in TRANSFERRED_SOURCES
    if transferred:
        outcome = (
            CaseStatus.AGREEMENT
            if rng.random() < TRANSFERRED_AGREEMENT_SHARE
            else _weighted(rng, ((CaseStatus.FAILED, 60), (CaseStatus.WITHDRAWN, 40)))
        )
    else:
        outcome = _weighted(rng, OTHER_OUTCOMES)
    mean = MEAN_CLAIM.get(case.dispute_type)
    claimed = None
    if mean is not None:
        claimed = Decimal(round(rng.lognormvariate(0, 0.6) * mean / 1.2, -1)).quantize(Decimal("0.01"))
    due = _days(received, MEDIATION_DAYS)
    own = [c for c in committees if c[1] == case.enterprise_id and c[2] <= received]
    bodies = [c for c in committees if c[1] is None and c[2] <= received]
    pool = own if own and rng.random() < 0.75 else bodies or own
    committee_id = rng.choice(pool)[0] if pool else None
    values = {
        "claimed_amount": claimed, "committee_id": committee_id, "status": CaseStatus.APPLIED, "accepted_on": None,
        "concluded_on": None, "due_on": due, "extension_reason": "", "outcome": "", "agreed_amount": None,
        "rejection_reason": "", "referred_on": None, "litigation_on": None,
        "external_reference": _transfer_number(seed, received) if transferred else "",
    }  # fmt: skip
    events = [(EventType.APPLIED, received, "", due)]

    def reached(day: datetime.date) -> bool:
        return day <= as_of

    def finish():
        case.values.update(values)
        case.events.extend(events)

    if outcome == CaseStatus.REJECTED or committee_id is None:
        day = _days(received, rng.randint(1, 5))
        if reached(day):
            reason = "不属于劳动争议调解范围" if committee_id else "无可受理的调解组织"
            values.update(
                status=CaseStatus.REJECTED, rejection_reason=reason, concluded_on=day, committee_id=None
            )
            events.append((EventType.REJECTED, day, reason, None))
        return finish()
    if outcome == CaseStatus.WITHDRAWN and rng.random() < 0.3:
        day = _days(received, rng.randint(1, 4))  # withdrawn before acceptance
        if reached(day):
            values.update(
                status=CaseStatus.WITHDRAWN, outcome="申请人撤回申请", concluded_on=day, committee_id=None
            )
            events.append((EventType.WITHDRAWN, day, "申请人撤回申请", None))
        return finish()
    # Most bodies accept within a day or two; some take most of a week (the limit runs meanwhile).
    accepted = _days(received, rng.randint(0, 2) if rng.random() < 0.8 else rng.randint(3, 7))
    if not reached(accepted):
        return finish()
    values.update(status=CaseStatus.ACCEPTED, accepted_on=accepted)
    events.append((EventType.ACCEPTED, accepted, "", None))
    started = _days(accepted, rng.randint(0, 2) if rng.random() < 0.8 else rng.randint(3, 5))
    if not reached(started):
        return finish()
    values["status"] = CaseStatus.MEDIATING
    events.append((EventType.MEDIATION_STARTED, started, "", None))
    # Most cases end within the limit; some after an agreed extension; a few late.
    lateness = rng.random()
    if lateness < 0.88:
        ended = _days(
            received, rng.randint(max(started - received, datetime.timedelta(1)).days, MEDIATION_DAYS)
        )
    else:
        ended = _days(received, MEDIATION_DAYS + rng.randint(1, extension_cap_days() or 1))
        if lateness < 0.95:
            extended_on = _days(received, rng.randint(max((started - received).days, 8), MEDIATION_DAYS))
            new_due = _days(received, MEDIATION_DAYS + extension_cap_days())
            if reached(extended_on):
                values.update(due_on=new_due, extension_reason="双方同意延长调解期限以补充证据")
                events.append((EventType.EXTENDED, extended_on, "双方同意延长调解期限以补充证据", new_due))
    ended = max(ended, started)
    sessions = sorted(
        _days(started, rng.randint(0, max((ended - started).days, 0))) for _ in range(rng.randint(1, 2))
    )
    for held in sessions:
        if reached(held):
            events.append((EventType.SESSION, held, "组织双方进行调解", None))
    if not reached(ended):
        if values["due_on"] < as_of:
            events.append((EventType.OVERDUE, _days(values["due_on"], 1), "", values["due_on"]))
        return finish()
    if values["due_on"] < ended:  # concluded late: the daily task would have flagged it
        events.append((EventType.OVERDUE, _days(values["due_on"], 1), "", values["due_on"]))
    if outcome == CaseStatus.AGREEMENT:
        base = claimed if claimed is not None else Decimal(0)
        agreed = (base * Decimal(rng.uniform(0.5, 1.0))).quantize(Decimal("0.01"))
        values.update(
            status=CaseStatus.AGREEMENT, agreed_amount=agreed, outcome="双方达成调解协议", concluded_on=ended
        )
        events.append((EventType.AGREEMENT, ended, "双方达成调解协议", None))
    elif outcome == CaseStatus.WITHDRAWN:
        values.update(status=CaseStatus.WITHDRAWN, outcome="申请人撤回申请", concluded_on=ended)
        events.append((EventType.WITHDRAWN, ended, "申请人撤回申请", None))
    else:
        values.update(status=CaseStatus.FAILED, outcome="双方分歧较大，调解不成", concluded_on=ended)
        events.append((EventType.FAILED, ended, "双方分歧较大，调解不成", None))
        if rng.random() < 0.55:
            referred = _days(ended, rng.randint(1, 15))
            if reached(referred):
                values.update(status=CaseStatus.REFERRED_TO_ARBITRATION, referred_on=referred)
                events.append((EventType.REFERRED_TO_ARBITRATION, referred, "当事人申请劳动争议仲裁", None))
                if rng.random() < 0.3:
                    sued = _days(referred, rng.randint(45, 75))
                    if reached(sued):
                        values.update(status=CaseStatus.LITIGATION, litigation_on=sued)
                        events.append((EventType.LITIGATION, sued, "当事人不服仲裁裁决起诉", None))
    return finish()


def _cases(seed: MediationSeed, committees, out: _Batches) -> None:
    rng, as_of, stamp = seed.rng, seed.as_of, seed.timestamp
    counts = seed.worker_counts or {e: len(ids) for e, ids in seed.workers_by_enterprise.items()}
    firms = [f for f in seed.enterprises if seed.workers_by_enterprise.get(f.id)]
    weights = [counts.get(f.id, 0) for f in firms]
    total_workers = sum(weights)
    n_cases = round(total_workers * seed.cases_per_thousand_workers_per_year / 1000 * CASE_YEARS)
    if not firms or n_cases <= 0:
        return
    cumulative = list(itertools.accumulate(weights))
    span = int(CASE_YEARS * 365)
    planned: list[_Case] = []
    for _ in range(n_cases):
        firm = firms[bisect.bisect_right(cumulative, rng.random() * cumulative[-1])]
        staff = seed.workers_by_enterprise[firm.id]
        group = 1 if rng.random() < 0.9 or len(staff) < 2 else rng.randint(2, min(5, len(staff)))
        planned.append(
            _Case(
                received_on=_days(as_of, -rng.randint(0, span)),
                district_id=firm.district_id,
                enterprise_id=firm.id,
                applicants=rng.sample(list(staff), group),
                source=_weighted(rng, SOURCES).value,
                dispute_type=_weighted(rng, TYPES).value,
            )
        )
    # Numbers follow the order of receipt within each district and year.
    planned.sort(key=lambda c: (c.district_id, c.received_on.year, c.received_on))
    first_id = seed.reserve_ids(DisputeCase, len(planned))
    last_number: dict[tuple[int, int], int] = {}
    for offset, case in enumerate(planned):
        _plan_case(seed, case, committees.get(case.district_id, []))
        key = (case.district_id, case.received_on.year)
        sequence = last_number[key] = last_number.get(key, 0) + 1
        case_id = first_id + offset
        v = case.values
        status = v["status"].value if hasattr(v["status"], "value") else v["status"]
        claim = rng.choice(CLAIMS[DisputeType(case.dispute_type)])
        out.add(DisputeCase, CASE_FIELDS, (
            case_id, format_number(seed.district_names[case.district_id], key[1], sequence), case.district_id,
            key[1], sequence, case.enterprise_id, case.dispute_type, claim, v["claimed_amount"], case.source,
            v["external_reference"], v["committee_id"], status, case.received_on, v["accepted_on"],
            v["concluded_on"], v["due_on"], v["extension_reason"], v["outcome"], v["agreed_amount"],
            v["rejection_reason"], v["referred_on"], v["litigation_on"], None, stamp, stamp,
        ))  # fmt: skip
        for worker_id in case.applicants:
            out.add(CaseApplicant, APPLICANT_FIELDS, (case_id, worker_id))
        for event_type, day, text, due_on in case.events:
            out.add(
                CaseEvent,
                EVENT_FIELDS,
                (case_id, event_type.value, day, stamp, None, text, "", "", due_on, False),
            )
        seed.stats[f"cases_{status}"] += 1
        seed.stats[f"cases_source_{case.source}"] += 1
        seed.stats[f"cases_type_{case.dispute_type}"] += 1
        if case.source in TRANSFERRED_SOURCES and v["accepted_on"] is not None:
            seed.stats["transferred_accepted"] += 1
            seed.stats["transferred_agreement"] += status == CaseStatus.AGREEMENT
    for (district_id, year), last in sorted(last_number.items()):
        out.add(CaseNumberCounter, COUNTER_FIELDS, (district_id, year, last))


def generate(seed: MediationSeed) -> Counter:
    """Write committees, members, cases, applicants, timelines and number counters; returns the counts."""
    if seed.timestamp is None:
        seed.timestamp = datetime.datetime.combine(
            seed.as_of, datetime.time(18, 0), tzinfo=datetime.timezone(datetime.timedelta(hours=8))
        )
    out = _Batches(seed)
    committees = _committees(seed, out)
    out.flush_all()  # committees exist before the cases that name them
    _cases(seed, committees, out)
    out.flush_all()
    return seed.stats


# --- Where the input comes from -------------------------------------------------------------------------------


class BulkCreateWriter:
    """write / reserve_ids through the ORM, for tests and small demos (the city seeder brings its own)."""

    def __init__(self) -> None:
        self.next_ids: dict[type[models.Model], int] = {}

    def write(self, model, fields, rows) -> None:
        model._base_manager.bulk_create([model(**dict(zip(fields, row, strict=True))) for row in rows])
        if "id" in fields:
            # Explicit ids do not move PostgreSQL's sequence; the next ordinary insert must not collide.
            statements = connection.ops.sequence_reset_sql(no_style(), [model])
            if statements:
                with connection.cursor() as cursor:
                    for statement in statements:
                        cursor.execute(statement)

    def reserve_ids(self, model, count) -> int:
        highest = model._base_manager.aggregate(top=models.Max("pk"))["top"] or 0
        first = max(highest + 1, self.next_ids.get(model, 1))
        self.next_ids[model] = first + count
        return first


def _sample_workers(rng: random.Random, size: int = SAMPLE_WORKERS_PER_ENTERPRISE):
    """One pass over current workers: counts per enterprise and a reservoir sample of their ids."""
    from workers.models import Worker

    counts: Counter = Counter()
    sample: dict[int, list[int]] = defaultdict(list)
    rows = Worker.objects.filter(left_on__isnull=True).order_by().values_list("enterprise_id", "id")
    for enterprise_id, worker_id in rows.iterator(chunk_size=50_000):
        counts[enterprise_id] += 1
        seen = counts[enterprise_id]
        if seen <= size:
            sample[enterprise_id].append(worker_id)
        else:
            slot = rng.randrange(seen)
            if slot < size:
                sample[enterprise_id][slot] = worker_id
    return dict(sample), dict(counts)


def from_registry(
    *, rng: random.Random, as_of: datetime.date, write=None, reserve_ids=None, **options
) -> MediationSeed:
    """The seed input from the enterprises and workers in the database (one pass over each table)."""
    from portal.models import District
    from workers.models import Enterprise

    writer = BulkCreateWriter()
    enterprises = [
        EnterpriseInfo(pk, district_id, above, union_on is not None and union_on <= as_of)
        for pk, district_id, above, union_on in Enterprise.objects.order_by("pk").values_list(
            "pk", "district_id", "above_scale", "union_established_on"
        )
    ]
    workers, counts = _sample_workers(rng)
    return MediationSeed(
        rng=rng,
        as_of=as_of,
        enterprises=enterprises,
        workers_by_enterprise=workers,
        worker_counts=counts,
        district_names=dict(District.objects.values_list("pk", "name")),
        write=write or writer.write,
        reserve_ids=reserve_ids or writer.reserve_ids,
        **options,
    )


def seed_step(ctx) -> None:
    """The city seeder's step (SEED_STEPS, run by seed/city.py).

    Enterprise flags come from the registry step's plans; worker ids from one pass over the workers
    the registry step has just written (the seeder keeps no worker-to-enterprise map).
    """
    from portal.models import District

    flags_union, flags_above = EnterprisePlan.UNION, EnterprisePlan.ABOVE_SCALE
    enterprises = [
        EnterpriseInfo(plan.first_id + i, district_id, bool(flag & flags_above), bool(flag & flags_union))
        for district_id, plan in ctx.enterprises.items()
        for i, flag in enumerate(plan.flags)
    ]
    rng = ctx.rng("mediation")
    workers, counts = _sample_workers(rng)
    stats = generate(
        MediationSeed(
            rng=rng,
            as_of=ctx.as_of,
            enterprises=enterprises,
            workers_by_enterprise=workers,
            worker_counts=counts,
            district_names=dict(District.objects.values_list("pk", "name")),
            write=ctx.writer.write,
            reserve_ids=ctx.writer.reserve_ids,
            timestamp=ctx.timestamp,
            batch_size=ctx.batch_size,
        )
    )
    for key, value in stats.items():
        ctx.stats[f"mediation_{key}"] += value
    ctx.report(
        "mediation cases", stats.get("mediation.DisputeCase", 0), stats.get("mediation.DisputeCase", 0)
    )


#: Committees and cases follow the registry in the city (seed/city.py).
SEED_STEPS = [SeedStep("mediation", MODELS, seed_step)]
