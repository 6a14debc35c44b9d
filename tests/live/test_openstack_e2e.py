"""
End to end on a real OpenStack control plane (tests/live/openstack.py): MariaDB, RabbitMQ,
Keystone 30, cinder-api and cinder-scheduler 29, and the live bed's cinder-volume under the
formula's Pacemaker resource. The formula's volume types are created through the real Cinder
API, a cloud user's volume lands on the Datera simulator with the type's ``DF:*`` specs, and
the shared ``backend_host`` keeps that volume manageable after a node crash (and, removed,
leaves it stuck). Runs after test_live_ha.py on the same bed, in order.
"""

import time

import pytest

from tests.live.bed import DRIVER_READY
from tests.live.test_live_ha import (
    ROTATED,
    log_offsets,
    node_crashed,
    orchestrate,
    restarted_on,
    steps,
    the_instance,
    wait_one_instance,
)
from tests.support import secrets

pytestmark = [pytest.mark.live, pytest.mark.e2e]

SHARED_HOST = "cinder@datera"
POOL = f"{SHARED_HOST}#datera"
HOST_QUEUE = f"cinder-volume.{SHARED_HOST}"
TYPES = {
    "datera-gold": {"replica_count": 2, "qos": {"total_iops_max": 5000}},
    "datera-bronze": {"replica_count": 1, "qos": {"read_bandwidth_max": 200}},
    "datera-silver": {"replica_count": 1},
}
MARKER = {"datera_formula:managed": "true"}  # on every type the formula made
EXPECTED = {
    "datera-gold": {
        "volume_backend_name": "datera",
        "DF:replica_count": "2",
        "DF:total_iops_max": "5000",
        **MARKER,
    },
    "datera-bronze": {
        "volume_backend_name": "datera",
        "DF:replica_count": "1",
        "DF:read_bandwidth_max": "200",
        **MARKER,
    },
    "datera-silver": {"volume_backend_name": "datera", "DF:replica_count": "1", **MARKER},
}


def write_pillar(live, openstack, types):
    keystone = {"auth_url": openstack.auth_url, "password": secrets.KEYSTONE}
    live.pillar.write(ROTATED, keystone=keystone, volume_types=types)


def wait_for(what, check, timeout=120, interval=1):
    """``check()``'s first truthy value within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what}: not within {timeout}s"
        time.sleep(interval)


def volume(openstack, name):
    return openstack.openstack("volume", "show", name)


def wait_status(openstack, name, status, timeout=120, size=None):
    def reached():
        vol = volume(openstack, name)
        assert vol["status"] not in ("error", "error_extending"), vol
        return vol if vol["status"] == status and size in (None, vol["size"]) else None

    return wait_for(f"volume {name} {status}", reached, timeout)


def wait_gone(openstack, kind, name, timeout=120):
    def gone():
        names = [row["Name"] for row in openstack.openstack(kind, "list")]
        return name not in names

    wait_for(f"{kind} {name} deleted", gone, timeout)


def app_instance(live, volume_id):
    """The simulator's app instance of a cinder volume (cinder's driver names it after the
    volume's id), or None."""
    with live.sim.state.lock:
        for table in live.sim.state.app_instances.values():
            for ai in table.values():
                if volume_id in ai["name"]:
                    return ai
    return None


def sim_volume(live, volume_id):
    ai = app_instance(live, volume_id)
    assert ai is not None, f"no app instance for {volume_id}"
    ((si,),) = [ai["storage_instances"]]
    (vol,) = si["volumes"]
    return vol


def snapshot_if(openstack, name, status):
    snap = openstack.openstack("volume", "snapshot", "show", name)
    assert snap["status"] != "error", snap
    return snap if snap["status"] == status else None


def types_listed(openstack):
    """``{name: properties}`` as ``openstack volume type list --long`` shows them."""
    rows = openstack.openstack("volume", "type", "list", "--long")
    return {row["Name"]: row["Properties"] for row in rows}


def restart_resource(live):
    """``crm_resource --restart`` of p_cinder-volume; the node it runs on once the driver is
    ready again."""
    node, pid = the_instance(live)
    offset = log_offsets(live)[node]
    out = live.nodes[node].run("crm_resource", "--restart", "-r", "p_cinder-volume", timeout=180)
    assert out.returncode == 0, out.stdout + out.stderr
    back_on, _ = wait_one_instance(live, timeout=60, not_pid=pid)
    live.wait_driver_ready(back_on, offset if back_on == node else 0)
    return back_on


