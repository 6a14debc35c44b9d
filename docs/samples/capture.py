"""
Capture the sample outputs of the deployment guide and the user guide from real runs.

The outputs shown in the docs are never written by hand: this script builds the test bed
described in ``docs/deployment.rst`` (a salt-master and the minions ``ctl1``-``ctl4`` and
``cmp1`` on loopback, each with its own files under ``--root``, one shared Pacemaker CIB
file, the Datera API simulator on two addresses of this run's loopback block
(``tests/support/net.py``), port 17718, and the Keystone/Cinder simulator), runs every
command the docs show, and writes each output to ``docs/samples/<name>.txt``. The passwords
are random per run and must not appear in any output (the formula masks them); the script
stops if one does. From the repository root::

    .venv/bin/python docs/samples/capture.py            # about 10 minutes
    .venv/bin/python docs/samples/capture.py --no-demo  # without the demo (tests/demo)

It needs ``.venv`` (``bash tests/setup.sh``) and Pacemaker's CLI. Everything it starts is
stopped at the end; ``--root`` (default ``/tmp/datera-testbed``) is removed first.
"""

import argparse
import getpass
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import trustme
import yaml

REPO = Path(__file__).resolve().parents[2]
SAMPLES = Path(__file__).resolve().parent
BIN = REPO / ".venv" / "bin"
sys.path.insert(0, str(REPO))

from tests.support import net  # noqa: E402
from tests.support.cloud import SEED_CINDER_CONF, empty_cib, state_tree  # noqa: E402
from tests.support.datera_sim import DateraSimulator  # noqa: E402
from tests.support.openstack_sim import OpenStackSimulator  # noqa: E402

HOST = net.ip(77)
HOST2 = net.ip(78)
API_PORT = 17718
HTTP_PORT = 17717
NOISE = re.compile(
    r"unclosed (Runner|MasterMinion|MasterEvent|LocalClient)|Logging error|^\[ERROR +\] \{'out'"
)


