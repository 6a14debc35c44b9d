#!/usr/bin/env bash
# Where the CPU of a deploy goes (issue 8: why a scaling target is missed), one command:
#   bash tests/bench/profile.sh
# Runs the quick deploy benchmark (N = 1, 3; deploy, re-run, floor; the master as shipped)
# under py-spy, following the salt-master, the salt-minions and their job processes, then
# prints the samples of Salt's job work by cause (tests/bench/profile_summary.py). Writes
# artifacts/profile.raw (py-spy raw format, for flamegraph.pl or speedscope) and
# artifacts/profile.json.
# py-spy is installed into .venv from PyPI on first use (unless PY_SPY names one). Times
# under a profiler are not benchmark figures: use the shares, not the seconds.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/../.."

if ! .venv/bin/python -c 'import saltfactories, salt, trustme' 2>/dev/null \
   || ! command -v cibadmin >/dev/null; then
  bash tests/setup.sh
fi
PY_SPY=${PY_SPY:-.venv/bin/py-spy}   # or a py-spy of your own: PY_SPY=/path/to/py-spy
[ -x "$PY_SPY" ] || .venv/bin/pip install -q py-spy

mkdir -p artifacts/profile-parts
BENCH_QUICK=1 BENCH_VARIANTS=default BENCH_OUT=artifacts/profile-parts "$PY_SPY" record --subprocesses \
  --nonblocking --rate 40 --format raw -o artifacts/profile.raw -- \
  .venv/bin/python -m pytest tests/bench/bench_deploy.py -p no:cacheprovider -q -s \
  --timeout=0 -o python_files='bench_*.py' -o python_functions='bench_*' \
  > artifacts/profile.log 2>&1
grep -h '\[bench\]' artifacts/profile.log | sed 's/^.*\[bench\]/[bench]/' || true
.venv/bin/python -m tests.bench.profile_summary artifacts/profile.raw --json artifacts/profile.json