def waiting_in(openstack):
    """``{queue: (messages ready, consumers)}`` of the shared host's RPC queues (cinder's
    volume RPC addresses topic ``cinder-volume.<host>@<backend>``) that hold messages."""
    return {
        name: counts
        for name, counts in openstack.queues().items()
        if name.startswith(HOST_QUEUE) and "_fanout_" not in name and counts[0]
    }


def scheduler_knows_the_pool(openstack):
    pools = openstack.openstack("volume", "backend", "pool", "list")
    return POOL in [row["Name"] for row in pools]


def test_cinder_volume_serves_the_real_control_plane(live, openstack, no_two_instances):
    write_pillar(live, openstack, {})
    ret, _ = orchestrate(live)  # the bed's deployment (a no-op after test_live_ha)
    started = time.monotonic()
    live.wait_running()
    node = restart_resource(live)  # now on the broker and the database of the control plane
    rows = wait_for("cinder-volume heartbeats in MariaDB", openstack.service_rows, 30)
    assert list(rows) == [SHARED_HOST], rows
    first = rows[SHARED_HOST][0]
    wait_for("report_count rising", lambda: openstack.service_rows()[SHARED_HOST][0] > first, 30)
    services = openstack.openstack("volume", "service", "list")
    volume_services = [(s["Host"], s["State"]) for s in services if s["Binary"] == "cinder-volume"]
    assert volume_services == [(SHARED_HOST, "up")]
    wait_for("the scheduler has the Datera pool", lambda: scheduler_knows_the_pool(openstack), 90)
    live.timings["e2e: cinder-volume switched to the control plane"] = round(
        time.monotonic() - started, 1
    )
    assert ret.returncode == 0 and DRIVER_READY in live.nodes[node].cinder_log()
    queues = openstack.queues()
    assert queues[HOST_QUEUE][1] >= 1, queues  # cinder-volume consumes from the broker


def test_volume_types_through_the_real_cinder_api(live, openstack, no_two_instances):
    write_pillar(live, openstack, TYPES)
    ret, took = orchestrate(live)
    live.timings["e2e: orchestration creating 3 volume types"] = round(took, 1)
    made = [
        s["__id__"]
        for s in steps(ret)["datera-deploy-primary"]["changes"]["ret"]["ctl1"].values()
        if s["__id__"].startswith("datera-volume-types") and s["changes"]
    ]
    assert sorted(made) == [f"datera-volume-types-{t}-present" for t in sorted(TYPES)]
    listed = types_listed(openstack)
    assert listed == {"__DEFAULT__": {}, **EXPECTED}  # with the formula's marker

    again, _ = orchestrate(live)
    changed = {step: s["changes"] for step, s in steps(again).items()
               if step != "datera-deploy-prepare" and s["changes"]}  # fmt: skip
    assert changed == {} and restarted_on(again) == []
    assert types_listed(openstack) == listed

    write_pillar(live, openstack, {**TYPES, "datera-bronze": {"ensure": "absent"}})
    gone, _ = orchestrate(live)
    assert gone.returncode == 0
    assert "datera-bronze" not in types_listed(openstack)

    # a key simply removed from pillar: the type goes on the next run
    declared = {"datera-gold": TYPES["datera-gold"]}
    write_pillar(live, openstack, declared)
    pruned, _ = orchestrate(live)
    assert pruned.returncode == 0, pruned.stdout
    assert types_listed(openstack) == {"__DEFAULT__": {}, "datera-gold": EXPECTED["datera-gold"]}
    assert secrets.KEYSTONE not in gone.stdout + again.stdout + ret.stdout + pruned.stdout


