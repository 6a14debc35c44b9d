"""
Capture the sample outputs the docs show (``docs/samples/*.txt``) from real runs. As root,
from the repository root (about 15 minutes)::

    .venv/bin/python -m tests.support.capture_samples [--skip guides|demo|live]...

It runs in a network namespace of its own whose loopback holds a management network,
``192.168.0.0/24`` (Fuel's default): the salt-master on ``.1``, Keystone on ``.2``, the
simulated Datera clusters on ``.77`` and ``.78`` (port 7718). Two test beds:

- ``tests/support/testbed.py``'s master and minions ``ctl1``-``ctl3`` (later ``ctl4``) and
  ``cmp1`` on one shared CIB file, which run every procedure of the deployment guide;
- the live 3-node Pacemaker cluster of ``tests/live`` (``ctl1``-``ctl3``, the real
  cinder-volume), for what shows the cluster's state: ``crm_mon``, ``crm_resource --locate``,
  ``datera_cib.cluster_status``, ``salt-run datera.status``.

Each controller's files live under the bed's directory; the samples show them where a
controller has them (``/etc/cinder/cinder.conf``, the CIB in ``/var/lib/pacemaker``, the CA
bundle in ``/etc/ssl/certs``, copies in ``/root``). Passwords are random per run; the
capture stops if one appears in any output.
"""

import os
import sys

NETNS = "DATERA_SAMPLES_NETNS"
MANAGEMENT = "192.168.0"  # the block tests/support/net.py hands out inside the namespace

if __name__ == "__main__" and not os.environ.get(NETNS):  # again, in a namespace of its own
    env = dict(os.environ, **{NETNS: "1", "DATERA_TEST_NET": MANAGEMENT})
    argv = ["unshare", "--net", "--", sys.executable, "-m", __spec__.name, *sys.argv[1:]]
    os.execvpe("unshare", argv, env)

import argparse  # noqa: E402 - after the re-exec above
import json  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import yaml  # noqa: E402

from tests.support import net  # noqa: E402
from tests.support.openstack_sim import OpenStackSimulator  # noqa: E402
from tests.support.paths import REPO  # noqa: E402
from tests.support.testbed import BIN, Testbed  # noqa: E402

SAMPLES = REPO / "docs" / "samples"
CINDER_VENV = REPO / ".venv-cinder"
NOISE = re.compile(
    r"unclosed (Runner|MasterMinion|MasterEvent|LocalClient)|Logging error|^\[ERROR +\] \{'out'"
)
PARTS = ("guides", "demo", "live")
MASTER_ID = "salt_master"  # what the orchestration's output is headed by
ORCH = ["state.orchestrate", "datera.deploy"]
# the SLS a controller applies by hand: every controller's, and the non-primary ones' (the
# names the docs show; change them here when datera/*.sls are renamed)
EVERY_CONTROLLER_SLS = "datera.controller"
SECONDARY_SLS = "datera.secondary"
TERSE = ["--state-output=terse"]
ROLES = {"ctl1": "primary-controller", "ctl2": "controller", "ctl3": "controller",
         "cmp1": "compute"}  # fmt: skip
VOLUME_TYPES = {
    "datera-gold": {"replica_count": 3, "placement_policy": "default",
                    "qos": {"total_iops_max": 5000},
                    "description": "Datera, 3 replicas, 5000 IOPS"},
    "datera-bronze": {"replica_count": 1},
}  # fmt: skip


