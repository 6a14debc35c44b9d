"""
Taking over a cloud the old Fuel plugin left (tests/live/legacy.py): node-4 (multibackend,
``node-4@datera``) and node-5 (single-backend, ``node-5``) serve Datera from their own
cinder-volume, with volumes created through the real Cinder API on each. The formula's
orchestration, with the nodes as ``datera:role: legacy`` and ``datera:takeover:enabled`` on
the primary, must leave every one of those volumes manageable through the API by the one
cinder-volume Pacemaker runs, after the takeover and after a failover. Runs last on the bed.
"""

import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.live.conftest import PRIMARY
from tests.live.legacy import LEGACY, PASSWORD, TYPE
from tests.live.test_live_ha import ROTATED, node_crashed, steps, the_instance
from tests.live.test_openstack_e2e import (
    app_instance,
    sim_volume,
    wait_for,
    wait_gone,
    wait_status,
)
from tests.support import net, secrets
from tests.support.capture_samples import MASTER_ID, NOISE, SAMPLES, excerpt

pytestmark = [pytest.mark.live, pytest.mark.e2e]

# with DATERA_TAKEOVER_SAMPLE=1 the dry-run test writes the deployment guide's sample
SAMPLE = SAMPLES / "takeover-dry-run.txt"
NEW_POOL = "cinder@datera#DEFAULT"  # the plugin's volume_backend_name, kept (see below)
MOVED = (NEW_POOL, "cinder@datera")  # a volume's host, and its service record's
# cinder-manage on the primary for the interrupted takeover (see stopping_manage)
STOPPING_MANAGE = """\
#!/bin/sh
if [ "$1 $2" = "volume update_service" ]; then
    if [ -e {marker}.first ]; then touch {marker}; exec sleep 600; fi
    touch {marker}.first
fi
exec {real} "$@"
"""


def write_pillar(live, openstack, cloud, backend_name=None, primary_manage=None):
    """The controllers' pillar of the e2e tests, the legacy nodes' role, and the primary's
    takeover switch; ``primary_manage`` replaces the primary's cinder-manage command."""
    per_node = cloud.pillar(PRIMARY, primary_manage)
    keystone = {"auth_url": openstack.auth_url, "password": secrets.KEYSTONE}
    live.pillar.write(
        ROTATED, keystone=keystone, volume_types={}, backend_name=backend_name, per_node=per_node
    )


def run(live, *args):
    started = time.monotonic()
    ret = live.salt_run.run("state.orchestrate", "datera.deploy", *args)
    return ret, time.monotonic() - started


def hosts_of(openstack, ids):
    return {vid: openstack.openstack("volume", "show", vid)["os-vol-host-attr:host"] for vid in ids}


def states_of(ret, phase, minion):
    """``{state id: state}`` of ``minion`` in an orchestration phase."""
    states = steps(ret)[phase]["changes"]["ret"][minion]
    return {state["__id__"]: state for state in states.values()}


def every_volume(cloud):
    return [vid for name in LEGACY for vid in cloud.volumes[name]]


def snapshot(cloud, openstack):
    """What the takeover must not touch before it runs: the nodes' cinder.conf, their service's
    process, the volumes' hosts, the service records."""
    nodes = {name: (node.conf(), node.main_pid()) for name, node in cloud.nodes.items()}
    records = sorted(
        r["Host"]
        for r in openstack.openstack("volume", "service", "list", "--service", "cinder-volume")
    )
    return nodes, hosts_of(openstack, every_volume(cloud)), records


@pytest.fixture(scope="module")
def cloud(live, openstack, legacy_cloud):
    return legacy_cloud


def test_preflight_refuses_a_volume_type_that_would_stop_matching(live, openstack, cloud):
    before = snapshot(cloud, openstack)
    write_pillar(live, openstack, cloud)  # volume_backend_name: the formula's default, datera
    ret, _ = run(live)
    assert ret.returncode != 0
    assert (
        f"volume type '{TYPE}' of moving volumes selects volume_backend_name=DEFAULT, but backend "
        "datera reports datera: set datera:backends:datera:volume_backend_name: DEFAULT"
    ) in ret.stdout
    assert snapshot(cloud, openstack) == before  # nothing changed anywhere