def test_a_users_volume_lands_on_datera_with_the_types_specs(live, openstack, no_two_instances):
    # the type carries the formula's marker: the scheduler places the volume all the same
    assert types_listed(openstack)["datera-gold"]["datera_formula:managed"] == "true"
    started = time.monotonic()
    openstack.openstack("volume", "create", "--type", "datera-gold", "--size", "1", "e2e-v1")
    vol = wait_status(openstack, "e2e-v1", "available")
    live.timings["e2e: volume create to available"] = round(time.monotonic() - started, 1)
    assert vol["os-vol-host-attr:host"] == POOL and vol["type"] == "datera-gold"
    on_sim = sim_volume(live, vol["id"])
    assert on_sim["size"] == 1
    assert on_sim["replica_count"] == 2  # DF:replica_count of datera-gold
    assert on_sim["performance_policy"]["total_iops_max"] == 5000  # DF:total_iops_max

    openstack.openstack("volume", "set", "--size", "2", "e2e-v1", parse=False)
    wait_status(openstack, "e2e-v1", "available", size=2)
    assert sim_volume(live, vol["id"])["size"] == 2

    openstack.openstack("volume", "snapshot", "create", "--volume", "e2e-v1", "e2e-s1")
    snap = wait_for("snapshot available", lambda: snapshot_if(openstack, "e2e-s1", "available"))
    assert len(sim_volume(live, vol["id"])["snapshots"]) == 1
    openstack.openstack("volume", "snapshot", "delete", snap["id"], parse=False)
    wait_gone(openstack, "volume snapshot", "e2e-s1")
    assert sim_volume(live, vol["id"])["snapshots"] == []

    openstack.openstack("volume", "delete", "e2e-v1", parse=False)
    wait_gone(openstack, "volume", "e2e-v1")
    assert app_instance(live, vol["id"]) is None


def test_the_shared_host_serves_a_volume_after_a_node_crash(live, openstack, no_two_instances):
    openstack.openstack("volume", "create", "--type", "datera-gold", "--size", "1", "e2e-ha")
    vol = wait_status(openstack, "e2e-ha", "available")
    with node_crashed(live) as crash:  # the crashed node rejoins after (the resource stays)
        took = time.monotonic() - crash.started
        live.timings["e2e: node crash to driver ready elsewhere"] = round(took, 1)
        openstack.openstack("volume", "set", "--size", "2", "e2e-ha", parse=False)
        wait_status(openstack, "e2e-ha", "available", size=2)
        assert sim_volume(live, vol["id"])["size"] == 2
        assert "Extend volume completed successfully" in live.nodes[crash.survivor].cinder_log()
        openstack.openstack("volume", "delete", "e2e-ha", parse=False)
        wait_gone(openstack, "volume", "e2e-ha")
        assert app_instance(live, vol["id"]) is None
        live.timings["e2e: node crash to volume extended and deleted"] = round(
            time.monotonic() - crash.started, 1
        )
        assert list(openstack.service_rows()) == [SHARED_HOST]  # served by one row throughout


def test_without_the_shared_host_the_volume_is_stranded(live, openstack, no_two_instances):
    openstack.openstack("volume", "create", "--type", "datera-gold", "--size", "1", "e2e-stuck")
    vol = wait_status(openstack, "e2e-stuck", "available")
    for node in live.nodes.values():  # what a controller without the seed's backend_host has
        node.run("sed", "-i", "/^backend_host = cinder$/d", "/etc/cinder/cinder.conf", check=True)
    node = restart_resource(live)
    own_host = f"{node}@datera"
    wait_for(f"{own_host} heartbeats", lambda: own_host in openstack.service_rows(), 30)

    openstack.openstack("volume", "set", "--size", "2", "e2e-stuck", parse=False)  # accepted
    waiting = wait_for(f"the extend waiting in {HOST_QUEUE}*", lambda: waiting_in(openstack), 30)
    time.sleep(10)  # cinder-volume on {node} had time to take it, and did not
    assert volume(openstack, "e2e-stuck")["status"] == "extending"
    assert waiting_in(openstack) == waiting  # still there, and no one consumes it
    assert all(consumers == 0 for _, consumers in waiting.values()), waiting
    assert sim_volume(live, vol["id"])["size"] == 1
    with pytest.raises(RuntimeError, match="400"):
        openstack.openstack("volume", "delete", "e2e-stuck", parse=False)

    # the formula puts backend_host back and restarts cinder-volume: the queue drains
    started = time.monotonic()
    ret, _ = orchestrate(live)
    assert restarted_on(ret) == [node]
    wait_status(openstack, "e2e-stuck", "available", size=2)
    live.timings["e2e: re-run restoring backend_host to stuck extend done"] = round(
        time.monotonic() - started, 1
    )
    assert sim_volume(live, vol["id"])["size"] == 2
    assert waiting_in(openstack) == {}
    assert all(openstack.queues()[name][1] >= 1 for name in waiting)  # consumed again
    openstack.openstack("volume", "delete", "e2e-stuck", parse=False)
    wait_gone(openstack, "volume", "e2e-stuck")
    assert app_instance(live, vol["id"]) is None
