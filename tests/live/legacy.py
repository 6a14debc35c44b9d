"""
A cloud as the old Fuel plugin (fuel-plugin-datera-cinder) left it, on the live bed: two
``cinder``-role nodes, ``node-4`` and ``node-5``, beside the Pacemaker controllers.

Each is a mount + UTS namespace like a controller (tests/live/bed.py: its host name, private
/run, /tmp and /dev/shm, an overlay on /etc) with a salt-minion of the bed's master, and no
corosync or Pacemaker. Its cinder-volume is a plain distribution service: an LSB init script,
``/etc/init.d/cinder-volume`` (start-stop-daemon and a pidfile in /run/cinder), started the way
Debian does (``update-rc.d cinder-volume defaults``, ``service cinder-volume start``), so that
Salt's ``service`` module on the node manages it. The minion's configuration names no
provider: Salt 3008 loads two ``service`` modules there, systemd_service in its "offline" mode
(systemctl is installed, systemd is not running; it adds functions such as ``service.execs``)
and debian_service (``service``, ``update-rc.d``), whose functions answer ``service.status``,
``start``, ``stop``, ``restart``, ``enabled``, ``disable`` (the tests check which one does).
``service.enable`` runs ``insserv``, which this machine does not have.

Their cinder.conf has the plugin's shapes: ``node-4`` multi-backend (``enabled_backends =
datera,`` with its trailing comma, a ``[datera]`` section with ``volume_backend_name =
DEFAULT``), ``node-5`` single-backend (the driver in [DEFAULT], no ``enabled_backends``). Cinder
29 refuses the single-backend layout (it exits: "not supported since Ocata"), so node-5's init
script runs cinder's own service the way releases before Ocata did (pre_ocata_volume.py): its
service row is ``node-5``, its pool ``node-5#DEFAULT``. Both drive the bed's Datera simulator
with their own login (the plugin's settings), and volumes are created through the real Cinder
API on each, as a cloud user would have.

.. code-block:: python

    cloud = LegacyCloud(live, control_plane).start()
    cloud.hosts          # {"node-4": "node-4@datera", "node-5": "node-5"}
    cloud.pools          # {"node-4": "node-4@datera#DEFAULT", "node-5": "node-5#DEFAULT"}
    cloud.volumes        # {"node-4": [volume id, ...], "node-5": [...]}
    cloud.stop()         # -> [what was left behind], normally []
"""

import os
import shutil
import time
from pathlib import Path

from tests.live.bed import CINDER_CONF, Node, Periodic, _cmdline
from tests.support import secrets

LEGACY = ("node-4", "node-5")
MULTIBACKEND = "node-4"  # the plugin's ``multibackend: true``; node-5 has it off
LOGIN = "fuel_admin"  # the plugin's datera_admin_login (the controllers' login stays apart)
PASSWORD = secrets.FUEL
DRIVER = "cinder.volume.drivers.datera.datera_iscsi.DateraDriver"
SERVICE = "cinder-volume"
PIDFILE = "/run/cinder/cinder-volume.pid"
TYPE = "legacy-datera"  # an operator's type matching the plugin's backend name
TYPE_SPECS = {"volume_backend_name": "DEFAULT"}
OPERATOR = "[DEFAULT]\n# the operator's part of cinder.conf\n"

INIT_SCRIPT = """\
#!/bin/sh
### BEGIN INIT INFO
# Provides:          cinder-volume
# Required-Start:    $network $local_fs $remote_fs
# Required-Stop:     $remote_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: OpenStack Cinder Volume Server
### END INIT INFO
# cinder-volume as a plain distribution service (a legacy node of the datera-formula live bed)
PIDFILE={pidfile}
LOG={dir}/cinder-volume.out

running() {{
    [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}}

do_start() {{
    running && return 0
    mkdir -p "$(dirname "$PIDFILE")"
    start-stop-daemon --start --background --make-pidfile --pidfile "$PIDFILE" \\
        --output "$LOG" --startas {daemon} -- {args}
}}

do_stop() {{
    running || {{ rm -f "$PIDFILE"; return 0; }}
    start-stop-daemon --stop --pidfile "$PIDFILE" --retry TERM/30/KILL/5 --remove-pidfile
}}

case "$1" in
    start) do_start ;;
    stop) do_stop ;;
    restart|force-reload) do_stop && do_start ;;
    status)
        if running; then echo "cinder-volume is running"; exit 0; fi
        echo "cinder-volume is not running"; exit 3 ;;
    *) echo "Usage: $0 {{start|stop|restart|force-reload|status}}" >&2; exit 2 ;;
esac
"""