def test_dry_run_names_every_volume_and_changes_nothing(live, openstack, cloud):
    before = snapshot(cloud, openstack)
    write_pillar(live, openstack, cloud, backend_name="DEFAULT")
    ret, took = run(live, "test=True")
    live.timings["takeover: dry run"] = round(took, 1)
    assert ret.returncode == 0, ret.stdout[-4000:]
    plan = states_of(ret, "datera-deploy-primary", PRIMARY)["datera-takeover-datera-volumes-moved"]
    assert plan["result"] is None
    rows = [line for line in plan["comment"].splitlines() if line.startswith("| ")]
    listed = [row.split("|")[1].strip() for row in rows[1:]]  # under the header
    assert sorted(listed) == sorted(every_volume(cloud))
    assert plan["changes"]["move"] == {cloud.pools[n]: NEW_POOL for n in LEGACY}
    assert set(steps(ret)["datera-deploy-legacy"]["changes"]["ret"]) == set(LEGACY)
    for name in LEGACY:
        conf = states_of(ret, "datera-deploy-legacy", name)["datera-legacy-cinder-conf"]
        assert conf["result"] is None and "-san_password = ******" in conf["changes"]["diff"]
        service = states_of(ret, "datera-deploy-legacy", name)["datera-legacy-service"]
        assert service["changes"] == {"cinder-volume": "stopped and disabled"}
    assert PASSWORD not in ret.stdout and secrets.KEYSTONE not in ret.stdout
    assert snapshot(cloud, openstack) == before
    for node in cloud.nodes.values():
        assert node.run("test", "-e", "/etc/cinder/cinder.conf.datera-legacy").returncode == 1
    if os.environ.get("DATERA_TAKEOVER_SAMPLE"):
        write_sample(live)
        assert snapshot(cloud, openstack) == before


def write_sample(live):
    """The dry run as an operator sees it (Salt's highstate output), the legacy and primary
    phases, the bed's paths and addresses as a cloud has them; stops on any secret."""
    ret = live.salt_run.run("state.orchestrate", "datera.deploy", "test=True", "--out=highstate")
    assert ret.returncode == 0, ret.stdout[-4000:]
    lines = [line.rstrip() for line in ret.stdout.splitlines() if not NOISE.search(line)]
    text = "$ salt-run state.orchestrate datera.deploy test=True\n" + "\n".join(lines)
    text = excerpt(text, {"datera-deploy-legacy", "datera-deploy-primary"})
    shown = ((f"{live.root}/bin/", "/usr/bin/"), (f"{net.PREFIX}.", "192.168.0."),
             (live.master_config["id"], MASTER_ID))  # fmt: skip
    for old, new in shown:
        text = text.replace(old, new)
    assert not any(secret in text for secret in secrets.all_known()), "a secret in the sample"
    assert str(live.root) not in text, "a path of the bed in the sample"
    SAMPLE.write_text(text)


def stopping_manage(live):
    """A cinder-manage for the primary that runs the real one, except that its second
    ``volume update_service`` (the first old host moved, its volumes' services updated; the
    last old host's volumes on the new host, their service still the removed old one's)
    leaves a marker and blocks: ``(command, marker)``."""
    base = live.root / "takeover-killed"
    base.mkdir(exist_ok=True)
    marker = base / "blocked"
    script = base / "cinder-manage"
    script.write_text(STOPPING_MANAGE.format(marker=marker, real=live.manage))
    script.chmod(0o755)
    return str(script), marker


def homes(openstack, ids):
    """``{volume id: (host, host of the service record it points at)}`` from Cinder's
    database: what ``update_host`` and then ``update_service`` set."""
    quoted = ", ".join(f"'{vid}'" for vid in ids)
    out = openstack.sql(
        "SELECT v.id, v.host, s.host FROM volumes v LEFT JOIN services s "
        f"ON s.uuid = v.service_uuid WHERE v.id IN ({quoted})",
        db="cinder",
    )
    rows = (line.split("\t") for line in out.splitlines() if line.strip())
    return {vid: (host, service) for vid, host, service in rows}


