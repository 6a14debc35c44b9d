"""
What the benchmark parts share: sizes, where results go, the Datera backend pillar, a TCP
connection counter on the simulator, the floor orchestration, reading orchestration output.
"""

import hashlib
import inspect
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import tarfile
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.support import net, orchestration
from tests.support.cloud import LOADER_DIRS
from tests.support.paths import REPO

BENCH = Path(__file__).resolve().parent
QUICK = os.environ.get("BENCH_QUICK") == "1"
OUT = Path(os.environ.get("BENCH_OUT") or REPO / "artifacts" / "bench-parts")

SIM_HOST = net.ip(88)
BACKEND = "datera"
# The Datera stanza of the benchmark: the 7 keys the formula always writes for the newest
# release (volume_driver, volume_backend_name, san_ip, san_login, san_password,
# datera_volume_type_defaults, backend_host) plus 8 driver options: 15 keys.
DRIVER_OPTIONS = {
    "datera_503_timeout": 120,
    "datera_503_interval": 5,
    "datera_debug": False,
    "datera_disable_profiler": True,
    "use_chap_auth": False,
    "san_thin_provision": True,
    "reserved_percentage": 10,
    "max_over_subscription_ratio": "20.0",
}
LOGIN_PATHS = ("/v2.2/login", "/v2.1/login")
WRITE_METHODS = ("POST", "PUT", "DELETE", "PATCH")


def backend_pillar(password, port, ca_bundle):
    backend = {
        "san_ip": SIM_HOST,
        "san_login": "admin",
        "san_password": password,
        "replica_count": 3,
        "api": {"port": port, "ca_bundle": ca_bundle},
    }
    backend.update(DRIVER_OPTIONS)
    return {"datera": {"backends": {BACKEND: backend}}}


def write_pillar(cloud, common):
    """``Cloud.write_pillar`` without starting the shared simulated clusters (when that
    version of Cloud would): the benchmark's backend points at its own simulator."""
    params = inspect.signature(cloud.write_pillar).parameters
    kwargs = {"accept": False} if "accept" in params else {}
    cloud.write_pillar(common, **kwargs)


def save(part, data):
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{part}.json").write_text(json.dumps(data, indent=2, sort_keys=True))


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def scrub(text, *secrets):
    for secret in secrets:
        if secret:
            text = text.replace(secret, "******")
    return text


# --- the simulator's side ------------------------------------------------------------------


class ConnectionCounter:
    """Counts the TCP connections the simulator accepts (each TLS session is one)."""

    def __init__(self, sim):
        self.accepted = 0
        self._lock = threading.Lock()
        for server in sim._servers:  # the simulator has no public hook for this
            original = server.get_request

            def counted(original=original):
                conn = original()
                with self._lock:
                    self.accepted += 1
                return conn

            server.get_request = counted

    def reset(self):
        with self._lock:
            self.accepted = 0


def api_usage(sim, counter):
    """Requests by method, logins, other writes, sessions and TCP connections since the last
    reset of ``sim`` and ``counter``."""
    with sim._log_lock:
        log = list(sim.log)
    by_method = {}
    for entry in log:
        by_method[entry["method"]] = by_method.get(entry["method"], 0) + 1
    logins = sum(1 for e in log if e["method"] == "PUT" and e["path"] in LOGIN_PATHS)
    writes = [
        f"{e['method']} {e['path']}"
        for e in log
        if e["method"] in WRITE_METHODS and e["path"] not in LOGIN_PATHS
    ]
    tokens = {e["headers"].get("auth-token") for e in log} - {None}
    return {
        "requests": len(log),
        "by_method": by_method,
        "logins": logins,
        "writes_other_than_login": len(writes),
        "writes": sorted(set(writes)),
        "sessions_used": len(tokens),
        "connections": counter.accepted,
    }


def reset_api(sim, counter):
    sim.reset_counts()
    counter.reset()


# --- the orchestration's side ----------------------------------------------------------------


FORMULA_DIRS = ("datera",) + LOADER_DIRS
# The last commit whose datera/deploy.sls has the six sequential steps ("today's" deploy when
# issue 18 was filed; its parent commit f5dd84c brought the three phases): the benchmark's
# baseline variant serves the formula as it was there, from the repository's git history.
BASELINE_COMMIT = "9058e5c44876b6f4aaf92499e867790aa072cfe7"


class NotInHistory(Exception):
    """The formula of a commit cannot be read from git (a shallow clone, a tarball)."""


def snapshot_tree(root, commit=None):
    """A file_roots dir holding a *copy* of the formula (SLS + loader dirs): the working
    tree's, so that edits made to it while the benchmark runs do not change what it
    measures, or ``commit``'s, from git history (``NotInHistory`` saying why not).
    Returns ``(root, {"sha256": of the copied files, "git_head", "uncommitted": paths})``,
    for a commit ``(root, {"sha256", "git_commit"})``."""
    root.mkdir(parents=True, exist_ok=True)
    if commit:
        _extract(commit, root)
        where = {"git_commit": commit}
    else:
        for name in FORMULA_DIRS:
            if (REPO / name).exists():
                shutil.copytree(
                    REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
                )
        where = git_state(FORMULA_DIRS)
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return root, {"sha256": digest.hexdigest(), **where}


