"""
The end-of-session secret scan: no password, Datera session key or Keystone token may appear
in any log file (debug level) or job return of the master and the minions.
"""

from pathlib import Path

from tests.support import secrets


def _files_under(*roots):
    for root in roots:
        yield from (p for p in Path(root).rglob("*") if p.is_file())


def leaks(master_config, minion_configs):
    """``(files scanned, ["<path>: <which secret>", ...])``."""
    roots = [master_config["root_dir"]] + [c["root_dir"] for c in minion_configs]
    logs = [p for p in _files_under(*roots) if p.suffix == ".log" or "log" in p.parts]
    job_cache = list(_files_under(Path(master_config["cachedir"]) / "jobs"))
    known = secrets.all_known()
    hits = []
    for path in logs + job_cache:
        data = path.read_bytes()
        hits += [f"{path}: {_name(value)}" for value in known if value.encode() in data]
    return logs, hits


def _name(value):
    """Which secret, without printing it whole."""
    return f"{value[:3]}...({len(value)} chars)"
