"""
The live test bed: three Pacemaker nodes (ctl1..ctl3) on this machine, each a mount + UTS
namespace holding its own corosync, pacemakerd and salt-minion, and the real cinder-volume
29.0.0 (from .venv-cinder) that Pacemaker starts through the formula's OCF agent.

Each node (``node.sh``) gets its host name, private tmpfs on /run, /dev/shm and /tmp, an
overlay on /etc (``/etc/libqb/force-filesystem-sockets``: libqb's IPC would use abstract
sockets, shared by the whole network namespace, otherwise; and the node's own
/etc/cinder/cinder.conf) and on /usr/lib/ocf/resource.d (where the formula installs the
agent), and its own /var/lib/pacemaker and /var/lib/corosync. No network namespace: the
nodes talk over this run's loopback block (``tests.support.net``), ctlN on ``ip(10 + N)``.

Everything the bed writes lives under one directory in /var/tmp (not /tmp: each node has
a private /tmp), removed at the end; ``stop`` kills every process of every node's namespace
by pid and then checks that no process, mount or file of the bed is left.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

from tests.support import net
from tests.support.paths import REPO

NODES = ("ctl1", "ctl2", "ctl3")
# Host parts of this run's loopback block (tests/support/net.py) the live bed uses, apart
# from those of the integration tests (which share the pytest session): the Datera
# simulator on .210, node ctlN on .210 + N.
SIM_HOST = 210
CINDER_VENV = Path(os.environ.get("DATERA_CINDER_VENV", REPO / ".venv-cinder"))
SALT_VENV = Path(sys.prefix)
CINDER_CONF = "/etc/cinder/cinder.conf"
DRIVER_READY = "Driver initialization completed successfully"

NODE_SH = """\
#!/bin/sh
# One node of the live bed, run as:
#   unshare --mount --uts --propagation private node.sh NAME DIR [PATH UNDER /tmp TO KEEP]...
# A node without DIR/pacemaker (a legacy node, tests/live/legacy.py) gets no Pacemaker mounts.
set -e
name=$1; dir=$2
hostname "$name"
mount -t tmpfs -o mode=0755 tmpfs /run
if [ -d "$dir/pacemaker" ]; then
    mkdir -p /run/crm && chown hacluster:haclient /run/crm && chmod 0750 /run/crm
fi
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
# what the bed needs from the machine's /tmp (a checkout, a virtualenv) stays visible: bound
# aside before the private /tmp hides it, bound back after
shift 2
i=0
for keep in "$@"; do
    i=$((i + 1)); mkdir -p "$dir/keep/$i"; mount --bind "$keep" "$dir/keep/$i"
done
mount -t tmpfs -o mode=1777 tmpfs /tmp
i=0
for keep in "$@"; do
    i=$((i + 1)); mkdir -p "$keep"; mount --bind "$dir/keep/$i" "$keep"; umount "$dir/keep/$i"
done
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$dir/etc.up,workdir=$dir/etc.work" /etc
if [ -d "$dir/pacemaker" ]; then
    mount -t overlay overlay \\
        -o "lowerdir=/usr/lib/ocf/resource.d,upperdir=$dir/ocf.up,workdir=$dir/ocf.work" \\
        /usr/lib/ocf/resource.d
    mount --bind "$dir/pacemaker" /var/lib/pacemaker
    mount --bind "$dir/corosync" /var/lib/corosync
fi
touch "$dir/ready"
exec sleep 2147483647
"""

# The venv's cinder-volume with the bed's extra config file (transport, database, log) after
# the formula's cinder.conf, and dfs-sdk's collections aliases (sitecustomize).
WRAPPER = """\
#!/bin/sh
export PYTHONPATH={root}/py
exec {venv}/bin/cinder-volume "$@" --config-file {root}/$(hostname)/extra.conf
"""
# cinder-manage on the node's database: oslo.config takes --config-file before the subcommand
# (after it, the subcommand's parser rejects it), so the command given is appended last.
MANAGE_WRAPPER = """\
#!/bin/sh
export PYTHONPATH={root}/py
exec {venv}/bin/cinder-manage --config-file /etc/cinder/cinder.conf \\
    --config-file {root}/$(hostname)/extra.conf "$@"
