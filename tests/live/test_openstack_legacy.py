"""
The cloud the old Fuel plugin left (tests/live/legacy.py), on the real control plane: its
cinder.conf shapes on two ``cinder``-role nodes, each serving Datera under its own host from a
plain init-script service that Salt's ``service`` module controls, and volumes created through
the Cinder API on each, manageable there. What the formula's takeover starts from. Runs after
test_openstack_e2e.py on the same bed (alphabetical order), whose controllers may serve
``cinder@datera`` meanwhile.
"""

import configparser
import inspect
import time

import pytest

from tests.live.bed import _cmdline
from tests.live.legacy import DRIVER, LEGACY, LOGIN, SERVICE, TYPE
from tests.live.test_openstack_e2e import app_instance, sim_volume

pytestmark = [pytest.mark.live, pytest.mark.e2e]


USED = ("status", "start", "stop", "restart", "enabled", "disabled", "disable")


def debian_service_doc(fun):
    """The first line of the docstring of ``fun`` in Salt's debian_service module."""
    from salt.modules import debian_service

    return inspect.getdoc(getattr(debian_service, fun)).split("\n")[0]


def parsed(text):
    parser = configparser.RawConfigParser(strict=False)
    parser.read_string(text)
    return parser


def salt(live, node, fun, *args):
    ret = live.salt.run(fun, *args, minion_tgt=node)
    assert ret.returncode == 0 or isinstance(ret.data, bool), ret.stdout
    return ret.data


def test_the_plugins_cinder_conf_shapes(legacy_cloud):
    multi = parsed(legacy_cloud.nodes["node-4"].conf())
    assert multi.defaults()["enabled_backends"] == "datera,"  # the plugin's trailing comma
    assert multi.sections() == ["datera"]
    assert dict(multi["datera"]) == {
        **multi.defaults(),
        "volume_driver": DRIVER,
        "san_ip": legacy_cloud.live.sim.host,
        "san_login": LOGIN,
        "san_password": multi["datera"]["san_password"],
        "volume_backend_name": "DEFAULT",
    }
    single = parsed(legacy_cloud.nodes["node-5"].conf())
    assert single.sections() == [] and "enabled_backends" not in single.defaults()
    assert single.defaults()["volume_driver"] == DRIVER
    assert single.defaults()["volume_backend_name"] == "DEFAULT"
    # the driver's class path is cinder 29's
    out = legacy_cloud.nodes["node-4"].run(
        str(legacy_cloud.live.python), "-c",
        f"from oslo_utils import importutils; print(importutils.import_class('{DRIVER}'))",
    )  # fmt: skip
    assert out.returncode == 0 and "DateraDriver" in out.stdout, out.stderr[-2000:]


def test_cinder_29_refuses_the_single_backend_layout(legacy_cloud):
    """Why node-5 runs pre_ocata_volume.py: cinder 29's own cinder-volume exits on its conf."""
    node = legacy_cloud.nodes["node-5"]
    log = node.dir / "cinder-volume.log"
    before = len(log.read_text(errors="replace"))
    out = node.run(str(legacy_cloud.live.wrapper), "--config-file", "/etc/cinder/cinder.conf")
    assert out.returncode == 1, out.stdout + out.stderr
    assert 'does not specify "enabled_backends"' in log.read_text(errors="replace")[before:]


def test_each_old_node_serves_its_own_host(legacy_cloud):
    cp = legacy_cloud.cp
    assert legacy_cloud.hosts == {"node-4": "node-4@datera", "node-5": "node-5"}
    rows = cp.openstack("volume", "service", "list", "--service", SERVICE)
    states = {r["Host"]: (r["Status"], r["State"]) for r in rows}
    for host in legacy_cloud.hosts.values():
        assert states[host] == ("enabled", "up"), states
    pools = {r["Name"] for r in cp.openstack("volume", "backend", "pool", "list")}
    assert {"node-4@datera#DEFAULT", "node-5#DEFAULT"} <= pools, pools
    for name, node in legacy_cloud.nodes.items():
        assert node.run("hostname").stdout.strip() == name
        assert node.main_pid() in node.cinder_volume_pids()
        commands = {b" ".join(_cmdline(pid)[:2]) for pid in node.pids()}
        assert not any(b"corosync" in c or b"pacemaker" in c for c in commands), commands
    # the Pacemaker controllers' sampler does not count them
    assert not set(legacy_cloud.live.sampler.mains()) & set(LEGACY)


