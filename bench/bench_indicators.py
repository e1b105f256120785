"""Benchmark of the indicator engine against the physical limit: one hand-written SQL statement that
computes the same per-district counts, timed in the same run on the same seeded city.

    .venv/bin/python bench/bench_indicators.py --workers 3500000 [--keep] [--reuse portal_ind_bench]

It seeds a city with seed_city (or reuses a kept database), runs the engine for one year period
(every source, the per-enterprise figures and the snapshot write), then the single statement, each
three times, and prints the medians and the ratio. Target: the engine within 2x of the statement.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import django_setup, migrate, peak_rss_mb, scratch_database, server_url, stopwatch

# Everything the engine counts per district, in one statement: the physical limit of the work. It runs
# with the engine's own session settings (work_mem, no JIT), once as the planner likes it and once with
# merge joins (what the engine asks for): the faster of the two is the limit.
LIMIT_SQL = """
WITH best AS (
    SELECT worker_id, MAX(level) AS best
    FROM workers_skillcertificate
    WHERE issued_on <= %(day)s AND (revoked_on IS NULL OR revoked_on > %(day)s)
    GROUP BY worker_id
), stock AS (
    SELECT e.district_id,
           COUNT(*) AS employed,
           COUNT(*) FILTER (WHERE b.best >= 2) AS skilled,
           COUNT(*) FILTER (WHERE b.best >= 4) AS high_skill
    FROM workers_employment e LEFT JOIN best b ON b.worker_id = e.worker_id
    WHERE e.started_on <= %(day)s AND (e.ended_on IS NULL OR e.ended_on > %(day)s)
    GROUP BY e.district_id
), craftsmen AS (
    SELECT e.district_id, COUNT(DISTINCT e.worker_id) AS craftsmen
    FROM workers_employment e JOIN workers_craftsmanaward a ON a.worker_id = e.worker_id
    WHERE a.year <= %(year)s AND e.started_on <= %(day)s AND (e.ended_on IS NULL OR e.ended_on > %(day)s)
    GROUP BY e.district_id
), enrolments AS (
    SELECT district_id, COUNT(*) AS enrollments FROM training_enrollment
    WHERE enrolled_on BETWEEN %(start)s AND %(day)s GROUP BY district_id
), pairs AS (
    SELECT district_id, COUNT(*) AS apprenticeships FROM training_apprenticeship
    WHERE starts_on <= %(day)s AND ends_on > %(day)s AND (terminated_on IS NULL OR terminated_on > %(day)s)
    GROUP BY district_id
), money AS (
    SELECT c.district_id, SUM(p.amount) AS paid FROM training_payment p JOIN training_claim c ON c.id = p.claim_id
    WHERE p.status = 'paid' AND p.paid_at >= %(start)s AND p.paid_at < %(after)s GROUP BY c.district_id
), committees AS (
    SELECT e.district_id, COUNT(*) AS union_above_scale,
           COUNT(*) FILTER (WHERE EXISTS (
               SELECT 1 FROM mediation_mediationcommittee m
               WHERE m.enterprise_id = e.id AND m.kind = 'enterprise' AND m.established_on <= %(day)s
                 AND (m.dissolved_on IS NULL OR m.dissolved_on > %(day)s))) AS with_committee
    FROM workers_enterprise e WHERE e.above_scale AND e.union_established_on <= %(day)s
    GROUP BY e.district_id
), cases AS (
    SELECT district_id,
           COUNT(*) FILTER (WHERE source IN ('arbitration_transfer', 'court_transfer')
                            AND accepted_on BETWEEN %(start)s AND %(day)s) AS accepted,
           COUNT(*) FILTER (WHERE source IN ('arbitration_transfer', 'court_transfer')
                            AND accepted_on BETWEEN %(start)s AND %(day)s AND status = 'agreement') AS agreed,
           COUNT(*) FILTER (WHERE status IN ('agreement', 'failed', 'referred_to_arbitration', 'litigation')
                            AND concluded_on BETWEEN %(start)s AND %(day)s) AS ended,
           COUNT(*) FILTER (WHERE status IN ('agreement', 'failed', 'referred_to_arbitration', 'litigation')
                            AND concluded_on BETWEEN %(start)s AND %(day)s AND concluded_on <= due_on) AS on_time
    FROM mediation_disputecase
    WHERE (source IN ('arbitration_transfer', 'court_transfer') AND accepted_on BETWEEN %(start)s AND %(day)s)
       OR (status IN ('agreement', 'failed', 'referred_to_arbitration', 'litigation')
           AND concluded_on BETWEEN %(start)s AND %(day)s)
    GROUP BY district_id
)
SELECT d.id, s.employed, s.skilled, s.high_skill, k.craftsmen, n.enrollments, a.apprenticeships, m.paid,
       o.union_above_scale, o.with_committee, x.accepted, x.agreed, x.ended, x.on_time