class Capture:
    """Runs commands against a test bed's master and keeps what they print, as the docs show
    it: the bed's paths where a controller has them, no password."""

    def __init__(self, bed, keystone):
        self.bed = bed
        self.root = bed.root
        self.password = "Pw-" + secrets.token_hex(8)
        self.secrets = [self.password, keystone.secret]
        self.keystone = {"auth_url": keystone.auth_url, "password": keystone.secret}
        self.rewrites = [
            (re.compile(rf"{re.escape(str(self.root))}/(ctl|cmp)\d/etc\b"), "/etc"),
            (re.compile(rf"{re.escape(str(self.root))}/(ctl|cmp)\d/ocf\b"), "/usr/lib/ocf"),
            (str(self.root / "cib.xml"), "/var/lib/pacemaker/cib/cib.xml"),
            (str(self.root / "datera-ca.pem"), "/etc/ssl/certs/datera-ca.pem"),
            (str(self.root) + "/", "/root/"),
            (str(CINDER_VENV.resolve()), "/opt/cinder"),
            (str(CINDER_VENV), "/opt/cinder"),
        ]
        self.roles = dict(ROLES)
        self.backends = {}
        self.extra = {}

    def shown(self, text):
        for old, new in self.rewrites:
            text = old.sub(new, text) if isinstance(old, re.Pattern) else text.replace(old, new)
        return text

    def run(self, tool, args, env=None, shown=None):
        """``(exit code, "$ command\\noutput")`` of ``tool`` (a Salt CLI of this master, or
        any command run in the bed's directory)."""
        argv = [tool, *map(str, args)]
        if tool in ("salt", "salt-run"):
            argv = [str(BIN / tool), "-c", str(self.bed.master_conf), *argv[1:]]
        env = dict(os.environ, **(env or {}))
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=900, env=env, cwd=self.root)  # fmt: skip
        lines = [line.rstrip() for line in proc.stdout.splitlines() if not NOISE.search(line)]
        command = shown or " ".join(map(_quoted, [tool, *map(_masked, args)]))
        return proc.returncode, self.checked(f"$ {command}\n" + "\n".join(lines))

    def checked(self, text):
        """``text`` as the docs show it; stops the capture if it holds a password."""
        if any(secret in text for secret in self.secrets):
            raise SystemExit(f"a password appears in {text.splitlines()[0]!r}: stopping")
        return self.shown(text.rstrip("\n") + "\n")

    def salt(self, *args):
        return self.run("salt", args)[1]

    def save(self, name, text):
        (SAMPLES / f"{name}.txt").write_text(self.checked(text))
        print(f"  {name}.txt", flush=True)

    def backend(self, ip, password=None, **extra):
        return self.bed.cloud.clusters.backend(
            ip, password or self.password, replica_count=3, volume_types=VOLUME_TYPES, **extra
        )

    def write_pillar(self, roles=None, backends=None, **extra):
        """The controllers' pillar: role and paths per node, the backends and ``extra`` keys
        of ``datera`` in common; then every minion refreshes it."""
        self.roles = roles or self.roles
        self.backends = backends if backends is not None else self.backends
        self.extra = extra or self.extra
        common = {"datera": {"release": "caracal", "keystone": self.keystone,
                             "backends": self.backends, **self.extra}}  # fmt: skip
        cloud = self.bed.cloud
        cloud.write_pillar(common, roles={m: r for m, r in self.roles.items() if r}, accept=False)
        top = yaml.safe_load((cloud.pillar_root / "top.sls").read_text())
        for minion in (m for m, role in self.roles.items() if not role):  # left the cloud
            node = cloud.minion_pillar(minion, None)
            del node["datera"]["role"]
            (cloud.pillar_root / f"node_{minion}.sls").write_text(yaml.safe_dump(node))
            top["base"][minion] = [f"node_{minion}"]
        (cloud.pillar_root / "top.sls").write_text(yaml.safe_dump(top))
        self.bed.salt("*", "saltutil.refresh_pillar", "wait=True")

    def conf(self, minion):
        return self.bed.cloud.conf_file(minion)

    def deploy(self, name):
        """Run the orchestration and save its output as ``name``."""
        self.save(name, self.run("salt-run", ORCH + TERSE)[1])


def _masked(arg):
    key, sep, _ = str(arg).partition("=")
    return f"{key}=******" if sep and "password" in key.lower() else arg