def plugin_conf(multibackend, san_ip):
    """cinder.conf as the plugin left it: its options in ``[datera]`` with ``enabled_backends =
    datera,`` (multibackend), or in [DEFAULT] (single-backend). ``datera_num_replicas``, which
    it also wrote, is no option of cinder 29 (``datera_volume_type_defaults`` replaced it)."""
    options = (
        f"volume_driver = {DRIVER}\nsan_ip = {san_ip}\nsan_login = {LOGIN}\n"
        f"san_password = {PASSWORD}\nvolume_backend_name = DEFAULT\n"
    )
    if multibackend:
        return f"{OPERATOR}enabled_backends = datera,\n\n[datera]\n{options}"
    return OPERATOR + options


class LegacyNode(Node):
    """A Fuel ``cinder``-role node: its namespace, its salt-minion, cinder-volume under its
    init script."""

    def __init__(self, bed, name, multibackend):
        self.bed, self.name, self.multibackend = bed, name, multibackend
        self.dir = bed.root / name
        self.holder, self.ns, self.procs = None, None, {}
        self.host = f"{name}@datera" if multibackend else name
        self.pool = f"{self.host}#DEFAULT"

    def prepare(self, san_ip, transport_url, connection):
        for sub in ("etc.up/cinder", "etc.up/init.d", "etc.work", "state", "lock", "log"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        (self.dir / "etc.up/cinder/cinder.conf").write_text(plugin_conf(self.multibackend, san_ip))
        script = self.dir / "etc.up/init.d" / SERVICE
        script.write_text(INIT_SCRIPT.format(pidfile=PIDFILE, dir=self.dir, **self._daemon()))
        script.chmod(0o755)
        self.write_extra_conf(transport_url, connection)
        self.write_minion_config()

    def _daemon(self):
        conf = f"--config-file {CINDER_CONF}"
        if self.multibackend:  # the bed's wrapper adds the node's extra.conf
            return {"daemon": self.bed.wrapper, "args": conf}
        script = self.bed.root / "pre-ocata" / "cinder-volume"  # named as the program was
        return {"daemon": self.bed.python,
                "args": f"{script} {conf} --config-file {self.dir}/extra.conf"}  # fmt: skip

    def start(self):
        self.start_namespace()
        self.start_minion()

    def service(self, action):
        """``service cinder-volume <action>`` on the node (what the distribution runs)."""
        return self.run("service", SERVICE, action, timeout=90)

    def conf(self):
        return self.run("cat", CINDER_CONF, check=True).stdout

    def main_pid(self):
        """The pid in the init script's pidfile, when that process lives; else None."""
        out = self.run("cat", PIDFILE)
        pid = out.stdout.strip()
        return int(pid) if out.returncode == 0 and pid and _cmdline(pid) else None

    def cinder_volume_pids(self):
        """Every cinder-volume process of the node (main and workers), by their command."""
        marker = str(self.dir / "extra.conf").encode()
        return [pid for pid in self.pids() if any(marker in arg for arg in _cmdline(pid))]


def _stat(pid):
    """``(state, parent pid, session id)`` of a process, or None."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            state, ppid, _, session = handle.read().rsplit(")", 1)[1].split()[:4]
    except (OSError, ValueError):
        return None
    return state, int(ppid), int(session)


class Reaper(Periodic):
    """A daemon that start-stop-daemon put in the background is an orphan, re-parented to
    this process (the bed's subreaper: tests/live/bed.py) where PID 1 would reap it; until
    reaped, its zombie keeps the init script's ``kill -0`` true. Every ``interval`` seconds
    this notes the legacy nodes' processes and reaps those of them that exited as orphans:
    in a session of their own (a daemon's ``setsid``), not one this process started (a
    ``subprocess`` of a test keeps its exit status for it)."""

    def __init__(self, nodes, interval=0.2):
        super().__init__("legacy-reaper", interval)
        self.nodes = nodes
        self.seen = set()

    def tick(self):
        self.reap()

    def reap(self):
        me, session = os.getpid(), os.getsid(0)
        for node in self.nodes:
            held = {p.pid for p in [node.holder, *node.procs.values()] if p is not None}
            self.seen.update(set(node.pids()) - held)
        for pid in sorted(self.seen):
            stat = _stat(pid)
            if stat is None:
                self.seen.discard(pid)  # gone: reaped by its parent in the node
            elif stat[0] == "Z" and stat[1] == me and stat[2] != session:
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass

    def stop(self):
        super().stop()
        self.reap()


class LegacyCloud:
    """The old plugin's cloud: its nodes (``nodes``), their service hosts, pools and the
    volumes created on each, over the live bed and the e2e control plane."""

    def __init__(self, live, control_plane):
        self.live, self.cp = live, control_plane
        self.nodes = {name: LegacyNode(live, name, name == MULTIBACKEND) for name in LEGACY}
        self.hosts = {name: node.host for name, node in self.nodes.items()}
        self.pools = {name: node.pool for name, node in self.nodes.items()}
        self.volumes = {name: [] for name in LEGACY}
        self.manage = str(live.manage)  # the cinder-manage command (tests/live/bed.py)
        self.timings = {}
        self.reaper = Reaper(self.nodes.values())

    def pillar(self, primary="ctl1", primary_manage=None):
        """``{minion: pillar}`` of the takeover: each legacy node's role (its service is the
        distribution's, ``cinder-volume``: the default), the primary's switch, the bed's
        cinder-manage (``primary_manage`` replaces the primary's); no packages or init
        services managed besides (the bed has none to manage)."""
        lookup = {"manage_packages": False, "manage_services": False}
        takeover = {"cinder_manage": self.manage}
        data = {
            name: {"datera": {"role": "legacy", "takeover": takeover, "lookup": lookup}}
            for name in LEGACY
        }
        manage = primary_manage or self.manage
        data[primary] = {"datera": {"takeover": {"enabled": True, "cinder_manage": manage}}}
        return data

    # -- life ------------------------------------------------------------------------------

    def start(self, volumes_per_node=2):
        started = time.monotonic()
        self.reaper.start()
        self.live.clusters.accept({"san_ip": self.live.sim.host, "san_login": LOGIN,
                                   "san_password": PASSWORD})  # fmt: skip
        (self.live.root / "pre-ocata").mkdir(exist_ok=True)
        shutil.copy(
            Path(__file__).with_name("pre_ocata_volume.py"), self.live.root / "pre-ocata" / SERVICE
        )
        for node in self.nodes.values():
            node.prepare(self.live.sim.host, self.cp.transport_url, self.cp.db_url("cinder"))
            self.live.legacy[node.name] = node
            node.start()
            for args in (("update-rc.d", SERVICE, "defaults"), ("service", SERVICE, "start")):
                out = node.run(*args)
                assert out.returncode == 0, (node.name, args, out.stdout + out.stderr)
        self.wait_minions()
        self.wait_served()
        self.timings["legacy: nodes up, services reporting"] = round(time.monotonic() - started, 1)
        started = time.monotonic()
        if TYPE not in [row["Name"] for row in self.cp.openstack("volume", "type", "list")]:
            props = [f"--property={k}={v}" for k, v in TYPE_SPECS.items()]
            self.cp.openstack("volume", "type", "create", *props, TYPE)
        for name in LEGACY:
            for i in range(volumes_per_node):
                self.create_volume(name, f"legacy-{name}-{i}", TYPE if i % 2 else None)
        self.timings["legacy: volumes available"] = round(time.monotonic() - started, 1)
        self.live.timings.update(self.timings)
        return self

    def wait_minions(self, timeout=120):
        deadline = time.monotonic() + timeout
        while True:
            # a short timeout: a minion not yet listening misses a ping, and is asked again
            ret = self.live.salt.run("--timeout=10", "test.ping", minion_tgt="node-*")
            if isinstance(ret.data, dict) and set(ret.data) == set(LEGACY):
                return
            assert time.monotonic() < deadline, f"legacy minions did not answer: {ret.stdout}"
            time.sleep(1)

    def wait_served(self, timeout=120):
        """Until each node's service is up in the API and the scheduler has its pool."""
        deadline = time.monotonic() + timeout
        while True:
            rows = self.cp.openstack("volume", "service", "list", "--service", SERVICE)
            up = {r["Host"] for r in rows if r["State"] == "up"}
            pools = {r["Name"] for r in self.cp.openstack("volume", "backend", "pool", "list")}
            if set(self.hosts.values()) <= up and set(self.pools.values()) <= pools:
                return
            assert time.monotonic() < deadline, f"legacy services not serving: {rows} {pools}"
            time.sleep(1)

    def create_volume(self, name, volume, vtype=None, timeout=120):
        """Create ``volume`` through the API so it lands on node ``name``: every other
        cinder-volume service is disabled meanwhile (the scheduler skips disabled ones)."""
        rows = self.cp.openstack("volume", "service", "list", "--service", SERVICE)
        others = [r["Host"] for r in rows
                  if r["Host"] != self.hosts[name] and r["Status"] == "enabled"]  # fmt: skip
        try:
            for host in others:
                why = ("--disable-reason", "placing a legacy volume")
                self.cp.openstack("volume", "service", "set", "--disable", *why, host, SERVICE,
                                  parse=False)  # fmt: skip
            self.wait_pools_only(self.pools[name])
            args = ["--type", vtype] if vtype else []
            vol = self.cp.openstack("volume", "create", "--size", "1", *args, volume)
            vol = self.wait_volume(vol["id"], "available", timeout)
        finally:
            self.enable(others)
        assert vol["os-vol-host-attr:host"] == self.pools[name], vol
        self.volumes[name].append(vol["id"])
        return vol

    def enable(self, hosts):
        """Enable the cinder-volume services of ``hosts`` again, in the database: cinder
        29.0.0's ``PUT os-services/enable`` (and ``/disable``) answers 200 and changes nothing
        (``cinder/api/v3/services.py`` saves the row without setting ``disabled``); only
        ``disable-log-reason`` (``--disable-reason``) works."""
        for host in hosts:
            where = f"host = '{host}' AND `binary` = '{SERVICE}'"
            self.cp.sql(f"UPDATE services SET disabled = 0, disabled_reason = NULL WHERE {where}",
                        db="cinder")  # fmt: skip

    def wait_pools_only(self, pool, timeout=60):
        """Until the scheduler's pools are ``pool`` alone (the others' services disabled)."""
        deadline = time.monotonic() + timeout
        while True:
            rows = self.cp.openstack("volume", "backend", "pool", "list")
            pools = [row["Name"] for row in rows]
            if pools == [pool]:
                return
            rows = self.cp.service_rows()
            assert time.monotonic() < deadline, f"scheduler pools {pools}, services {rows}"
            time.sleep(1)

    def wait_volume(self, volume, status, timeout=120, size=None):
        deadline = time.monotonic() + timeout
        while True:
            vol = self.cp.openstack("volume", "show", volume)
            assert vol["status"] not in ("error", "error_extending"), vol
            if vol["status"] == status and size in (None, vol["size"]):
                return vol
            assert time.monotonic() < deadline, f"{volume} not {status}: {vol}"
            time.sleep(1)

    def stop(self):
        """Stop each node's service through its init script, then end the node (every process
        of its namespace, by pid); what is left of it: processes, mounts (its files go with
        the bed's directory, the bed checks them)."""
        problems = []
        for node in self.nodes.values():
            if node.ns:
                out = node.service("stop")
                if out.returncode != 0:
                    problems.append(f"{node.name}: service stop failed: {out.stdout}{out.stderr}")
                node.crash()
            self.live.legacy.pop(node.name, None)
            with open("/proc/self/mountinfo") as handle:
                problems += [f"mount left: {ln.strip()}" for ln in handle if str(node.dir) in ln]
        self.reaper.stop()
        problems += [f"process {pid} left" for pid in sorted(self.reaper.seen)
                     if os.path.exists(f"/proc/{pid}")]  # fmt: skip
        return problems