def _extract(commit, root):
    """The formula's dirs as they were at ``commit`` (those that existed), into ``root``."""
    names = git("ls-tree", "--name-only", commit, "--", *FORMULA_DIRS)
    if not names:
        raise NotInHistory(
            f"commit {commit[:12]} is not in this clone's history: a shallow clone?"
            if git("rev-parse", "--git-dir")
            else "no git history here: not a git clone"
        )
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit, "--", *names.split()],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(root, filter="data")


def foreign_modules(tree, extmods):
    """The formula's modules a minion synced into ``extmods`` that its master's state tree
    ``tree`` does not serve as they are ([] when the minion runs its own master's formula:
    no variant's modules leak into another's minions)."""
    foreign = []
    for kind in ("modules", "states", "utils"):
        for synced in sorted((extmods / kind).glob("datera*.py")):
            served = tree / f"_{kind}" / synced.name
            if not served.is_file() or served.read_bytes() != synced.read_bytes():
                foreign.append(f"{kind}/{synced.name}")
    return foreign


def git(*args):
    """``git args`` in the repository: its output, or None where git cannot answer."""
    try:
        return subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def git_state(paths=()):
    """The commit checked out and the uncommitted changes under ``paths``, right now."""
    changed = git("status", "--porcelain", "--", *paths) or ""
    return {
        "git_head": git("rev-parse", "--short", "HEAD"),
        # "XY path" per line; git() stripped the first line's leading blank (" M path")
        "uncommitted": sorted(line.lstrip()[2:].strip() for line in changed.splitlines()),
    }


def floor_orchestration(files):
    """Write ``bench_floor/{deploy,noop,changed,prepare}.sls`` into the file_roots dir ``files``.

    ``deploy.sls`` is ``files``' datera/deploy.sls with every ``sls:`` replaced by a no-op SLS (the
    cinder.conf steps by one that reports a change, as they do in a first deploy; the prepare
    phase by the pillar refresh that targeting by role needs, ``floor/prepare.sls``): the same
    steps, targets, requisites and order, no formula work.
    """
    target = files / "bench_floor"
    target.mkdir(exist_ok=True)
    for name in ("noop.sls", "changed.sls", "prepare.sls"):
        (target / name).write_text((BENCH / "floor" / name).read_text())
    source = (files / "datera" / "deploy.sls").read_text()
    # what deploy.sls imports from its own dir (targets.yaml), found there by the floor too
    for name in re.findall(r"import_\w+\s+tplroot\s*~\s*[\"']/([\w./-]+)[\"']", source):
        shutil.copy(files / "datera" / name, target / name)

    def floor_sls(match):
        # the first phase refreshes pillar (role targeting needs it); the primary's and the
        # others' (init.sls, by role) phases write cinder.conf
        if match.group(2) == ".prepare":
            return match.group(1) + "bench_floor.prepare"
        writes_conf = match.group(2) in (".primary", None)
        return match.group(1) + ("bench_floor.changed" if writes_conf else "bench_floor.noop")

    floor, count = re.subn(r"(-\s+sls:\s+)\{\{\s*tplroot\s*\}\}(\.[\w.]+)?", floor_sls, source)
    steps = len(re.findall(r"^\s+salt\.state:\s*$", source, re.M))
    if count != steps:
        raise RuntimeError(f"floor: {count} sls lines replaced for {steps} salt.state steps")
    (target / "deploy.sls").write_text(
        "{#- Generated by tests/bench/harness.py from datera/deploy.sls: the floor. #}\n" + floor
    )
    return steps


def _processes():
    """``{pid: (ppid, own CPU ticks, reaped children's CPU ticks)}`` from /proc."""
    procs = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as handle:
                data = handle.read()
        except OSError:
            continue
        fields = data[data.rindex(")") + 2 :].split()
        ticks = [int(x) for x in fields[11:15]]  # utime stime cutime cstime
        procs[int(name)] = (int(fields[1]), sum(ticks[:2]), sum(ticks[2:]))
    return procs


