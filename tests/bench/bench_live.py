"""
Benchmark of the live tier (issue 15): failover time (node crash to cinder-volume's driver
ready on a survivor) with corosync's default token and with ``token: 1000``, and the
credential rotation time (pillar edit to the new credentials in use).

Runs the live tier (tests/live, as root) once per token setting; the bed's fixture writes
its measured timings to ``DATERA_LIVE_TIMINGS``. Prints a table with the targets and writes
``artifacts/bench-live.json`` (or ``--out``), which ``tests/bench/run.sh`` hands to the
report. Not a timed test: a missed target is reported, not failed. Where the live tier
cannot run (not root, a tool missing) the file says why (``skipped``) and the exit status
is 0: a part not measured, not an error.

Usage: .venv/bin/python -m tests.bench.bench_live [--token default] [--token 1000] [--out F]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.live.conftest import _missing as live_tier_missing  # one place: why it skips
from tests.support.paths import REPO

TARGETS = {"default": 15.0, "1000": 10.0}  # failover, seconds
FIGURES = (
    "cluster formed",
    "deploy to driver ready",
    "kill -9 to driver ready",
    "node crash to OFFLINE",
    "node crash to driver ready elsewhere",
    "standby move to driver ready",
    "rotation (pillar edit to new credentials in use)",
    "re-run (no change)",
)


def run_tier(token):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "timings.json"
        env = dict(os.environ, DATERA_LIVE_TIMINGS=str(out))
        if token != "default":
            env["DATERA_LIVE_TOKEN"] = token
        started = time.monotonic()
        proc = subprocess.run(
            # the HA tests only: the end-to-end ones (marker e2e) add a control plane
            [sys.executable, "-m", "pytest", "tests/live", "-m", "not e2e", "-p",
             "no:cacheprovider", "-q"],
            cwd=REPO, env=env, capture_output=True, text=True,
        )  # fmt: skip
        wall = round(time.monotonic() - started, 1)
        if proc.returncode != 0 or not out.exists():
            sys.stderr.write(proc.stdout[-4000:])
            raise SystemExit(f"the live tier failed with token {token} (rc {proc.returncode})")
        return dict(json.loads(out.read_text()), **{"live tier wall time": wall})


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--token", action="append", choices=sorted(TARGETS))
    parser.add_argument("--out", type=Path, default=REPO / "artifacts" / "bench-live.json")
    args = parser.parse_args(argv)
    tokens = args.token or ["default", "1000"]
    reason = live_tier_missing()
    if reason:
        print(f"live tier not run: {reason}")
        _write(args.out, {"skipped": reason, "targets": TARGETS})
        return 0
    results = {token: run_tier(token) for token in tokens}
    width = max(len(f) for f in FIGURES + ("live tier wall time",))
    print(f"{'seconds':<{width}}  " + "  ".join(f"token {t:>7}" for t in tokens))
    for figure in FIGURES + ("live tier wall time",):
        cells = "  ".join(f"{results[t].get(figure, '-'):>13}" for t in tokens)
        print(f"{figure:<{width}}  {cells}")
    verdicts = {}
    for token in tokens:
        took = results[token]["node crash to driver ready elsewhere"]
        verdicts[token] = took <= TARGETS[token]
        print(f"failover, token {token}: {took} s, target <= {TARGETS[token]:g} s: "
              f"{'pass' if verdicts[token] else 'MISS'}")  # fmt: skip
    _write(args.out, {"results": results, "targets": TARGETS, "met": verdicts})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