def test_volumes_are_owned_by_the_old_hosts(legacy_cloud):
    cp = legacy_cloud.cp
    for name, ids in legacy_cloud.volumes.items():
        assert len(ids) == 2, legacy_cloud.volumes
        for volume_id in ids:
            vol = cp.openstack("volume", "show", volume_id)
            assert vol["status"] == "available"
            assert vol["os-vol-host-attr:host"] == legacy_cloud.pools[name]
            row = cp.sql(f"SELECT host, volume_type_id FROM volumes WHERE id = '{volume_id}'",
                          db="cinder")  # fmt: skip
            assert row.split("\t")[0] == legacy_cloud.pools[name]
            # cinder 29's driver names the app instance OS-<volume name>-<volume id>
            ai_name = f"OS-{vol['name']}-{volume_id}"
            assert app_instance(legacy_cloud.live, volume_id)["name"] == ai_name
            assert sim_volume(legacy_cloud.live, volume_id)["size"] == 1
        types = {cp.openstack("volume", "show", i)["type"] for i in ids}
        assert types == {"__DEFAULT__", TYPE}


def test_extend_works_on_each_old_node(legacy_cloud):
    cp = legacy_cloud.cp
    for name, (volume_id, *_) in legacy_cloud.volumes.items():
        node = legacy_cloud.nodes[name]
        cp.openstack("volume", "set", "--size", "2", volume_id, parse=False)
        vol = legacy_cloud.wait_volume(volume_id, "available", size=2)
        assert vol["os-vol-host-attr:host"] == legacy_cloud.pools[name]
        assert sim_volume(legacy_cloud.live, volume_id)["size"] == 2
        assert "Extend volume completed successfully" in node.cinder_log()


def wait_pid(node, running, timeout=60):
    deadline = time.monotonic() + timeout
    while (node.main_pid() is not None) != running or (not running and node.cinder_volume_pids()):
        assert time.monotonic() < deadline, (node.name, node.main_pid(), node.cinder_volume_pids())
        time.sleep(0.2)
    return node.main_pid()


@pytest.mark.parametrize("name", LEGACY)
def test_salt_service_module_controls_the_plain_service(legacy_cloud, name):
    live, node = legacy_cloud.live, legacy_cloud.nodes[name]
    for fun in USED:  # Salt's debian_service (service, update-rc.d) answers them
        doc = salt(live, name, "sys.doc", f"service.{fun}")[f"service.{fun}"]
        assert inspect.cleandoc(doc).split("\n")[0] == debian_service_doc(fun), (fun, doc)
    assert salt(live, name, "service.available", SERVICE) is True
    assert salt(live, name, "service.status", SERVICE) is True
    first = node.main_pid()

    assert salt(live, name, "service.stop", SERVICE) is True
    assert salt(live, name, "service.status", SERVICE) is False
    wait_pid(node, running=False)  # no main process, no worker left

    assert salt(live, name, "service.start", SERVICE) is True
    assert salt(live, name, "service.status", SERVICE) is True
    started = wait_pid(node, running=True)
    assert started != first

    assert salt(live, name, "service.restart", SERVICE) is True
    restarted = wait_pid(node, running=True)
    assert restarted not in (first, started)

    assert salt(live, name, "service.enabled", SERVICE) is True
    assert salt(live, name, "service.disable", SERVICE) is True
    assert salt(live, name, "service.enabled", SERVICE) is False
    assert salt(live, name, "service.disabled", SERVICE) is True
    links = node.run("sh", "-c", f"ls /etc/rc2.d | grep {SERVICE}").stdout.split()
    assert links == [f"K01{SERVICE}"], links
    # back as the plugin left it: enabled (update-rc.d; Salt's service.enable needs insserv)
    assert node.run("update-rc.d", SERVICE, "enable").returncode == 0
    assert salt(live, name, "service.enabled", SERVICE) is True
    legacy_cloud.wait_served()


def test_cinder_manage_reads_the_beds_database(legacy_cloud):
    """The takeover's command (pillar ``datera:takeover:cinder_manage``): on a legacy node and
    on a controller, it sees the same services; options go before the subcommand."""
    for where in ("node-4", "ctl1"):
        node = legacy_cloud.nodes.get(where) or legacy_cloud.live.nodes[where]
        out = node.run(legacy_cloud.manage, "service", "list")
        assert out.returncode == 0, out.stderr[-2000:]
        hosts = {line.split()[1] for line in out.stdout.splitlines()[1:] if line.split()}
        assert set(legacy_cloud.hosts.values()) <= hosts, out.stdout
    assert legacy_cloud.pillar()["node-4"]["datera"]["takeover"] == {
        "cinder_manage": legacy_cloud.manage}  # fmt: skip