def test_a_takeover_whose_primary_is_killed_half_way_converges_on_rerun(
    live, openstack, cloud, no_two_instances
):
    manage, blocked = stopping_manage(live)
    write_pillar(live, openstack, cloud, backend_name="DEFAULT", primary_manage=manage)
    with ThreadPoolExecutor(1) as background:
        job = background.submit(run, live)
        wait_for("the primary half way through the move", blocked.exists, 300, interval=0.2)
        killed = time.monotonic()
        try:
            live.nodes[PRIMARY].kill_minion()
        finally:  # as the bed starts it; the killed job is gone (and later tests need it)
            live.nodes[PRIMARY].start_minion()
        ret, _ = job.result()  # the master gives up on the job (its timeout, then find_job)
    live.timings["takeover: primary killed to the orchestration failing"] = round(
        time.monotonic() - killed, 1
    )
    assert ret.returncode != 0
    assert steps(ret)["datera-deploy-legacy"]["result"] is True
    assert steps(ret)["datera-deploy-primary"]["result"] is False
    for node in cloud.nodes.values():  # the old services stay stopped
        assert node.main_pid() is None
        assert node.service("status").returncode == 3
        assert "DateraDriver" not in node.conf()
    the_instance(live)  # the resource runs, once
    out = live.nodes[PRIMARY].run("crm_resource", "--resource", "p_cinder-volume", "--query-xml")
    assert out.returncode == 0 and 'type="cinder-volume"' in out.stdout, out.stdout + out.stderr
    first = min(cloud.pools, key=cloud.pools.get)  # the plan moves the old hosts in order
    found = homes(openstack, every_volume(cloud))
    for name in LEGACY:  # the first host fully moved; the last one's service not updated
        for vid in cloud.volumes[name]:
            if name == first:
                assert found[vid] == MOVED, (name, vid, found[vid])
            else:
                assert found[vid][0] == NEW_POOL and found[vid][1] != MOVED[1], (vid, found[vid])

    live.wait_minions()
    write_pillar(live, openstack, cloud, backend_name="DEFAULT")
    ret, took = run(live)
    live.timings["takeover: re-run completing it"] = round(took, 1)
    assert ret.returncode == 0, ret.stdout[-4000:]
    found = homes(openstack, every_volume(cloud))
    assert set(found.values()) == {MOVED}, found
    records = openstack.openstack("volume", "service", "list", "--service", "cinder-volume")
    hosts = {r["Host"] for r in records}
    assert "cinder@datera" in hosts and not hosts & set(cloud.hosts.values()), hosts
    for name, node in cloud.nodes.items():
        conf = node.conf()
        assert "DateraDriver" not in conf and "# the operator's part of cinder.conf" in conf
        kept = node.run("cat", "/etc/cinder/cinder.conf.datera-legacy", check=True).stdout
        assert "DateraDriver" in kept, name
        assert node.run("sh", "-c", "ls /etc/rc2.d | grep -q '^S.*cinder-volume'").returncode == 1


def test_a_rerun_after_the_takeover_changes_nothing(live, openstack, cloud):
    ret, _ = run(live)
    assert ret.returncode == 0
    changed = {
        step: s["changes"]
        for step, s in steps(ret).items()
        if step != "datera-deploy-prepare" and s["changes"]
    }
    assert changed == {}


def test_every_old_volume_is_managed_after_a_failover(live, openstack, cloud, no_two_instances):
    size = {vid: openstack.openstack("volume", "show", vid)["size"] for vid in every_volume(cloud)}
    for vid in every_volume(cloud):  # served by the formula's cinder-volume
        openstack.openstack("volume", "set", "--size", str(size[vid] + 1), vid, parse=False)
        wait_status(openstack, vid, "available", size=size[vid] + 1)
        assert sim_volume(live, vid)["size"] == size[vid] + 1
    with node_crashed(live) as crash:  # the crashed node rejoins after (the resource stays)
        for vid in every_volume(cloud):
            openstack.openstack("volume", "set", "--size", str(size[vid] + 2), vid, parse=False)
            wait_status(openstack, vid, "available", size=size[vid] + 2)
            openstack.openstack("volume", "delete", vid, parse=False)
            wait_gone(openstack, "volume", vid)
            assert app_instance(live, vid) is None
        live.timings["takeover: crash to every old volume extended and deleted"] = round(
            time.monotonic() - crash.started, 1
        )