def tree_cpu_seconds(root=None, include_root=False):
    """CPU seconds used so far by the descendants of ``root`` (default: this process: the
    salt-master, salt-minions and their job processes, salt-run): robust to other tenants
    of a shared machine, unlike wall time. Live and zombie descendants count their own time
    and their reaped children's; children the root reaped count through its cutime/cstime.
    This process's own time (the simulator's threads) is left out; a given ``root`` (the
    salt-master) counts itself with ``include_root``."""
    procs = _processes()
    root = root or os.getpid()
    children = {}
    for pid, (ppid, _, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    own, reaped = procs.get(root, (0, 0, 0))[1:]
    total = reaped + (own if include_root else 0)
    stack = list(children.get(root, []))
    while stack:
        pid = stack.pop()
        total += procs[pid][1] + procs[pid][2]
        stack.extend(children.get(pid, []))
    return total / os.sysconf("SC_CLK_TCK")


class Run:
    """One measured orchestration: its return, wall seconds, CPU seconds of everything Salt
    ran (master, minions, salt-run) and of the salt-master alone."""

    def __init__(self, ret, seconds, cpu_seconds, master_cpu_seconds):
        self.ret, self.seconds = ret, seconds
        self.cpu_seconds, self.master_cpu_seconds = cpu_seconds, master_cpu_seconds


def salt_cpu_seconds(pids):
    """CPU seconds used so far by the daemons ``pids`` (one master and its minions) with
    their descendants, and by this process's reaped children (salt-run): the Salt of one
    variant, not the idle daemons of another one started beside it."""
    reaped = os.times()
    return sum(tree_cpu_seconds(pid, True) for pid in pids) + (
        reaped.children_user + reaped.children_system
    )


def orchestrate(run_cli, sls, *args, master_pid=None, pids=None):
    """Run ``salt-run state.orchestrate sls`` and measure it (a ``Run``). CPU: of ``pids``
    (``salt_cpu_seconds``) when given, else of every descendant of this process."""
    master = (lambda: tree_cpu_seconds(master_pid, True)) if master_pid else (lambda: 0.0)
    salt = (lambda: salt_cpu_seconds(pids)) if pids else tree_cpu_seconds
    cpu, master_cpu = salt(), master()
    started = time.perf_counter()
    ret = run_cli.run("state.orchestrate", sls, *args)
    wall = time.perf_counter() - started
    return Run(ret, wall, salt() - cpu, master() - master_cpu)


_MINIONS_IN_COMMENT = re.compile(r"(?:Updating|No changes made to|Run failed on minions:) ([^.]+)")


def jobs(ret):
    """What the orchestration published: ``{"state_jobs": salt.state steps that ran,
    "minion_jobs": minions those steps ran on}`` (from each step's comment, which names
    them: "Updating ctl1. No changes made to ctl2, ctl3.")."""
    state_jobs = minion_jobs = 0
    for step in orchestration.in_order(output(ret)):
        named = _MINIONS_IN_COMMENT.findall(str(step.get("comment", "")))
        minions = {m.strip() for group in named for m in group.split(",") if m.strip()}
        if minions:
            state_jobs += 1
            minion_jobs += len(minions)
    return {"state_jobs": state_jobs, "minion_jobs": minion_jobs}


def output(ret):
    """The orchestration's JSON output (saltfactories decodes it unless salt-run printed
    "No minions matched the target..." lines before it)."""
    return ret.data if ret.data is not None else orchestration.decode(ret.stdout)


def steps(ret):
    """The orchestration's step returns keyed by state id ({} if the output is not JSON)."""
    return orchestration.steps(output(ret))


def restarted_on(ret):
    """The controllers that restarted cinder-volume through Pacemaker in this run."""
    return orchestration.restarted_on(output(ret))


def count_changes(ret):
    """Changed states per step, from the orchestration's JSON output."""
    data = output(ret)
    by_step = {c["__id__"]: orchestration.changed_states(c) for c in orchestration.in_order(data)}
    return {
        "configuration": len(orchestration.configuration_changes(data)),
        "all": sum(map(len, by_step.values())),
        "by_step": by_step,
    }


def step_durations(ret):
    """``[[step id, seconds]]`` per orchestration step (Salt's own ``duration``), in run
    order (a list: the JSON files are written with sorted keys)."""
    return [
        [c["__id__"], round(float(c.get("duration") or 0) / 1000, 2)]
        for c in orchestration.in_order(output(ret))
    ]


def failed_steps(ret):
    return {k: v[:300] for k, v in orchestration.failed_steps(output(ret)).items()}


# --- the CIB -------------------------------------------------------------------------------


def cib_version(cib_file):
    root = ET.parse(cib_file).getroot()
    return {k: int(root.get(k, 0)) for k in ("admin_epoch", "epoch", "num_updates")}


def settle(cib_file, nodes):
    """The cluster acts on the CIB file: Pacemaker's scheduler (crm_simulate, every node up)
    starts the resource and its result becomes the file's status, as a running cluster
    records it -- so a re-run finds cinder-volume running on one controller, where a
    changed cinder.conf would restart it."""
    result = cib_file.with_name("cib-settled.xml")
    args = ["crm_simulate", "--xml-file", str(cib_file), "--simulate", "--quorum", "true"]
    args += ["--save-output", str(result)]
    for node in nodes:
        args += ["--node-up", node]
    subprocess.run(args, check=True, capture_output=True)
    os.replace(result, cib_file)


def cib_writes(before, after):
    """Configuration writes between two CIB versions (each write bumps ``epoch``, or
    ``admin_epoch`` with ``epoch`` reset)."""
    if after["admin_epoch"] != before["admin_epoch"]:
        return max(1, after["admin_epoch"] - before["admin_epoch"])
    return after["epoch"] - before["epoch"]
