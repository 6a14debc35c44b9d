#!/usr/bin/env bash
# The benchmarks of issue 8, one command: bash tests/bench/run.sh [--quick]
#   part 1  deploy wall time for N = 1, 3, 6, 12 controllers (real master + minions), the floor
#   part 2  the idempotent re-run: changes, Datera requests, CIB writes, restarts, time
#   part 3  cinder.conf edit: the formula's editor vs Salt's ini.set_option / options_present
#   part 4  the Datera API client: requests and TCP connections with and without reuse
#   parts 1 and 2 run side by side with a master that has pillar_cache: True, and with
#           one serving the six-step deploy.sls of tests/bench/harness.py's BASELINE_COMMIT
#           (from git history; without it the report says the baseline was not measured)
#   live    failover and rotation on the live bed (tests/bench/bench_live.py, default token
#           and token 1000), as root with the live tier's tools; otherwise the report says
#           it was not measured and why (not an error)
# Prints the tables and the targets (pass/MISS), writes artifacts/bench.json,
# docs/_generated/bench.rst and the full logs artifacts/bench.log, artifacts/bench-live.log.
# --quick: N = 1, 3, one repetition, 3 runs of ini.set_option, no ini.options_present,
# the live bed with the default token only.
# Exit status: 0 when every part ran or was reported as not measured (a missed target is
# reported, not an error), 1 otherwise.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/../.."

QUICK=0
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=1 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $arg (use --quick)" >&2; exit 2 ;;
  esac
done

if ! .venv/bin/python -c 'import saltfactories, salt, trustme' 2>/dev/null \
   || ! command -v cibadmin >/dev/null; then
  bash tests/setup.sh
fi

PARTS=artifacts/bench-parts
LOG=artifacts/bench.log
rm -rf "$PARTS"
mkdir -p "$PARTS"
read -r L1 L5 L15 _ < /proc/loadavg
started=$(date +%s.%N)

set +e
BENCH_QUICK=$QUICK BENCH_OUT=$PARTS .venv/bin/python -m pytest \
  tests/bench/bench_api.py tests/bench/bench_conf_edit.py tests/bench/bench_deploy.py \
  -p no:cacheprovider -s -q --timeout=0 \
  -o python_files='bench_*.py' -o python_functions='bench_*' 2>&1 \
  | tee "$LOG" | grep --line-buffered -E '\[bench\]|[0-9]+ (passed|failed|errors?)\b' \
  | sed -u 's/^.*\[bench\]/[bench]/'
status=${PIPESTATUS[0]}

tokens=(--token default --token 1000)
[ "$QUICK" = 1 ] && tokens=(--token default)
echo "[bench] live bed: failover and rotation (${tokens[*]})"
.venv/bin/python -m tests.bench.bench_live "${tokens[@]}" --out "$PARTS/live.json" \
  > artifacts/bench-live.log 2>&1 || status=1
grep -E '^(failover|live tier not run)' artifacts/bench-live.log | sed 's/^/[bench] /' || true
set -e

total=$(echo "$(date +%s.%N) - $started" | bc)
report_args=(--parts "$PARTS" --json artifacts/bench.json --rst docs/_generated/bench.rst
             --total-seconds "$total" --load-at-start "$L1" "$L5" "$L15")
[ "$QUICK" = 1 ] && report_args+=(--quick)
.venv/bin/python -m tests.bench.report "${report_args[@]}" || status=1
if [ "$status" != 0 ]; then
  echo "run.sh: a benchmark part failed; see $LOG" >&2
  exit 1
fi
