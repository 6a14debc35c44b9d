"""
Where the CPU of a deploy goes: summarise a ``py-spy record --subprocesses --format raw``
profile of the deploy benchmark (``tests/bench/profile.sh``) by process and by cause.

Only the samples of Salt's job work are counted: minion job processes (``Minion._target``)
and the master's request workers (``MWorker._handle_payload``); daemon start-up, the
simulator and the benchmark's own code are left out. Each sample is charged to the first
cause in ``CAUSES`` found in its stack, so the formula's own code is counted as such even
when Salt's loader calls it.

    python -m tests.bench.profile_summary artifacts/profile.raw [--json artifacts/profile.json]
"""

import argparse
import collections
import json
import re

ROLES = (("minion job", "Minion._target ("), ("master worker", "MWorker._handle_payload ("))
CAUSES = (
    ("formula code (datera modules and states)", re.compile(r"\(datera\w*\.py:")),
    ("module sync (saltutil.sync_*)", re.compile(r"\(salt/modules/saltutil\.py")),
    ("RSA keys: load, sign, decrypt (salt/crypt.py)", re.compile(r"\(salt/crypt\.py")),
    ("pillar compile (salt/pillar)", re.compile(r"\(salt/pillar/")),
    (
        "loader: module dirs scanned, modules loaded",
        re.compile(r"LazyLoader\.(__init__|_refresh_file_mapping|_load_module|clear) \("),
    ),
    ("SLS render (jinja, yaml)", re.compile(r"\(salt/(template|renderers/)|\(jinja2/")),
    ("transport, events, I/O", re.compile(r"\(salt/(transport|channel|utils/event)|\(zmq/")),
    ("state engine, Salt's own states", re.compile(r"\(salt/(state|states/)")),
)
OTHER = "other"


def summarise(lines):
    """``{role: {"samples": n, "causes": {cause: n}}}`` from py-spy's raw lines."""
    out = {role: collections.Counter() for role, _ in ROLES}
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not count.isdigit():
            continue
        role = next((name for name, marker in ROLES if marker in stack), None)
        if role is None:
            continue
        cause = next((name for name, pattern in CAUSES if pattern.search(stack)), OTHER)
        out[role][cause] += int(count)
    return {
        role: {"samples": sum(causes.values()), "causes": dict(causes.most_common())}
        for role, causes in out.items()
    }


def table(summary):
    rows = []
    for role, data in summary.items():
        total = data["samples"] or 1
        rows.append(f"{role}: {data['samples']} samples")
        for cause, samples in data["causes"].items():
            rows.append(f"  {100 * samples / total:5.1f} %  {cause}")
    return "\n".join(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("raw", help="py-spy raw output")
    parser.add_argument("--json", help="write the summary here too")
    args = parser.parse_args(argv)
    with open(args.raw, encoding="utf-8", errors="replace") as handle:
        summary = summarise(handle)
    print(table(summary))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(summary, handle, indent=1, sort_keys=True)
    return 0 if any(data["samples"] for data in summary.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
