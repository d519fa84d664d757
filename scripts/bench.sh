#!/usr/bin/env bash
# npm run bench: install if needed, build, then measure sagas/s of the built
# coordinator against a hand-written baseline (test/bench/run.ts).
# Postgres and Redis come from scripts/provision.mjs (DATABASE_URL/REDIS_URL,
# or local ones started on demand). Knobs: BENCH_N, BENCH_WARMUP,
# BENCH_CONCURRENCY, BENCH_ROUNDS, BENCH_COUNT_N, BENCH_WORKER_CONCURRENCY,
# BENCH_POOL_SIZE, BENCH_COORDINATOR_ENV (see test/bench/run.ts).
# `--no-build` skips the build; `--profile` writes a CPU profile of every
# measured process to .accord/bench-profile/ and prints a summary by package;
# `--tracing` also runs Accord with tracing on against a local OTLP receiver;
# `--growth` instead measures the cost per step of 1-, 3-, 10- and 50-step
# sagas (test/bench/growth.ts); `--rows` the throughput with BENCH_ROWS (10M)
# finished transactions in the tables against an empty database
# (test/bench/finished-rows.ts); `--soak` (npm run soak) instead drives a
# million sagas and watches the coordinator's heap (test/bench/soak.ts).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
accord_cd_root
accord_ensure_deps

build=1
script=run.js
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    --growth) script=growth.js ;;
    --rows) script=finished-rows.js ;;
    --soak) script=soak.js ;;
    --tracing) export BENCH_TRACING=1 ;;
    --profile) export BENCH_PROFILE="${BENCH_PROFILE:-$PWD/.accord/bench-profile/$(date +%Y%m%d-%H%M%S)}" ;;
    *) echo "bench: unknown argument $arg" >&2; exit 2 ;;
  esac
done
if [[ $build == 1 ]]; then npm run build; fi

echo "[accord] bench on $(nproc) cores, node $(node --version)" >&2
exec node "dist-test/bench/$script"
