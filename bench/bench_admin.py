"""Benchmark of the admin worker list and the exact ID-number search on a seeded city (PostgreSQL).

    .venv/bin/python bench/bench_admin.py --workers 3500000 [--keep] [--reuse]

Seeds a city with seed_city (or reuses the kept database), signs a city clerk and a Beilun clerk in
with Django's test client, and times the worker changelist (first page, a district filter, a skill
filter) and a search by a full ID number through the keyed hash. Prints the median of several warm
requests in milliseconds. Target: under 300 ms each at 3.5 million workers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import database_url, django_setup, migrate, scratch_database, server_url, stopwatch


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", 100_000)))
    parser.add_argument("--database", default="portal_admin_bench")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="use the kept database as it is")
    args = parser.parse_args()
    server = server_url()
    if args.reuse:
        run(database_url(server, args.database), args, seeded=True)
        return
    with scratch_database(server, args.database, keep=args.keep) as url:
        run(url, args, seeded=False)


def run(url: str, args, *, seeded: bool) -> None:
    if not seeded:
        print(f"migrate: {migrate(url):.1f} s")
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
    django_setup(url)
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from portal.choices import Role
    from portal.models import District, User
    from portal.roles import sync_roles
    from workers.models import Worker

    setup_test_environment()
    if not seeded:
        with stopwatch() as t:
            call_command("seed_city", workers=args.workers, verbosity=0)
        print(f"seed_city --workers {args.workers:,}: {t[0]:.1f} s")
    sync_roles()
    beilun = District.objects.get(code="330206")
    clerks = {}
    for name, role, district in (
        ("bench_city", Role.CITY_STAFF, None),
        ("bench_beilun", Role.DISTRICT_STAFF, beilun),
    ):
        user, _ = User.objects.get_or_create(username=name, defaults={"role": role, "district": district})
        clients = Client()
        clients.force_login(user)
        clerks[name] = clients
    sample = Worker.objects.filter(district=beilun).order_by("-id").only("id_number").first()
    total = Worker.objects.count()
    cases = [
        ("city clerk, first page", "bench_city", {}),
        ("city clerk, district filter", "bench_city", {"district": str(beilun.pk)}),
        ("city clerk, skill level filter", "bench_city", {"skill_level__exact": "4"}),
        ("city clerk, exact ID-number search", "bench_city", {"q": sample.id_number}),
        ("city clerk, name prefix search", "bench_city", {"q": "张"}),
        ("Beilun clerk, first page", "bench_beilun", {}),
        ("Beilun clerk, exact ID-number search", "bench_beilun", {"q": sample.id_number}),
    ]
    print(f"workers: {total:,}; medians of {args.rounds} warm requests")
    for label, who, params in cases:
        client = clerks[who]
        response = client.get("/admin/workers/worker/", params)
        assert response.status_code == 200, (label, response.status_code)
        timings = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            client.get("/admin/workers/worker/", params)
            timings.append((time.perf_counter() - started) * 1000)
        print(f"  {label:<40} {statistics.median(timings):7.1f} ms")


if __name__ == "__main__":
    main()