"""
PYTHON_WRAPPER = """\
#!/bin/sh
export PYTHONPATH={root}/py
exec {venv}/bin/python "$@"
"""
SITECUSTOMIZE = """\
# dfs-sdk 1.2.27 still uses collections.Mapping & co., removed in Python 3.10
import collections
import collections.abc

for _name in ("Mapping", "MutableMapping", "Sequence", "Iterable"):
    if not hasattr(collections, _name):
        setattr(collections, _name, getattr(collections.abc, _name))
"""
EXTRA_CONF = """\
[DEFAULT]
transport_url = {transport_url}
state_path = {dir}/state
auth_strategy = noauth
log_file = {dir}/cinder-volume.log
report_interval = 2
service_down_time = 10
[database]
connection = {connection}
[oslo_concurrency]
lock_path = {dir}/lock
"""
SEED_CINDER_CONF = "[DEFAULT]\n# the operator's part of cinder.conf\n"


def node_addresses():
    return [net.ip(SIM_HOST + i) for i in range(1, len(NODES) + 1)]


def corosync_conf(cluster_name, token=None):
    """corosync.conf of the bed (the same on every node), knet on this run's addresses."""
    nodes = "".join(
        f"  node {{\n    name: {name}\n    nodeid: {i}\n    ring0_addr: {addr}\n  }}\n"
        for i, (name, addr) in enumerate(zip(NODES, node_addresses(), strict=True), start=1)
    )
    token_line = f"  token: {token}\n" if token else ""
    return (
        "totem {\n  version: 2\n"
        f"  cluster_name: {cluster_name}\n"
        "  transport: knet\n  crypto_cipher: none\n  crypto_hash: none\n"
        f"{token_line}"
        f"  interface {{\n    linknumber: 0\n    mcastport: {corosync_port()}\n  }}\n}}\n"
        "quorum {\n  provider: corosync_votequorum\n}\n"
        f"nodelist {{\n{nodes}}}\n"
        "logging {\n  to_stderr: yes\n  to_syslog: no\n  timestamp: on\n}\n"
    )


def corosync_port():
    """knet's UDP port: bound on this run's own addresses only, derived from the block so two
    runs differ even in the port."""
    second, third = (int(x) for x in net.PREFIX.split(".")[1:3])
    return 20000 + (second * 256 + third) % 20000


def mnt_ns(pid):
    try:
        return os.stat(f"/proc/{pid}/ns/mnt").st_ino
    except OSError:
        return None


def pids_in_ns(inode):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and mnt_ns(entry) == inode:
            found.append(int(entry))
    return found


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().split(b"\0")
    except OSError:
        return []