def _quoted(arg):
    if re.fullmatch(r"[\w@%+=:,./*\[\]-]+", str(arg)) and "=[" not in str(arg):
        return str(arg)
    return "'" + str(arg).replace("'", "'\\''") + "'"


def excerpt(text, ids, summary=True):
    """The highstate blocks whose ``ID:`` is in ``ids`` (and the summary); ``...`` marks
    what was left out."""
    body, _, tail = text.partition("\nSummary for ")
    parts = re.split(r"\n-{10}\n", body)
    out, skipped = [parts[0]], False
    for block in parts[1:]:
        match = re.search(r"^\s+ID: (\S+)", block, re.M)
        if match and match.group(1) in ids:
            out += ["..."] if skipped else []
            out.append("----------\n" + block)
        skipped = not (match and match.group(1) in ids)
    missing = set(ids) - set(re.findall(r"^\s+ID: (\S+)", body, re.M))
    if missing:  # a state renamed: the docs' excerpt would lose it
        raise SystemExit(f"no state {sorted(missing)} in:\n{text}")
    text = "\n".join(out + (["..."] if skipped else []))
    return (text + ("\n\nSummary for " + tail if summary and tail else "")).rstrip("\n") + "\n"


def mask_conf(path):
    return re.sub(r"^(san_password\s*=\s*).*$", r"\1******", Path(path).read_text(), flags=re.M)


# --- the deployment guide and the user guide, in order ---------------------------------------


def before_the_deployment(cap):
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
        ("api-versions", ["ctl1", "datera.api_versions"]),
        ("api-tenants", ["ctl1", "datera.tenants"]),
        ("api-ip-pools", ["ctl1", "datera.ip_pools"]),
        ("api-initiators", ["ctl1", "datera.initiators"]),
        ("api-http", ["ctl1", "datera.login_check", "scheme=http"]),  # port 7717
        ("api-verify-off", ["ctl1", "datera.login_check", "verify=False"]),
        ("cinder-interpreter", ["ctl1", "datera_cinder.interpreter"]),
        ("cinder-driver-check", ["ctl1", "datera_cinder.driver_check",
                                 CINDER_VENV / "bin" / "python"]),
        ("iscsi-create", ["cmp1", "datera_iscsi.create_initiator_name",
                          cap.root / "initiatorname.iscsi"]),
        ("vt-specs", ["ctl1", "datera_volume_type.specs", "datera", "qos={total_iops_max: 5000}",
                      "placement_policy=default"]),
        ("vt-plan", ["ctl1", "datera_volume_type.plan",
                     '{"DF:replica_count": "2", "DF:read_iops_max": "100"}',
                     '{"DF:replica_count": "3"}']),
        ("cib-render", ["ctl1", "datera_cib.render_primitive", "agent=ocf:fuel:cinder-volume",
                        "params={amqp_server_port: 5673, multibackend: true}"]),
        ("cib-check-agent", ["ctl1", "datera_cib.check_agent", "ocf:fuel:cinder-volume"]),
    ):  # fmt: skip
        cap.save(name, cap.salt(*args))
    invalid = {
        "datera": {
            "cinder": {"shared_host_option": "hostname"},
            "backends": {"datera": {"replica_count": 9, "san_ip": "not an ip"}},
        }
    }
    invalid = f"pillar={json.dumps(invalid)}"
    text = cap.salt("ctl2", "state.apply", EVERY_CONTROLLER_SLS, "test=True", invalid)
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if "invalid pillar:" in line), None)
    cap.save(
        "err-invalid-pillar", "\n".join(lines[: first + 1] + ["..."]) if first is not None else text
    )
    dry_run = cap.salt("ctl2", "state.apply", EVERY_CONTROLLER_SLS, "test=True")
    cap.save("state-controller-dry-run", dry_run)
    text = cap.salt("ctl1", "state.apply", "datera.primary", "test=True")
    wanted = {"datera-pacemaker-resource-present", "datera-volume-types-datera-gold-present"}
    cap.save("state-primary-dry-run-excerpt", excerpt(text, wanted))


