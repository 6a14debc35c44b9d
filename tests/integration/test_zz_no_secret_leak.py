"""
Runs after the other integration tests (file order): no test password appears in any log
file of the master or the minions (debug level), nor in their caches' job returns.
"""

from pathlib import Path

import pytest

from tests.support import secrets

pytestmark = pytest.mark.integration


def files_under(*roots):
    for root in roots:
        yield from (p for p in Path(root).rglob("*") if p.is_file())


def test_no_password_in_logs_or_job_cache(master, minions):
    roots = [master.config["root_dir"]] + [m.config["root_dir"] for m in minions.values()]
    logs = [p for p in files_under(*roots) if p.suffix == ".log" or "log" in p.parts]
    assert logs, "no log files found: the check would prove nothing"
    assert sum(p.stat().st_size for p in logs) > 10_000
    job_cache = [p for p in files_under(Path(master.config["cachedir"]) / "jobs")]
    hits = []
    for path in logs + job_cache:
        data = path.read_bytes()
        hits += [f"{path}: {pw}" for pw in secrets.ALL if pw.encode() in data]
    assert hits == []