def _stat_field(pid, index):
    """Field ``index`` of /proc/PID/stat counted after the command name (0: state, 1: ppid,
    19: start time), as an int; None when the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[index])
    except (OSError, IndexError, ValueError):
        return None


def _ppid(pid):
    return _stat_field(pid, 1) or 0


def identities(pids):
    """``{pid: start time}``: with its start time a pid names one process, not whichever
    process the kernel gives the number to next (pids wrap around on a long run)."""
    return {pid: _stat_field(pid, 19) for pid in pids}


def reap(killed, timeout=10):
    """Collect the exit status of the killed processes ``killed`` (``identities``), orphans
    re-parented to this process, their subreaper; return the ones still there after
    ``timeout``. A killed child becomes ours only when its parent has exited, which may be
    after we first ask (its parent was killed too, or is still busy), so ask until each is
    gone. A pid now naming another process is left alone."""

    def still_there(procs):
        return {pid: start for pid, start in procs.items()
                if start is not None and _stat_field(pid, 19) == start}  # fmt: skip

    deadline = time.monotonic() + timeout
    killed = still_there(killed)
    while killed and time.monotonic() <= deadline:
        for pid in killed:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass  # not ours yet, or reaped by its Popen
        killed = still_there(killed)
        if killed:
            time.sleep(0.02)
    return killed


def _tree(pids):
    """``pids`` and every process descended from them."""
    found = set(pids)
    while True:
        more = {int(e) for e in os.listdir("/proc") if e.isdigit() and _ppid(e) in found} - found
        if not more:
            return found
        found |= more


def _signal(pids, sig):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _become_subreaper():
    """Orphans of the nodes' processes are re-parented here (not to PID 1, which may never
    reap them), so the bed can collect them."""
    import ctypes

    pr_set_child_subreaper = 36
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(pr_set_child_subreaper, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


class Node:
    def __init__(self, bed, name, index):
        self.bed, self.name, self.index = bed, name, index
        self.dir = bed.root / name
        self.addr = node_addresses()[index - 1]
        self.holder = None
        self.ns = None
        self.procs = {}

    def prepare(self):
        for sub in ("etc.up/libqb", "etc.up/cinder", "etc.work", "ocf.up", "ocf.work", "corosync",
                    "state", "lock", "log"):  # fmt: skip
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        (self.dir / "etc.up/libqb/force-filesystem-sockets").touch()
        (self.dir / "etc.up/cinder/cinder.conf").write_text(SEED_CINDER_CONF)
        (self.dir / "corosync.conf").write_text(
            corosync_conf(self.bed.cluster_name, self.bed.token)
        )
        self.write_extra_conf()
        pcmk = self.dir / "pacemaker"
        for sub in ("blackbox", "cib", "cores", "pengine"):
            (pcmk / sub).mkdir(parents=True, exist_ok=True)
        shutil.copy(self.bed.root / "cib.xml", pcmk / "cib" / "cib.xml")
        log = self.dir / "log" / "pacemaker.log"
        log.touch()
        subprocess.run(["chown", "-R", "hacluster:haclient", str(pcmk), str(log)], check=True)
        os.chmod(log, 0o660)
        for sub in ("blackbox", "cib", "cores", "pengine"):
            os.chmod(pcmk / sub, 0o750)
        self.write_minion_config()

    def write_extra_conf(self, transport_url="fake:/", connection=None):
        """What a standalone cinder-volume needs besides the formula's cinder.conf: by default
        oslo.messaging's in-process driver and the bed's shared sqlite file; the end-to-end
        tests switch it to a real broker and database (tests/live/openstack.py)."""
        connection = connection or f"sqlite:///{self.bed.root}/cinder.sqlite"
        text = EXTRA_CONF.format(dir=self.dir, transport_url=transport_url, connection=connection)
        (self.dir / "extra.conf").write_text(text)

    def write_minion_config(self):
        salt = self.dir / "salt"
        (salt / "conf").mkdir(parents=True, exist_ok=True)
        master = self.bed.master_config
        conf = {
            "id": self.name,
            "master": master["interface"],
            "master_port": master["ret_port"],
            "root_dir": str(salt),
            "conf_file": str(salt / "conf" / "minion"),
            "pki_dir": str(salt / "pki"),
            "cachedir": str(salt / "cache"),
            "sock_dir": str(salt / "sock"),
            "pidfile": str(salt / "minion.pid"),
            "log_file": str(salt / "minion.log"),
            "log_level_logfile": "info",
            "acceptance_wait_time": 1,
            "random_reauth_delay": 0,
            "file_client": "remote",
        }
        (salt / "conf" / "minion").write_text(yaml.safe_dump(conf))

    # -- life -----------------------------------------------------------------------------

    def _popen(self, args, log, env=None):
        with open(self.dir / "log" / log, "ab") as out:
            return subprocess.Popen(
                ["nsenter", "-t", str(self.holder.pid), "--mount", "--uts", "--", *args],
                stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True,
                env=dict(os.environ, **(env or {})),
            )  # fmt: skip

    def start(self):
        self.start_namespace()
        self.procs = {
            "corosync": self._popen(
                ["corosync", "-f", "-c", str(self.dir / "corosync.conf")], "corosync.log"
            ),  # fmt: skip
        }
        time.sleep(0.3)
        self.procs["pacemakerd"] = self._popen(
            ["pacemakerd"], "pacemakerd.log", {"PCMK_logfile": str(self.dir / "log/pacemaker.log")}
        )
        self.start_minion()

    def start_namespace(self):
        ready = self.dir / "ready"
        ready.unlink(missing_ok=True)
        self.holder = subprocess.Popen(
            ["unshare", "--mount", "--uts", "--propagation", "private", "--",
             "sh", str(self.bed.root / "node.sh"), self.name, str(self.dir),
             *self.bed.keep_in_tmp()],
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not ready.exists():
            if self.holder.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: node namespace did not come up")
            time.sleep(0.05)
        self.ns = mnt_ns(self.holder.pid)
        self.procs = {}

    def start_minion(self):
        self.procs["salt-minion"] = self._popen(
            [str(SALT_VENV / "bin" / "salt-minion"), "-c", str(self.dir / "salt" / "conf")],
            "salt-minion.out",
        )

    def kill_minion(self):
        """Kill -9 this node's salt-minion with every process under it (its jobs and what
        they run) at once, the rest of the node living on: the tree is frozen (SIGSTOP, until
        no new process appears) before the kill, so nothing forks or is re-parented away
        meanwhile; every process of it is reaped. ``start_minion`` starts it again."""
        minion = self.procs.pop("salt-minion")
        tree = {minion.pid}
        while True:
            _signal(tree, signal.SIGSTOP)
            more = _tree(tree)
            if more == tree:
                break
            tree = more
        self.bed.killed.update(identities(tree))  # read while the tree is stopped
        _signal(tree, signal.SIGKILL)
        minion.wait(timeout=10)
        left = self.bed.reap() & tree
        if left:
            raise RuntimeError(f"{self.name}: salt-minion processes survive SIGKILL: {left}")
        return sorted(tree)

    def run(self, *args, check=False, timeout=120):
        """Run a command inside this node (its mount and UTS namespaces)."""
        return subprocess.run(
            ["nsenter", "-t", str(self.holder.pid), "--mount", "--uts", "--", *args],
            capture_output=True, text=True, check=check, timeout=timeout,
        )  # fmt: skip

    def pids(self):
        return pids_in_ns(self.ns) if self.ns else []

    def crash(self):
        """Kill -9, by pid, every process of this node's namespace; wait until none is left,
        and reap them all (the bed's process is their subreaper: no zombie is left)."""
        deadline = time.monotonic() + 20
        while pids := self.pids():
            self.bed.killed.update(identities(set(pids) - set(self.bed.killed)))
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: processes survive SIGKILL: {pids}")
            time.sleep(0.05)
        for proc in [self.holder, *self.procs.values()]:
            if proc is not None:
                proc.wait(timeout=10)  # reap
        self.bed.reap()
        self.ns = None

    def cinder_log(self):
        log = self.dir / "cinder-volume.log"
        return log.read_text(errors="replace") if log.exists() else ""


class Periodic:
    """Calls ``tick()`` every ``interval`` seconds in a daemon thread named ``name``, from
    ``start()`` until ``stop()``."""

    def __init__(self, name, interval):
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def tick(self):
        raise NotImplementedError

    def _loop(self):
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(self.interval)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=10)