def deploy(cap):
    _, text = cap.run("salt-run", ORCH + ["test=True"])
    steps = {"datera-deploy-primary"}
    cap.save("deploy-dry-run", excerpt(text, steps))
    cap.save("deploy-first", cap.run("salt-run", ORCH + TERSE)[1])
    cap.save("deploy-again", cap.run("salt-run", ORCH + TERSE)[1])
    conf = cap.conf("ctl2")
    cap.save("conf-ctl2", f"$ cat {conf}  # san_password masked\n{mask_conf(conf)}")
    cap.save("conf-check-after", cap.salt("ctl1", "datera_conf.check"))


def pacemaker_on_the_cib_file(cap):
    copy = cap.root / "cib-copy.xml"
    shutil.copy(cap.bed.cloud.cib_file, copy)
    params = "params={amqp_server_port: 5673}"
    for name, args in (
        ("cib-exists", ["ctl1", "datera_cib.exists"]),
        ("cib-resource-xml", ["ctl1", "datera_cib.resource_xml"]),
        ("cib-diff", ["ctl1", "datera_cib.diff", params]),
        ("cib-verify", ["ctl1", "datera_cib.verify"]),
        ("cib-wait-missing", ["ctl1", "datera_cib.wait_for_resource", "p_other", "timeout=2"]),
        ("cib-present", ["ctl1", "datera_cib.resource_present", params, f"cib_file={copy}"]),
        ("cib-present-again", ["ctl1", "datera_cib.resource_present", params, f"cib_file={copy}"]),
        ("cib-absent", ["ctl1", "datera_cib.resource_absent", f"cib_file={copy}"]),
    ):
        cap.save(name, cap.salt(*args))
    ocf_root = cap.bed.cloud.root / "ctl2" / "ocf"
    ocf = {"datera": {"pacemaker": {"agent": "ocf:fuel:cinder-volume"},
                      "lookup": {"ocf_dir": str(ocf_root / "resource.d")}}}  # fmt: skip
    agent = ["ctl2", "state.apply", "datera.pacemaker.agent", f"pillar={json.dumps(ocf)}"]
    cap.save("ocf-agent-install", cap.salt(*agent))
    check = ["ctl2", "datera_cib.check_agent", "ocf:fuel:cinder-volume", f"ocf_root={ocf_root}"]
    cap.save("ocf-agent-check", cap.salt(*check))
    script = ocf_root / "resource.d" / "fuel" / "cinder-volume"
    cap.save("ocf-agent-meta-data", cap.run("sh", [script, "meta-data"])[1])


def api_and_volume_types(cap):
    specs = '{"volume_backend_name": "datera", "DF:replica_count": "2"}'
    healthy = ["ctl1", "state.single", "datera.healthy", "name=datera-cluster-healthy",
               "backend=datera"]  # fmt: skip
    for name, args in (
        ("api-create-volume", ["ctl1", "datera.create_volume", "salt-test-1", "size=2",
                               "replica_count=2"]),
        ("api-app-instance", ["ctl1", "datera.app_instance", "salt-test-1", "--out=yaml"]),
        ("api-delete-volume", ["ctl1", "datera.delete_volume", "salt-test-1"]),
        ("api-smoke-test", ["ctl1", "datera.smoke_test"]),
        ("vt-get", ["ctl1", "datera_volume_type.get", "datera-gold"]),
        ("vt-ensure", ["ctl1", "datera_volume_type.ensure", "datera-silver", specs,
                       "description=Datera, 2 replicas"]),
        ("vt-ensure-again", ["ctl1", "datera_volume_type.ensure", "datera-silver", specs]),
        ("vt-delete", ["ctl1", "datera_volume_type.delete", "datera-silver"]),
        ("iscsi-name", ["ctl1", "datera_iscsi.initiator_name",
                        cap.bed.cloud.initiator_file("ctl1")]),
        ("state-healthy", [*healthy, "min_free_percent=10"]),
        ("state-unhealthy", [*healthy, "min_free_gib=20000"]),
    ):  # fmt: skip
        cap.save(name, cap.salt(*args))
    cap.bed.cloud.initiator_file("cmp1").unlink(missing_ok=True)
    cap.save("state-compute", cap.salt("cmp1", "state.apply", "datera.compute"))


