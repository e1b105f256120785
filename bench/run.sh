#!/usr/bin/env bash
# `make bench`: every city-scale benchmark, at BENCH_WORKERS workers, against PostgreSQL (never in CI).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
WORKERS="${BENCH_WORKERS:-3500000}"
echo "== seed (registry of ${WORKERS} workers) =="
"$PY" bench/bench_seed.py --workers "$WORKERS"
echo "== import (100,000-row XLSX and CSV) =="
"$PY" bench/bench_import.py
echo "== import memory at 10,000, 100,000 and 1,000,000 rows =="
"$PY" bench/bench_import_memory.py
echo "== bulk review and approval of 10,000 claims =="
"$PY" bench/bench_claims.py
echo "== reconciling a 10,000-line bank result file =="
"$PY" bench/bench_reconcile.py
echo "== indicator engine against one hand-written statement (the city stays, as portal_ind_bench, for the load benchmark) =="
"$PY" bench/bench_indicators.py --workers "$WORKERS" --keep --database portal_ind_bench
echo "== load: gunicorn + Celery + Redis driven by wrk =="
if command -v wrk >/dev/null; then
    "$PY" bench/bench_load.py --database portal_ind_bench
else
    echo "wrk is not installed (apt-get install wrk): load benchmark skipped"
fi
echo "== admin lists =="
"$PY" bench/bench_admin.py --workers "$WORKERS"