class Sampler(Periodic):
    """Counts cinder-volume main processes (not their forked workers, nor a legacy node's
    plain service: tests/live/legacy.py) of the bed on every Pacemaker node every
    ``interval`` seconds, in a thread, for as long as it runs."""

    def __init__(self, bed, interval=0.2):
        super().__init__("cinder-volume-sampler", interval)
        self.bed = bed
        self.samples = 0
        self.max_seen = 0
        self.over = []  # (time, {node: [pids]}) of every sample with more than one
        self.seen = []  # [(time, node, pid)] each main process, when first seen

    def mains(self):
        """``{node: [pid, ...]}`` of the bed's cinder-volume main processes."""
        marker = str(self.bed.root).encode()
        script = str(CINDER_VENV / "bin" / "cinder-volume").encode()
        ours = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                args = _cmdline(entry)
                if script in args[:2] and any(marker in a for a in args):
                    ours[int(entry)] = args
        by_ns = {node.ns: node.name for node in self.bed.nodes.values() if node.ns}
        legacy = {node.ns for node in self.bed.legacy.values() if node.ns}
        found = {}
        for pid in ours:
            if _ppid(pid) in ours or mnt_ns(pid) in legacy:
                continue  # a worker forked by a main process; a legacy node's own service
            found.setdefault(by_ns.get(mnt_ns(pid), "?"), []).append(pid)
        return found

    def count(self):
        return sum(len(p) for p in self.mains().values())

    def tick(self):
        mains = self.mains()
        total = sum(len(p) for p in mains.values())
        self.samples += 1
        known = {pid for _, _, pid in self.seen}
        now = time.monotonic()
        self.seen += [(now, n, p) for n, pids in mains.items() for p in pids if p not in known]
        self.max_seen = max(self.max_seen, total)
        if total > 1:
            self.over.append((time.time(), mains))