def drift_vip_and_rotation(cap):
    cap.bed.salt_run("saltutil.sync_all")  # the runner and the utils it imports
    rc, text = cap.run("salt-run", ["datera.drift"])
    cap.save("drift-clean", text + f"$ echo $?\n{rc}\n")
    for minion, old, new in (("ctl2", f"san_ip = {net.ip(77)}", "san_ip = 192.0.2.99"),
                             ("ctl3", "backend_host = cinder", "backend_host = ctl3")):  # fmt: skip
        cap.conf(minion).write_text(cap.conf(minion).read_text().replace(old, new))
    rc, text = cap.run("salt-run", ["datera.drift"])
    cap.save("drift", text + f"$ echo $?\n{rc}\n")
    cap.run("salt-run", ORCH + TERSE)  # fixes the drift
    cap.write_pillar(backends={"datera": cap.backend(net.ip(78))})  # a new management VIP
    cap.save("vip-dry-run", cap.salt("ctl2", "state.apply", "datera.config", "test=True"))
    cap.deploy("deploy-vip")
    new_password = "Pw-" + secrets.token_hex(8)
    cap.secrets.append(new_password)
    snapshot = {m: cap.conf(m).read_bytes() for m in ("ctl1", "ctl2", "ctl3")}
    typo = cap.backend(net.ip(78))  # the cluster accepts the current password only
    cap.write_pillar(backends={"datera": dict(typo, san_password="not-the-new-password")})
    cap.save("rotate-typo", cap.run("salt-run", ORCH + TERSE)[1])
    same = all(cap.conf(m).read_bytes() == snapshot[m] for m in snapshot)
    cap.save("rotate-typo-files", f"cinder.conf unchanged on ctl1, ctl2, ctl3: {same}\n")
    preflight = cap.salt("ctl2", "state.apply", "datera.preflight")
    cap.save("rotate-typo-preflight", excerpt(preflight, {"datera-preflight"}))
    by_hand = cap.salt("ctl2", "state.apply", "datera")
    wanted = {"datera-preflight", "datera-config-cinder-conf-managed"}
    cap.save("rotate-typo-by-hand", excerpt(by_hand, wanted))
    same = cap.conf("ctl2").read_bytes() == snapshot["ctl2"]
    cap.save("rotate-typo-by-hand-file", f"cinder.conf unchanged on ctl2: {same}\n")
    cap.write_pillar(backends={"datera": cap.backend(net.ip(78), new_password)})  # accepted now
    cap.deploy("rotate")


def controllers_join_and_leave(cap):
    cap.bed.cloud.join("ctl4")
    cap.bed.start_minion("ctl4")
    cap.bed.wait_for_minions(["ctl4"])
    cap.write_pillar(dict(cap.roles, ctl4="controller"))
    cap.bed.salt("ctl4", "saltutil.sync_all")
    dry_run = ["ctl4", "state.apply", SECONDARY_SLS, "test=True", *TERSE]
    cap.save("add-controller-dry-run", cap.salt(*dry_run))
    cap.deploy("deploy-add-controller")
    copy = cap.root / "cib-four.xml"
    shutil.copy(cap.bed.cloud.cib_file, copy)
    up = [a for n in ("ctl1", "ctl2", "ctl3", "ctl4") for a in ("--node-up", n)]
    subprocess.run(["crm_simulate", "--xml-file", copy, "--simulate", "--quorum", "true", *up,
                    "--save-output", copy], capture_output=True, check=True)  # fmt: skip
    simulate = ["--xml-file", copy.name, "--simulate"]
    fail = [a for n in ("ctl1", "ctl2", "ctl3") for a in ("--node-fail", n)]
    cap.save("crm-simulate-new-controller", cap.run("crm_simulate", simulate + fail)[1])
    remove = simulate + ["--node-fail", "ctl1"]
    cap.save("crm-simulate-remove-ctl1", cap.run("crm_simulate", remove)[1])
    roles = {"ctl2": "primary-controller", "ctl3": "controller", "ctl4": "controller",
             "cmp1": "compute"}  # fmt: skip
    cap.write_pillar(dict(roles, ctl1=None))
    cap.deploy("deploy-remove-primary")
    override = {"datera": {"cinder": {"conf_file": str(cap.conf("ctl1"))},
                           "backends": {"datera": {"ensure": "absent"}}}}  # fmt: skip
    decommission = ["ctl1", "state.apply", "datera.config", f"pillar={json.dumps(override)}"]
    cap.save("decommission", cap.salt(*decommission))