class Bed:
    """The test bed: simulators in this process, salt-master and salt-minions as children."""

    def __init__(self, root):
        self.root = root
        self.password = "Pw-" + secrets.token_hex(8)
        self.keystone_password = "Ks-" + secrets.token_hex(8)
        self.secrets = [self.password, self.keystone_password]
        self.procs = {}
        self.sims = []
        self.ca = trustme.CA()
        self.ca_bundle = root / "datera-ca.pem"
        self.master_conf = root / "master" / "etc"
        self.cib = root / "cib.xml"
        self.pillar_root = root / "pillar"
        self.roles = {}
        self.common = {}

    # --- set-up ---------------------------------------------------------------------------

    def start(self):
        self.root.mkdir(parents=True)
        self.ca.cert_pem.write_to_path(str(self.ca_bundle))
        self.datera = self.cluster(HOST)
        self.openstack = OpenStackSimulator(HOST, users={"cinder": self.keystone_password}).start()
        self.sims.append(self.openstack)
        files = state_tree(self.root / "state-tree")
        self.pillar_root.mkdir()
        user = getpass.getuser()
        self.master_conf.mkdir(parents=True)
        (self.master_conf / "master").write_text(
            yaml.safe_dump(
                {
                    "root_dir": str(self.root / "master"),
                    "user": user,
                    "interface": HOST,
                    "publish_port": 14505,
                    "ret_port": 14506,
                    "file_roots": {"base": [str(files)]},
                    "pillar_roots": {"base": [str(self.pillar_root)]},
                    "auto_accept": True,
                    "timeout": 60,
                    "log_file": str(self.root / "master" / "master.log"),
                    "log_level_logfile": "debug",
                }
            )
        )
        self.spawn("master", [BIN / "salt-master", "-c", self.master_conf])
        time.sleep(5)
        for minion in ("ctl1", "ctl2", "ctl3", "cmp1"):
            self.add_minion(minion)
        empty_cib(self.cib, ["ctl1", "ctl2", "ctl3"])
        self.wait_for(["ctl1", "ctl2", "ctl3", "cmp1"])

    def cluster(self, host):
        sim = DateraSimulator(
            host, HTTP_PORT, API_PORT, users={"admin": self.password}, tls_cert=self.ca
        )
        self.sims.append(sim.start())
        return sim

    def add_minion(self, minion):
        etc = self.root / minion / "etc"
        (etc / "cinder").mkdir(parents=True)
        (etc / "iscsi").mkdir()
        if minion.startswith("ctl"):
            (etc / "cinder" / "cinder.conf").write_text(SEED_CINDER_CONF)
        (etc / "minion").write_text(
            yaml.safe_dump(
                {
                    "id": minion,
                    "user": getpass.getuser(),
                    "master": HOST,
                    "master_port": 14506,
                    "publish_port": 14505,
                    "root_dir": str(self.root / minion / "root"),
                    "log_file": str(self.root / minion / "minion.log"),
                    "log_level_logfile": "debug",
                }
            )
        )
        self.spawn(minion, [BIN / "salt-minion", "-c", etc])

    def spawn(self, name, argv):
        log = open(self.root / f"{name}.out", "w")  # noqa: SIM115 - closed with the process
        self.procs[name] = subprocess.Popen(
            [str(a) for a in argv], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def stop_process(self, name):
        proc = self.procs.pop(name, None)
        if proc and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

    def stop(self):
        for name in list(self.procs):
            self.stop_process(name)
        for sim in self.sims:
            sim.stop()

    def wait_for(self, minions, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.salt_raw(["*", "test.ping", "--out=json", "--static", "-t", "10"])
            try:
                answered = set(json.loads(out or "{}"))
            except ValueError:
                answered = set()
            if set(minions) <= answered:
                return
            time.sleep(2)
        raise SystemExit(f"minions {minions} did not answer; see {self.root}/*.out")

    # --- pillar ---------------------------------------------------------------------------

    def conf_file(self, minion):
        return self.root / minion / "etc" / "cinder" / "cinder.conf"

    def backend(self, host=HOST, **extra):
        backend = {
            "san_ip": host,
            "san_login": "admin",
            "san_password": self.password,
            "replica_count": 3,
            "api": {"port": API_PORT, "ca_bundle": str(self.ca_bundle)},
            "volume_types": {
                "datera-gold": {
                    "replica_count": 3,
                    "placement_policy": "default",
                    "qos": {"total_iops_max": 5000},
                    "description": "Datera, 3 replicas, 5000 IOPS",
                },
                "datera-bronze": {"replica_count": 1},
            },
        }
        backend.update(extra)
        return backend

    def write_pillar(self, roles=None, backends=None, **common):
        """top.sls: the common file (credentials) for controllers only, one file per node;
        ``common``: more keys of the controllers' ``datera`` tree (e.g. ``pacemaker``)."""
        if roles is not None:
            self.roles = roles
        if backends is not None:
            self.common = {
                "datera": {
                    "release": "caracal",
                    "keystone": {
                        "auth_url": self.openstack.auth_url,
                        "password": self.keystone_password,
                    },
                    "backends": backends,
                    **common,
                }
            }
        controllers = [m for m, r in self.roles.items() if r and r.endswith("controller")]
        top = {"base": {",".join(controllers): [{"match": "list"}, "datera"]}}
        for minion, role in self.roles.items():
            node = {
                "cinder": {"conf_file": str(self.conf_file(minion)), "check_driver": False},
                # every minion runs on this one host: each is told its cluster node name
                "pacemaker": {"cib_file": str(self.cib), "node_name": minion},
                "iscsi": {
                    "initiator_file": str(self.root / minion / "etc/iscsi/initiatorname.iscsi")
                },
                "lookup": {"manage_packages": False, "manage_services": False},
            }
            if role:
                node["role"] = role
            (self.pillar_root / f"node_{minion}.sls").write_text(yaml.safe_dump({"datera": node}))
            top["base"][minion] = [f"node_{minion}"]
        (self.pillar_root / "datera.sls").write_text(yaml.safe_dump(self.common))
        (self.pillar_root / "top.sls").write_text(yaml.safe_dump(top))
        self.salt_raw(["*", "saltutil.refresh_pillar", "wait=True"])

    # --- running commands -----------------------------------------------------------------

    def _argv(self, tool, args):
        return [str(BIN / tool), "-c", str(self.master_conf), *map(str, args)]

    def salt_raw(self, args):
        proc = subprocess.run(self._argv("salt", args), capture_output=True, text=True, timeout=600)
        return proc.stdout

    def run(self, tool, args, env=None, shown=None):
        """Run ``tool args`` (salt, salt-run or a plain command); ``(rc, "$ cmd\\noutput")``."""
        if tool in ("salt", "salt-run", "salt-key"):
            argv = self._argv(tool, args)
        else:
            argv = [tool, *map(str, args)]
        proc = subprocess.run(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=900,
            env=dict(os.environ, **(env or {})),
            cwd=self.root,
        )
        text = clean(proc.stdout)
        for secret in self.secrets:
            if secret in text:
                raise SystemExit(f"a password appears in the output of {tool} {args}: stopping")
        return proc.returncode, f"$ {shown or shell_join([tool, *map(mask_arg, args)])}\n{text}"


def mask_arg(arg):
    """A ``key=value`` argument as the docs show it: the value of a password masked."""
    key, sep, _ = str(arg).partition("=")
    return f"{key}=******" if sep and "password" in key.lower() else arg


def shell_join(argv):
    out = []
    for arg in map(str, argv):
        if re.fullmatch(r"[\w@%+=:,./*\[\]-]+", arg) and "=[" not in arg:
            out.append(arg)
        else:
            out.append("'" + arg.replace("'", "'\\''") + "'")
    return " ".join(out)


def clean(text):
    lines = [line.rstrip() for line in text.splitlines() if not NOISE.search(line)]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


def save(name, text):
    (SAMPLES / f"{name}.txt").write_text(text)
    print(f"  {name}.txt", flush=True)


def excerpt(text, ids, summary=True):
    """Keep the highstate blocks whose ``ID:`` is in ``ids`` (and the summary); ``...``
    marks what was left out."""
    body, _, tail = text.partition("\nSummary for ")
    parts = re.split(r"\n-{10}\n", body)
    out, skipped = [parts[0]], False
    for block in parts[1:]:
        match = re.search(r"^\s+ID: (\S+)", block, re.M)
        if match and match.group(1) in ids:
            if skipped:
                out.append("...")
            out.append("----------\n" + block)
            skipped = False
        else:
            skipped = True
    if skipped:
        out.append("...")
    text = "\n".join(out)
    if summary and tail:
        text += "\n\nSummary for " + tail
    return text.rstrip("\n") + "\n"


def mask_conf(path):
    return re.sub(r"^(san_password\s*=\s*).*$", r"\1******", Path(path).read_text(), flags=re.M)


def restarts(bed):
    proc = subprocess.run(
        [
            "crm_resource",
            "--resource",
            "p_cinder-volume",
            "--meta",
            "--get-parameter",
            "datera-restart-requests",
        ],
        env=dict(os.environ, CIB_file=str(bed.cib)),
        capture_output=True,
        text=True,
    )
    return proc.stdout.strip() or "0"


def simulate_copy(bed, name):
    """crm_simulate on a copy of the shared CIB (the cluster is not changed)."""
    copy = bed.root / f"{name}.xml"
    shutil.copy(bed.cib, copy)
    return copy


# --- the scenarios --------------------------------------------------------------------------


def scenarios(bed, with_demo):
    ORCH = ["state.orchestrate", "datera.deploy"]
    TERSE = ["--state-output=terse"]
    roles = {
        "ctl1": "primary-controller",
        "ctl2": "controller",
        "ctl3": "controller",
        "cmp1": "compute",
    }
    bed.write_pillar(roles, {"datera": bed.backend()})
    bed.salt_raw(["*", "saltutil.sync_all"])

    print("before the deployment", flush=True)
    other_ca = bed.root / "other-ca.pem"  # a CA that did not sign the cluster's certificate
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    for name, args in (
        ("pillar-validate", ["ctl1", "datera_pillar.validate"]),
        ("pillar-settings", ["ctl2", "datera_pillar.settings", "--out=yaml"]),
        ("pillar-settings-compute", ["cmp1", "datera_pillar.settings", "--out=yaml"]),
        ("pillar-backend-unknown", ["ctl1", "datera_pillar.backend", "nosuch"]),
        ("conf-render", ["ctl1", "datera_conf.render"]),
        ("conf-check-before", ["ctl1", "datera_conf.check"]),
        ("api-cert-fingerprint", ["ctl1", "datera.cert_fingerprint"]),
        ("api-login-check", ["ctl1", "datera.login_check"]),
        ("api-ping", ["ctl1", "datera.ping"]),
        ("api-system", ["ctl1", "datera.system"]),
        ("api-capacity", ["ctl1", "datera.capacity"]),
        ("api-versions", ["ctl1", "datera.api_versions"]),
        ("api-tenants", ["ctl1", "datera.tenants"]),
        ("api-ip-pools", ["ctl1", "datera.ip_pools"]),
        ("api-initiators", ["ctl1", "datera.initiators"]),
        ("api-http", ["ctl1", "datera.login_check", "scheme=http", f"port={HTTP_PORT}"]),
        ("api-verify-off", ["ctl1", "datera.login_check", "verify=False"]),
        ("err-password", ["ctl1", "datera.login_check", "san_password=not-the-password"]),
        ("err-refused", ["ctl1", "datera.ping", "port=17799"]),
        ("err-ca", ["ctl1", "datera.ping", f"ca_bundle={other_ca}"]),
        ("err-pin", ["ctl1", "datera.ping", "cert_fingerprint=" + ":".join(["AB"] * 32)]),
        ("cinder-interpreter", ["ctl1", "datera_cinder.interpreter"]),
        (
            "iscsi-create",
            [
                "cmp1",
                "datera_iscsi.create_initiator_name",
                bed.root / "scratch/initiatorname.iscsi",
            ],
        ),
        (
            "vt-specs",
            [
                "ctl1",
                "datera_volume_type.specs",
                "datera",
                "qos={total_iops_max: 5000}",
                "placement_policy=default",
            ],
        ),
        (
            "vt-plan",
            [
                "ctl1",
                "datera_volume_type.plan",
                '{"DF:replica_count": "2", "DF:read_iops_max": "100"}',
                '{"DF:replica_count": "3"}',
            ],
        ),
        (
            "cib-render",
            [
                "ctl1",
                "datera_cib.render_primitive",
                "agent=ocf:fuel:cinder-volume",
                "params={amqp_server_port: 5673, multibackend: true}",
            ],
        ),
        ("cib-check-agent", ["ctl1", "datera_cib.check_agent", "ocf:fuel:cinder-volume"]),
    ):
        save(name, bed.run("salt", args)[1])
    cinder_venv = REPO / ".venv-cinder"
    if cinder_venv.exists():
        installed = Path("/opt/cinder")  # where a controller's cinder is, not this checkout
        if not installed.exists():
            installed.symlink_to(cinder_venv)
        save(
            "cinder-driver-check",
            bed.run("salt", ["ctl1", "datera_cinder.driver_check", installed / "bin/python"])[1],
        )
    invalid = json.dumps(
        {
            "datera": {
                "cinder": {"shared_host_option": "hostname"},
                "backends": {"datera": {"replica_count": 9, "san_ip": "not an address"}},
            }
        }
    )
    _, text = bed.run("salt", ["ctl2", "state.apply", "datera", "test=True", f"pillar={invalid}"])
    first = [i for i, line in enumerate(text.splitlines()) if "invalid pillar:" in line]
    save(
        "err-invalid-pillar",
        "\n".join(text.splitlines()[: first[0] + 1] + ["..."]) + "\n" if first else text,
    )
    save(
        "state-controller-dry-run",
        bed.run("salt", ["ctl2", "state.apply", "datera", "test=True"])[1],
    )
    _, text = bed.run("salt", ["ctl1", "state.apply", "datera.primary", "test=True"])
    save("state-primary-dry-run", text)
    wanted = {"datera-pacemaker-resource-present", "datera-volume-types-datera-gold-present"}
    save("state-primary-dry-run-excerpt", excerpt(text, wanted))

    print("dry run and deployment", flush=True)
    _, text = bed.run("salt-run", ORCH + ["test=True"])
    save("deploy-dry-run-full", text)
    save(
        "deploy-dry-run", excerpt(text, {"datera-deploy-preflight", "datera-deploy-primary-config"})
    )
    save("deploy-first", bed.run("salt-run", ORCH + TERSE)[1])
    save("deploy-again", bed.run("salt-run", ORCH + TERSE)[1])
    save(
        "conf-ctl2",
        "$ cat "
        + str(bed.conf_file("ctl2"))
        + "  # san_password masked\n"
        + mask_conf(bed.conf_file("ctl2")),
    )
    save("conf-check-after", bed.run("salt", ["ctl1", "datera_conf.check"])[1])
    save("restarts-after-deploy", f"datera-restart-requests = {restarts(bed)}\n")

    print("Pacemaker", flush=True)
    for name, args in (
        ("cib-exists", ["ctl1", "datera_cib.exists"]),
        ("cib-resource-xml", ["ctl1", "datera_cib.resource_xml"]),
        ("cib-diff", ["ctl1", "datera_cib.diff", "params={amqp_server_port: 5673}"]),
        ("cib-verify", ["ctl1", "datera_cib.verify"]),
        ("cib-status-before", ["ctl1", "datera_cib.cluster_status"]),
        ("cib-simulate", ["ctl1", "datera_cib.simulate", "node_up=[ctl1, ctl2, ctl3]"]),
        ("cib-status", ["ctl1", "datera_cib.cluster_status"]),
        ("cib-restart-requests", ["ctl1", "datera_cib.restart_requests"]),
        ("cib-wait-missing", ["ctl1", "datera_cib.wait_for_resource", "p_other", "timeout=2"]),
    ):
        save(name, bed.run("salt", args)[1])
    env = {"CIB_file": str(bed.cib)}
    save("crm-mon", bed.run("crm_mon", ["-1"], env=env, shown="crm_mon -1")[1])
    save(
        "crm-locate",
        bed.run("crm_resource", ["--resource", "p_cinder-volume", "--locate"], env=env)[1],
    )
    copy = simulate_copy(bed, "cib-present")
    save(
        "cib-present",
        bed.run(
            "salt",
            [
                "ctl1",
                "datera_cib.resource_present",
                "params={amqp_server_port: 5673}",
                f"cib_file={copy}",
            ],
        )[1],
    )
    save(
        "cib-present-again",
        bed.run(
            "salt",
            [
                "ctl1",
                "datera_cib.resource_present",
                "params={amqp_server_port: 5673}",
                f"cib_file={copy}",
            ],
        )[1],
    )
    save(
        "cib-absent", bed.run("salt", ["ctl1", "datera_cib.resource_absent", f"cib_file={copy}"])[1]
    )

    print("the OCF agent", flush=True)
    ocf_root = bed.root / "ctl2" / "ocf"
    ocf = json.dumps(
        {
            "datera": {
                "pacemaker": {"agent": "ocf:fuel:cinder-volume"},
                "lookup": {"ocf_dir": str(ocf_root / "resource.d")},
            }
        }
    )
    save(
        "ocf-agent-install",
        bed.run("salt", ["ctl2", "state.apply", "datera.pacemaker.agent", f"pillar={ocf}"])[1],
    )
    save(
        "ocf-agent-check",
        bed.run(
            "salt",
            ["ctl2", "datera_cib.check_agent", "ocf:fuel:cinder-volume", f"ocf_root={ocf_root}"],
        )[1],
    )
    script = ocf_root / "resource.d" / "fuel" / "cinder-volume"
    save("ocf-agent-meta-data", bed.run("sh", [script, "meta-data"])[1])

    print("the Datera API and volume types", flush=True)
    for name, args in (
        (
            "api-create-volume",
            ["ctl1", "datera.create_volume", "salt-test-1", "size=2", "replica_count=2"],
        ),
        ("api-app-instance", ["ctl1", "datera.app_instance", "salt-test-1", "--out=yaml"]),
        ("api-delete-volume", ["ctl1", "datera.delete_volume", "salt-test-1"]),
        ("api-smoke-test", ["ctl1", "datera.smoke_test"]),
        ("vt-get", ["ctl1", "datera_volume_type.get", "datera-gold"]),
        ("vt-list", ["ctl1", "datera_volume_type.list_types"]),
        (
            "vt-ensure",
            [
                "ctl1",
                "datera_volume_type.ensure",
                "datera-silver",
                '{"volume_backend_name": "datera", "DF:replica_count": "2"}',
                "description=Datera, 2 replicas",
            ],
        ),
        (
            "vt-ensure-again",
            [
                "ctl1",
                "datera_volume_type.ensure",
                "datera-silver",
                '{"volume_backend_name": "datera", "DF:replica_count": "2"}',
            ],
        ),
        ("vt-delete", ["ctl1", "datera_volume_type.delete", "datera-silver"]),
        (
            "iscsi-name",
            [
                "ctl1",
                "datera_iscsi.initiator_name",
                bed.root / "ctl1/etc/iscsi/initiatorname.iscsi",
            ],
        ),
        (
            "state-healthy",
            [
                "ctl1",
                "state.single",
                "datera.healthy",
                "name=datera-cluster-healthy",
                "backend=datera",
                "min_free_percent=10",
            ],
        ),
        (
            "state-unhealthy",
            [
                "ctl1",
                "state.single",
                "datera.healthy",
                "name=datera-cluster-healthy",
                "backend=datera",
                "min_free_gib=20000",
            ],
        ),
    ):
        save(name, bed.run("salt", args)[1])

    print("compute", flush=True)
    (bed.root / "cmp1/etc/iscsi/initiatorname.iscsi").unlink(missing_ok=True)
    save("state-compute", bed.run("salt", ["cmp1", "state.apply", "datera.compute"])[1])

    print("drift", flush=True)
    bed.run("salt-run", ["saltutil.sync_runners"])
    rc, text = bed.run("salt-run", ["datera.drift"])
    save("drift-clean", text + f"$ echo $?\n{rc}\n")
    for minion, old, new in (
        ("ctl2", f"san_ip = {HOST}", "san_ip = 192.0.2.99"),
        ("ctl3", "backend_host = cinder", "backend_host = ctl3"),
    ):
        conf = bed.conf_file(minion)
        conf.write_text(conf.read_text().replace(old, new))
    rc, text = bed.run("salt-run", ["datera.drift"])
    save("drift", text + f"$ echo $?\n{rc}\n")
    before = restarts(bed)
    save("deploy-fix-drift", bed.run("salt-run", ORCH + TERSE)[1])
    save("restarts-fix-drift", f"datera-restart-requests: {before} before, {restarts(bed)} after\n")

    print("a new management VIP", flush=True)
    bed.cluster(HOST2)
    bed.write_pillar(backends={"datera": bed.backend(HOST2)})
    save("vip-dry-run", bed.run("salt", ["ctl2", "state.apply", "datera.config", "test=True"])[1])
    before = restarts(bed)
    save("deploy-vip", bed.run("salt-run", ORCH + TERSE)[1])
    save("restarts-vip", f"datera-restart-requests: {before} before, {restarts(bed)} after\n")

    print("credential rotation", flush=True)
    new_password = "Pw-" + secrets.token_hex(8)
    bed.secrets.append(new_password)
    snapshot = {m: bed.conf_file(m).read_bytes() for m in ("ctl1", "ctl2", "ctl3")}
    bed.write_pillar(backends={"datera": bed.backend(HOST2, san_password="not-the-new-password")})
    save("rotate-typo", bed.run("salt-run", ORCH + TERSE)[1])
    unchanged = all(bed.conf_file(m).read_bytes() == snapshot[m] for m in snapshot)
    save("rotate-typo-files", "cinder.conf unchanged on ctl1, ctl2, ctl3: " + str(unchanged) + "\n")
    save(
        "rotate-typo-preflight",
        excerpt(
            bed.run("salt", ["ctl2", "state.apply", "datera.preflight"])[1],
            {"datera-preflight-cluster-datera-healthy"},
        ),
    )
    _, text = bed.run("salt", ["ctl2", "state.apply", "datera.config"])
    save(
        "rotate-typo-by-hand",
        excerpt(
            text,
            {"datera-preflight-cluster-datera-healthy", "datera-config-cinder-conf-managed"},
        ),
    )
    unchanged = bed.conf_file("ctl2").read_bytes() == snapshot["ctl2"]
    save("rotate-typo-by-hand-file", f"cinder.conf unchanged on ctl2: {unchanged}\n")
    for sim in bed.sims:
        if isinstance(sim, DateraSimulator):
            sim.state.users["admin"] = new_password
    bed.write_pillar(backends={"datera": bed.backend(HOST2, san_password=new_password)})
    before = restarts(bed)
    save("rotate", bed.run("salt-run", ORCH + TERSE)[1])
    save("restarts-rotate", f"datera-restart-requests: {before} before, {restarts(bed)} after\n")
    bed.password = new_password

    print("adding a controller", flush=True)
    subprocess.run(
        ["cibadmin", "--create", "--scope", "nodes", "--xml-text", '<node id="4" uname="ctl4"/>'],
        env=dict(os.environ, CIB_file=str(bed.cib)),
        check=True,
    )
    bed.add_minion("ctl4")
    bed.wait_for(["ctl4"])
    bed.write_pillar(dict(bed.roles, ctl4="controller"))
    bed.salt_raw(["ctl4", "saltutil.sync_all"])
    before = restarts(bed)
    save(
        "add-controller-dry-run",
        bed.run(
            "salt",
            ["ctl4", "state.apply", "datera.controller", "test=True", "--state-output=terse"],
        )[1],
    )
    save("deploy-add-controller", bed.run("salt-run", ORCH + TERSE)[1])
    save(
        "restarts-add-controller",
        f"datera-restart-requests: {before} before, {restarts(bed)} after\n",
    )
    copy = simulate_copy(bed, "sim-four")
    up = [a for n in ("ctl1", "ctl2", "ctl3", "ctl4") for a in ("--node-up", n)]
    subprocess.run(
        [
            "crm_simulate",
            "--xml-file",
            copy,
            "--simulate",
            "--quorum",
            "true",
            *up,
            "--save-output",
            copy,
        ],
        capture_output=True,
        check=True,
    )
    save(
        "crm-simulate-new-controller",
        bed.run(
            "crm_simulate",
            [
                "--xml-file",
                copy.name,
                "--simulate",
                "--node-fail",
                "ctl1",
                "--node-fail",
                "ctl2",
                "--node-fail",
                "ctl3",
            ],
        )[1],
    )
    save(
        "crm-simulate-remove-ctl1",
        bed.run("crm_simulate", ["--xml-file", copy.name, "--simulate", "--node-fail", "ctl1"])[1],
    )
    save("drift-after-add", bed.run("salt-run", ["datera.drift"])[1])

    print("removing the primary controller", flush=True)
    save(
        "cib-simulate-ctl1-leaves",
        bed.run("salt", ["ctl2", "datera_cib.simulate", "node_fail=[ctl1]"])[1],
    )
    roles = {
        "ctl2": "primary-controller",
        "ctl3": "controller",
        "ctl4": "controller",
        "cmp1": "compute",
        "ctl1": None,
    }
    bed.write_pillar(roles)
    before = restarts(bed)
    save("deploy-remove-primary", bed.run("salt-run", ORCH + TERSE)[1])
    save(
        "restarts-remove-primary",
        f"datera-restart-requests: {before} before, {restarts(bed)} after\n",
    )
    override = json.dumps(
        {
            "datera": {
                "cinder": {"conf_file": str(bed.conf_file("ctl1"))},
                "backends": {"datera": {"ensure": "absent"}},
            }
        }
    )
    save(
        "decommission",
        bed.run("salt", ["ctl1", "state.apply", "datera.config", f"pillar={override}"])[1],
    )

    print("uninstalling", flush=True)

    def resources():
        return bed.run(
            "cibadmin",
            ["--query", "--scope", "resources"],
            env={"CIB_file": str(bed.cib)},
            shown="cibadmin --query --scope resources",
        )[1]

    # the backend marked absent, its volume types still listed: they go with it; the
    # Pacemaker resource stays (pacemaker:ensure auto: cinder-volume may serve lvm)
    gone = {"datera": {"ensure": "absent", "volume_types": bed.backend()["volume_types"]}}
    bed.write_pillar(backends=gone)
    save("uninstall", bed.run("salt-run", ORCH + TERSE)[1])
    save(
        "uninstall-conf-ctl3",
        "$ cat " + str(bed.conf_file("ctl3")) + "\n" + bed.conf_file("ctl3").read_text(),
    )
    save(
        "uninstall-vt-list",
        bed.run("salt", ["ctl2", "datera_volume_type.list_types", "--out=yaml"])[1],
    )
    save("uninstall-cib-kept", resources())
    # cinder-volume serves nothing else: pillar removes the resource
    bed.write_pillar(backends=gone, pacemaker={"ensure": "absent"})
    save("uninstall-resource", bed.run("salt-run", ORCH + TERSE)[1])
    save("uninstall-cib", resources())
    conf = bed.conf_file("ctl3")
    diff = subprocess.run(
        ["diff", "-u", conf.name, conf.name + ".datera-backup"],
        cwd=conf.parent,
        capture_output=True,
        text=True,
    ).stdout
    diff = re.sub(r"^(\+san_password\s*=\s*).*$", r"\1******", diff, flags=re.M)
    diff = re.sub(r"^(---|\+\+\+) (\S+)\t.*$", r"\1 \2", diff, flags=re.M)
    save(
        "rollback-diff",
        f"$ cd {conf.parent}; diff -u cinder.conf cinder.conf.datera-backup"
        f"  # san_password masked\n{diff}",
    )

    if with_demo:
        print("the demo (tests/demo.sh)", flush=True)
        proc = subprocess.run(
            [str(BIN / "python"), "-m", "tests.support.demo"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if proc.returncode == 0:
            save("demo", "$ bash tests/demo.sh\n...\n" + proc.stdout)
        else:
            print("  the demo failed; demo.txt not updated. Its output ended:", flush=True)
            print("\n".join((proc.stdout + proc.stderr).splitlines()[-30:]), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path("/tmp/datera-testbed"))
    parser.add_argument("--no-demo", action="store_true")
    args = parser.parse_args(argv)
    shutil.rmtree(args.root, ignore_errors=True)
    bed = Bed(args.root)
    try:
        bed.start()
        scenarios(bed, not args.no_demo)
    finally:
        bed.stop()
    print(f"samples written to {SAMPLES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