class LiveBed:
    def __init__(self, master_config, token=None):
        self.master_config = master_config
        self.token = token
        self.root = Path(tempfile.mkdtemp(prefix="datera-live-", dir="/var/tmp"))
        os.chmod(self.root, 0o755)
        self.cluster_name = "datera" + net.PREFIX.replace(".", "")[-8:]
        self.nodes = {name: Node(self, name, i) for i, name in enumerate(NODES, start=1)}
        self.legacy = {}  # the old plugin's nodes, when a test asks for them (legacy.py)
        self.sampler = None
        self.timings = {}
        self.killed = {}  # pid: start time (identities)
        _become_subreaper()

    def reap(self, timeout=10):
        """Collect every killed process (``reap``); the pids still there are returned."""
        self.killed = reap(self.killed, timeout)
        return set(self.killed)

    @staticmethod
    def keep_in_tmp():
        """The paths under /tmp the nodes must still see (the checkout, the virtualenvs):
        each node has a private /tmp."""
        tmp = os.path.realpath(tempfile.gettempdir()) + os.sep
        paths = set()
        for path in (REPO, SALT_VENV, CINDER_VENV):
            for candidate in (os.path.abspath(path), os.path.realpath(path)):
                if candidate.startswith(tmp):
                    paths.add(candidate)
        return sorted(p for p in paths if not any(p.startswith(q + os.sep) for q in paths))

    @property
    def wrapper(self):
        return self.root / "bin" / "cinder-volume"

    @property
    def manage(self):
        return self.root / "bin" / "cinder-manage"

    @property
    def python(self):
        return self.root / "bin" / "python"

    def prepare(self):
        (self.root / "bin").mkdir()
        (self.root / "py").mkdir()
        (self.root / "node.sh").write_text(NODE_SH)
        (self.root / "py" / "sitecustomize.py").write_text(SITECUSTOMIZE)
        fmt = {"root": self.root, "venv": CINDER_VENV}
        wrappers = ((self.wrapper, WRAPPER), (self.manage, MANAGE_WRAPPER),
                    (self.python, PYTHON_WRAPPER))  # fmt: skip
        for path, text in wrappers:
            path.write_text(text.format(**fmt))
            path.chmod(0o755)
        self._prepared_cib(self.root / "cib.xml")
        for node in self.nodes.values():
            node.prepare()
        self.db_sync()

    def _prepared_cib(self, path):
        """A CIB written beforehand: no fencing in the bed, the DC elected in 2 s (not 20)."""
        empty = subprocess.run(["cibadmin", "--empty"], check=True, capture_output=True, text=True)
        path.write_text(empty.stdout)
        env = dict(os.environ, CIB_file=str(path))
        for name, value in (("stonith-enabled", "false"), ("dc-deadtime", "2s")):
            args = ["crm_attribute", "--type", "crm_config", "--name", name, "--update", value]
            subprocess.run(args, check=True, env=env, capture_output=True)

    def db_sync(self):
        """The shared cinder database (one sqlite file, as every controller shares one DB)."""
        extra = self.nodes["ctl1"].dir / "extra.conf"
        subprocess.run(
            [str(CINDER_VENV / "bin" / "cinder-manage"), "--config-file", str(extra), "db", "sync"],
            check=True, capture_output=True, env=dict(os.environ, PYTHONPATH=str(self.root / "py")),
        )  # fmt: skip

    def start(self):
        started = time.monotonic()
        for node in self.nodes.values():
            node.start()
        self.wait_formed()
        self.timings["cluster formed"] = round(time.monotonic() - started, 1)
        self.sampler = Sampler(self).start()

    def status(self, on=None):
        """``crm_mon --output-as=xml`` of a live node: ``(nodes {name: online}, dc, where the
        resource runs)``."""
        node = self.nodes[on] if on else next(n for n in self.nodes.values() if n.ns)
        out = node.run("crm_mon", "--one-shot", "--output-as=xml", timeout=30)
        if out.returncode != 0:
            return {}, None, []
        root = ET.fromstring(out.stdout)
        nodes = {n.get("name"): n.get("online") == "true" for n in root.iterfind("nodes/node")}
        dc = root.find("summary/current_dc")
        running = [
            n.get("name")
            for r in root.iterfind(".//resources//resource[@id='p_cinder-volume']")
            if r.get("role") == "Started"
            for n in r.iterfind("node")
        ]
        return (
            nodes,
            dc.get("name") if dc is not None and dc.get("present") == "true" else None,
            running,
        )

    def wait_formed(self, names=None, timeout=90):
        names = set(names or self.nodes)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            nodes, dc, _ = self.status(on=sorted(names)[0])
            if dc and all(nodes.get(n) for n in names):
                return
            time.sleep(0.2)
        raise RuntimeError(f"cluster not formed after {timeout}s: {self.status()}")

    def wait_offline(self, name, timeout=60):
        """Until the other nodes see ``name`` OFFLINE."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            live = next(n for n in self.nodes.values() if n.ns and n.name != name)
            nodes, _, _ = self.status(on=live.name)
            if nodes.get(name) is False:
                return
            time.sleep(0.1)
        raise RuntimeError(f"{name} not seen OFFLINE after {timeout}s: {self.status()}")

    def wait_running(self, timeout=90, not_on=()):
        """Where p_cinder-volume runs once it runs on exactly one node (not in ``not_on``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            live = next(n for n in self.nodes.values() if n.ns and n.name not in not_on)
            _, _, running = self.status(on=live.name)
            if len(running) == 1 and running[0] not in not_on:
                return running[0]
            time.sleep(0.2)
        raise RuntimeError(f"p_cinder-volume not running after {timeout}s: {self.status()}")

    def wait_driver_ready(self, node, since, timeout=60):
        """Seconds until ``node``'s cinder-volume log has a "driver ready" line after byte
        ``since`` of it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if DRIVER_READY in self.nodes[node].cinder_log()[since:]:
                return True
            time.sleep(0.1)
        raise RuntimeError(f"{node}: no '{DRIVER_READY}' within {timeout}s")

    def service_rows(self):
        """The cinder-volume rows of the shared database: ``{host: report_count}``."""
        import sqlite3

        with sqlite3.connect(self.root / "cinder.sqlite") as db:
            rows = db.execute(
                "SELECT host, report_count FROM services "
                "WHERE topic = 'cinder-volume' AND deleted = 0"
            ).fetchall()
        return dict(rows)

    def stop(self):
        """Kill every node by pid, then check nothing of the bed is left and remove it."""
        if self.sampler:
            self.sampler.stop()
        for node in [*self.nodes.values(), *self.legacy.values()]:
            if node.ns:
                node.crash()
        problems = [f"process {pid} not reaped" for pid in sorted(self.reap())]
        marker = str(self.root)
        for entry in os.listdir("/proc"):
            if entry.isdigit() and any(marker.encode() in a for a in _cmdline(entry)):
                problems.append(f"process {entry} left: {b' '.join(_cmdline(entry))!r}")
        with open("/proc/self/mountinfo") as handle:
            problems += [f"mount left: {ln.strip()}" for ln in handle if marker in ln]
        for path in ("/etc/libqb", "/etc/cinder", "/usr/lib/ocf/resource.d/datera",
                     "/etc/init.d/cinder-volume"):  # fmt: skip
            if os.path.exists(path):
                problems.append(f"{path} exists on the host")
        keep = os.environ.get("DATERA_LIVE_KEEP")
        try:
            if keep:  # the logs, for a post-mortem
                for log in [*self.root.glob("ctl*/**/*.log"), *self.root.glob("node-*/**/*.log")]:
                    target = Path(keep) / log.relative_to(self.root)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(log, target)
        finally:
            shutil.rmtree(self.root)
        if self.root.exists():
            problems.append(f"{self.root} not removed")
        return problems