def uninstall(cap):
    cib = {"CIB_file": str(cap.bed.cloud.cib_file)}
    query = ["--query", "--scope", "resources"]
    shown = "cibadmin --query --scope resources"
    # the backend marked absent, its volume types still listed: they go with it; the
    # Pacemaker resource stays (pacemaker:ensure auto: cinder-volume may serve lvm)
    gone = {"datera": {"ensure": "absent", "volume_types": VOLUME_TYPES}}
    cap.write_pillar(backends=gone)
    cap.save("uninstall", cap.run("salt-run", ORCH + TERSE)[1])
    conf = cap.conf("ctl3")
    cap.save("uninstall-conf-ctl3", f"$ cat {conf}\n{conf.read_text()}")
    cap.save("uninstall-vt-list", cap.salt("ctl2", "datera_volume_type.list_types", "--out=yaml"))
    cap.save("uninstall-cib-kept", cap.run("cibadmin", query, env=cib, shown=shown)[1])
    cap.write_pillar(backends=gone, pacemaker={"ensure": "absent"})
    cap.save("uninstall-resource", cap.run("salt-run", ORCH + TERSE)[1])
    cap.save("uninstall-cib", cap.run("cibadmin", query, env=cib, shown=shown)[1])
    diff = subprocess.run(["diff", "-u", conf.name, conf.name + ".datera-backup"],
                          cwd=conf.parent, capture_output=True, text=True).stdout  # fmt: skip
    diff = re.sub(r"^(\+san_password\s*=\s*).*$", r"\1******", diff, flags=re.M)
    diff = re.sub(r"^(---|\+\+\+) (\S+)\t.*$", r"\1 \2", diff, flags=re.M)
    command = f"cd {conf.parent}; diff -u cinder.conf cinder.conf.datera-backup"
    cap.save("rollback-diff", f"$ {command}  # san_password masked\n{diff}")


def demo(root):
    work = root / "demo"
    proc = subprocess.run([str(BIN / "python"), "-m", "tests.support.demo", "--keep", str(work)],
                          cwd=REPO, capture_output=True, text=True, timeout=1800)  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit("the demo failed; its output ended:\n" + proc.stdout[-3000:] + proc.stderr)
    text = re.sub(rf"{re.escape(str(work))}/bed/ctl\d/etc/", "/etc/", proc.stdout)
    text = text.replace(str(work), "~/datera-demo")
    (SAMPLES / "demo.txt").write_text(f"$ bash tests/demo.sh --keep ~/datera-demo\n...\n{text}")
    print("  demo.txt", flush=True)


