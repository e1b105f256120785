"""Benchmark of bulk review and approval of 10,000 claims against one hand-written UPDATE, same run."""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import django_setup, migrate, rate, scratch_database, server_url, stopwatch

COPY_TABLE = "bench_claim_copy"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3, help="review + approve this many times; medians")
    parser.add_argument(
        "--database", default="portal_bench_claims", help="created and dropped by the benchmark"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards, for a look")
    args = parser.parse_args()

    print(
        f"bulk review/approve benchmark: {args.claims:,} submitted skill-subsidy claims, {args.rounds} rounds"
    )
    with scratch_database(server_url(), args.database, keep=args.keep) as url:
        print(f"database {args.database}: migrate {migrate(url):.1f} s")
        django_setup(url)
        people, ids = seed(args.claims)
        make_copy()
        rounds = [run_round(people, ids, n) for n in range(1, args.rounds + 1)]
        report(args.claims, rounds)


# --- Seeding: bulk_create in batches, never claim_submit one by one ----------------------------------------


def seed(count: int):
    from django.db import transaction

    from portal.choices import Role
    from portal.models import District, User
    from seed.identifiers import demo_credit_code, demo_id_number
    from training.choices import ClaimKind, ClaimStatus
    from training.models import Claim, SubsidyRule
    from workers.choices import SkillLevel
    from workers.models import Enterprise, SkillCertificate, Worker

    started = time.perf_counter()
    beilun = District.objects.get(code="330206")
    people = {
        name: User.objects.create(username=f"bench_{name}", role=Role.DISTRICT_STAFF, district=beilun)
        for name in ("clerk", "reviewer", "approver")
    }
    rules = {r.level: r for r in SubsidyRule.objects.filter(kind=ClaimKind.SKILL_SUBSIDY)}
    levels = [SkillLevel.JUNIOR, SkillLevel.INTERMEDIATE, SkillLevel.SENIOR]
    issued = datetime.date(2025, 3, 1)
    submitted = datetime.datetime(2025, 6, 1, 10, tzinfo=datetime.UTC)
    with transaction.atomic():
        firm = Enterprise.objects.create(
            name="宁波基准测试机械有限公司", credit_code=demo_credit_code("330206", 990001), district=beilun
        )
        workers = [
            Worker(
                name=f"职工{i}",
                id_number=demo_id_number(
                    "330206", (datetime.date(1975, 1, 1) + datetime.timedelta(days=i // 999)).strftime("%Y%m%d"),
                    i % 999 + 1,
                ),
                birth_date=datetime.date(1975, 1, 1) + datetime.timedelta(days=i // 999),
                gender="M" if (i % 999 + 1) % 2 else "F",
                bank_account=f"6222020{i:012d}",
                enterprise=firm,
                district=beilun,
                hired_on=datetime.date(2015, 1, 1),
            )
            for i in range(count)
        ]  # fmt: skip
        Worker.objects.bulk_create(workers, batch_size=2000)
        certificates = SkillCertificate.objects.bulk_create(
            [
                SkillCertificate(
                    worker=w,
                    level=levels[i % 3],
                    occupation="数控车工",
                    number=f"BENCH-{i:08d}",
                    issued_on=issued,
                )
                for i, w in enumerate(workers)
            ],
            batch_size=2000,
        )
        claims = Claim.objects.bulk_create(
            [
                Claim(
                    kind=ClaimKind.SKILL_SUBSIDY,
                    status=ClaimStatus.SUBMITTED,
                    worker=c.worker,
                    district=beilun,
                    amount=rules[c.level].amount,
                    rule=rules[c.level],
                    reference_date=issued,
                    certificate=c,
                    subsidy_occupation=c.occupation,
                    subsidy_level=c.level,
                    submitted_at=submitted,
                    submitted_by=people["clerk"],
                )
                for c in certificates
            ],
            batch_size=2000,
        )
    vacuum("training_claim", "workers_worker", "workers_skillcertificate")
    print(f"seeded {count:,} workers, certificates and claims in {time.perf_counter() - started:.1f} s")
    return people, sorted(c.pk for c in claims)


def vacuum(*tables: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {table}")


def make_copy() -> None:
    """The physical limit's table: the same rows and the same indexes, no foreign keys, no Python."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {COPY_TABLE} (LIKE training_claim INCLUDING ALL)")
        cursor.execute(f"INSERT INTO {COPY_TABLE} SELECT * FROM training_claim")
    vacuum(COPY_TABLE)


# --- One round: the services, then the same transitions as one UPDATE each on the copy -----------------------


def reset(tables=("training_claim", COPY_TABLE)) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"UPDATE {table} SET status = 'submitted', reviewed_by_id = NULL, reviewed_at = NULL, "
                "approved_by_id = NULL, approved_at = NULL"
            )
        cursor.execute("DELETE FROM portal_auditevent WHERE action LIKE 'claim.%%' OR action LIKE 'bench.%%'")
    vacuum(*tables, "portal_auditevent")


class SqlClock:
    """Seconds spent in the database per kind of statement (SELECT, UPDATE, INSERT…), the rest is Python."""

    def __init__(self):
        self.seconds = defaultdict(float)
        self.count = defaultdict(int)

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            kind = sql.lstrip().split(None, 1)[0].upper()
            self.seconds[kind] += time.perf_counter() - started
            self.count[kind] += 1


def timed_service(service, **kwargs):
    from django.db import connection

    clock = SqlClock()
    with connection.execute_wrapper(clock), stopwatch() as seconds:
        outcome = service(**kwargs)
    return outcome, seconds[0], clock


def raw_update(ids: list[int], *, by_id: int, to: str, frm: str, who: str, audit: bool = False) -> float:
    """One UPDATE; with ``audit``, the same UPDATE feeding one INSERT … SELECT of the audit rows."""
    from django.db import connection, transaction

    update = (
        f"UPDATE {COPY_TABLE} SET status = %s, {who}_by_id = %s, {who}_at = now() "
        "WHERE id = ANY(%s) AND status = %s"
    )
    params = [to, by_id, ids, frm]
    if audit:
        update = (
            f"WITH changed AS ({update} RETURNING id, district_id, amount) "
            "INSERT INTO portal_auditevent (created_at, actor_id, action, object_type, object_id, district_id, "
            "summary, data) SELECT now(), %s, %s, 'training.claim', id::text, district_id, '', "
            "jsonb_build_object('from', %s, 'to', %s, 'amount', amount::text, 'bulk', true) FROM changed"
        )
        params += [by_id, f"bench.{to}", frm, to]
    with transaction.atomic(), connection.cursor() as cursor, stopwatch() as seconds:
        cursor.execute(update, params)
        assert cursor.rowcount == len(ids), cursor.rowcount
    return seconds[0]


def run_round(people, ids: list[int], number: int) -> dict:
    from training.choices import ClaimStatus
    from training.models import Claim
    from training.services import claims_approve_bulk, claims_review_bulk

    reset()
    reviewed, review_s, review_clock = timed_service(claims_review_bulk, by=people["reviewer"], claim_ids=ids)
    approved, approve_s, approve_clock = timed_service(
        claims_approve_bulk, by=people["approver"], claim_ids=ids
    )
    assert reviewed.changed == approved.changed == len(ids), (reviewed, approved)
    assert Claim.objects.filter(status=ClaimStatus.APPROVED).count() == len(ids)
    raw_review = raw_update(ids, by_id=people["reviewer"].pk, to="reviewed", frm="submitted", who="reviewed")
    raw_approve = raw_update(ids, by_id=people["approver"].pk, to="approved", frm="reviewed", who="approved")
    reset([COPY_TABLE])
    audited_review = raw_update(
        ids, by_id=people["reviewer"].pk, to="reviewed", frm="submitted", who="reviewed", audit=True
    )
    audited_approve = raw_update(
        ids, by_id=people["approver"].pk, to="approved", frm="reviewed", who="approved", audit=True
    )
    result = {
        "review": review_s,
        "approve": approve_s,
        "raw_review": raw_review,
        "raw_approve": raw_approve,
        "audited_review": audited_review,
        "audited_approve": audited_approve,
        "clocks": {"review": review_clock, "approve": approve_clock},
    }
    print(
        f"  round {number}: review {review_s:.3f} s, approve {approve_s:.3f} s | "
        f"one UPDATE: review {raw_review:.3f} s, approve {raw_approve:.3f} s | "
        f"UPDATE + audit INSERT…SELECT: review {audited_review:.3f} s, approve {audited_approve:.3f} s"
    )
    return result


def report(count: int, rounds: list[dict]) -> None:
    def median(key: str) -> float:
        return statistics.median(r[key] for r in rounds)

    print()
    print(f"medians of {len(rounds)} rounds, {count:,} claims each:")
    print(
        f"{'transition':<10} {'service':>10} {'claims/s':>12} {'one UPDATE':>11} {'claims/s':>12} {'ratio':>7}"
    )
    for step in ("review", "approve"):
        service, raw = median(step), median(f"raw_{step}")
        print(
            f"{step:<10} {service:>8.3f} s {rate(count, service):>12} {raw:>9.3f} s {rate(count, raw):>12} "
            f"{service / raw:>7.1f}"
        )
    both, both_raw = median("review") + median("approve"), median("raw_review") + median("raw_approve")
    print(
        f"{'both':<10} {both:>8.3f} s {rate(count, both):>12} {both_raw:>9.3f} s {rate(count, both_raw):>12} "
        f"{both / both_raw:>7.1f}"
    )
    print()
    print(
        "the same UPDATE feeding one INSERT … SELECT of the audit rows (what a set-based audit would cost):"
    )
    for step in ("review", "approve"):
        audited = median(f"audited_{step}")
        print(
            f"  {step}: {audited:.3f} s, {rate(count, audited)}, service / this = {median(step) / audited:.1f}"
        )
    print()
    print(
        "where the service's time goes (last round; seconds in the database by statement, the rest Python):"
    )
    last = rounds[-1]
    for step in ("review", "approve"):
        clock = last["clocks"][step]
        in_db = sum(clock.seconds.values())
        parts = ", ".join(
            f"{kind} {clock.seconds[kind]:.3f} s ×{clock.count[kind]}" for kind in sorted(clock.seconds)
        )
        print(f"  {step}: {parts}; Python {last[step] - in_db:.3f} s")


if __name__ == "__main__":
    main()
