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
echo "== bulk review and approval of 10,000 claims =="
"$PY" bench/bench_claims.py
if [[ -f bench/bench_indicators.py ]]; then
    echo "== indicator engine against one hand-written statement =="
    "$PY" bench/bench_indicators.py --workers "$WORKERS"
fi