def live_cluster(root, keystone):
    """Deploy to the live 3-node cluster of ``tests/live``; capture what shows its state."""
    from tests.live.bed import NODES, SIM_HOST, LiveBed
    from tests.live.conftest import LivePillar

    with Testbed(root / "live", [], primary="ctl1", master_id=MASTER_ID) as master:
        cap = Capture(master, keystone)
        bed = LiveBed({"interface": master.host, "ret_port": 4506})
        try:
            bed.prepare()
            bed.start()
            master.wait_for_minions(NODES)
            LivePillar(master.pillar_root, bed, master.cloud.clusters, net.ip(SIM_HOST)).write(
                cap.password
            )
            common = yaml.safe_load((master.pillar_root / "common.sls").read_text())
            common["datera"]["keystone"] = cap.keystone
            common["datera"]["backends"]["datera"]["volume_types"] = VOLUME_TYPES
            (master.pillar_root / "common.sls").write_text(yaml.safe_dump(common))
            master.salt_run("saltutil.sync_all")  # the runner and the utils it imports
            rc, out, err = master.salt_run(*ORCH, "--out=json")
            if rc != 0:
                raise SystemExit(f"the live deploy failed:\n{out[-3000:]}{err[-2000:]}")
            bed.wait_driver_ready(bed.wait_running(), 0)
            live_samples(cap, bed)
        finally:
            problems = bed.stop()
            print("\n".join(problems) or "  the live bed left nothing behind", flush=True)


def live_samples(cap, bed):
    node = bed.nodes["ctl1"]
    for name, argv in (("crm-mon", ["crm_mon", "-1"]),
                       ("crm-locate", ["crm_resource", "--resource", "p_cinder-volume",
                                       "--locate"])):  # fmt: skip
        proc = node.run(*argv, timeout=60)
        cap.save(name, cap.checked(f"$ {' '.join(argv)}\n{proc.stdout}{proc.stderr}"))
    cap.save("cib-status", cap.salt("ctl1", "datera_cib.cluster_status"))
    cap.save("status", cap.run("salt-run", ["datera.status"])[1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.strip().split("\n\n")[0])
    parser.add_argument("--skip", action="append", choices=PARTS, default=[],
                        help="leave this part's samples as they are")  # fmt: skip
    args = parser.parse_args(argv)
    if os.geteuid() != 0 or not os.environ.get(NETNS):
        raise SystemExit("run as root: python -m tests.support.capture_samples")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "addr", "add", f"{MANAGEMENT}.1/24", "dev", "lo"], check=True)
    password = "Ks-" + secrets.token_hex(8)
    keystone = OpenStackSimulator(net.ip(2), users={"cinder": password}).start()
    keystone.secret = password
    root = Path(tempfile.mkdtemp(prefix="samples-", dir="/var/tmp"))
    try:
        if "guides" not in args.skip:
            guides(root, keystone)
        if "demo" not in args.skip:
            demo(root)
        if "live" not in args.skip:
            live_cluster(root, keystone)
    finally:
        keystone.stop()
        shutil.rmtree(root, ignore_errors=True)
    print(f"samples written to {SAMPLES}")
    return 0


def guides(root, keystone):
    """Every procedure of the deployment guide and the user guide, in order."""
    with Testbed(root / "bed", ["ctl1", "ctl2", "ctl3"], master_id=MASTER_ID) as bed:
        cap = Capture(bed, keystone)
        prepare(cap)
        for step in (before_the_deployment, deploy, pacemaker_on_the_cib_file,
                     api_and_volume_types, drift_vip_and_rotation,
                     controllers_join_and_leave, uninstall):  # fmt: skip
            print(step.__name__.replace("_", " "), flush=True)
            step(cap)


def prepare(cap):
    """The compute node's minion, every node's iSCSI directory, the pillar, the modules."""
    cap.bed.start_minion("cmp1")
    cap.bed.wait_for_minions(["cmp1"])
    for minion in ROLES:
        cap.bed.cloud.initiator_file(minion).parent.mkdir(parents=True, exist_ok=True)
    cap.bed.cloud.clusters.cluster(net.ip(77), http_port=7717)  # HTTP where Datera has it
    cap.write_pillar(backends={"datera": cap.backend(net.ip(77))})
    cap.bed.salt("*", "saltutil.sync_all")


if __name__ == "__main__":
    sys.exit(main())