FROM workers_district d
LEFT JOIN stock s ON s.district_id = d.id
LEFT JOIN craftsmen k ON k.district_id = d.id
LEFT JOIN enrolments n ON n.district_id = d.id
LEFT JOIN pairs a ON a.district_id = d.id
LEFT JOIN money m ON m.district_id = d.id
LEFT JOIN committees o ON o.district_id = d.id
LEFT JOIN cases x ON x.district_id = d.id
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", 100_000)))
    parser.add_argument("--period", default="2026")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", default="portal_ind_bench")
    parser.add_argument("--keep", action="store_true", help="keep the seeded database for another run")
    parser.add_argument("--reuse", action="store_true", help="use the kept database as it is (no seeding)")
    args = parser.parse_args()

    server = server_url()
    if args.reuse:
        from bench.common import database_url

        run_bench(database_url(server, args.database), args, seeded=True)
        return
    with scratch_database(server, args.database, keep=args.keep) as url:
        run_bench(url, args, seeded=False)


def run_bench(url: str, args, *, seeded: bool) -> None:
    if not seeded:
        print(f"migrate: {migrate(url):.1f} s")
    django_setup(url)
    import datetime

    from django.core.management import call_command
    from django.db import connection, transaction

    from indicators import engine
    from indicators.periods import Period

    if not seeded:
        with stopwatch() as t:
            call_command("seed_city", workers=args.workers, verbosity=0)
        print(f"seed_city --workers {args.workers:,}: {t[0]:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SELECT COUNT(*) FROM workers_worker")
        workers = cursor.fetchone()[0]
    period = Period.parse(args.period)
    after = period.end + datetime.timedelta(days=1)
    params = {"day": period.end, "year": period.end.year, "start": period.start, "after": after}

    engine_times, limit_times = [], []
    for _ in range(args.rounds):
        with stopwatch() as t:
            run = engine.compute_period(period)
        engine_times.append(t[0])
        best = None
        for planner in ({}, {"enable_hashjoin": "off"}):
            with transaction.atomic(), connection.cursor() as cursor:
                engine._tune_for_reporting()
                for name, value in planner.items():
                    cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
                with stopwatch() as t:
                    cursor.execute(LIMIT_SQL, params)
                    rows = cursor.fetchall()
            best = t[0] if best is None else min(best, t[0])
        limit_times.append(best)
    values = {(v.indicator, v.district_id): v for v in run.values.all()}
    for district_id, _employed, skilled, high, *_ in rows:
        mine = values[("skilled_workers", district_id)].numerator
        assert int(mine) == int(skilled or 0), f"district {district_id}: engine {mine} != statement {skilled}"
        assert int(values[("high_skill_talents", district_id)].numerator) == int(high or 0)
    for district_id, *_, union, covered, accepted, agreed, ended, on_time in rows:
        for code, numerator, denominator in (
            ("mediation_committee_rate", covered, union),
            ("mediation_closure_rate", agreed, accepted),
            ("mediation_on_time_rate", on_time, ended),
        ):
            value = values.get((code, district_id))
            if value is not None:
                assert (int(value.numerator or 0), int(value.denominator or 0)) == (
                    int(numerator or 0),
                    int(denominator or 0),
                ), f"{code} in district {district_id}"

    engine_s, limit_s = statistics.median(engine_times), statistics.median(limit_times)
    print(f"workers in the registry: {workers:,}; period {period.code}; {args.rounds} rounds, medians")
    print(f"engine (all sources, per-enterprise figures, snapshot write): {engine_s:.2f} s")
    print(f"one hand-written statement (same per-district counts):         {limit_s:.2f} s")
    print(f"ratio engine / limit: {engine_s / limit_s:.2f} (target <= 2)")
    print(f"peak memory of this process: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
