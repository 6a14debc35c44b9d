"""
The formula's central promise, on a live cluster: one cinder-volume, active/passive under
Pacemaker, the same ``host`` on every controller. The tests run in order on one bed (a
deployment that lives through them); the process sampler (every 0.2 s, on every node) fails
the test during which it sees two cinder-volume main processes, and the session if it ever
does.
"""

import json
import os
import signal
import time
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from types import SimpleNamespace

import pytest

from tests.live.bed import DRIVER_READY, NODES
from tests.support import orchestration, secrets
from tests.support.paths import REPO

pytestmark = pytest.mark.live

PASSWORD = secrets.DEPLOY
ROTATED = secrets.ROTATED
SHARED_HOST_ROW = "cinder@datera"
MONITOR_INTERVAL = 20  # the formula's default monitor op


def orchestrate(live):
    started = time.monotonic()
    ret = live.salt_run.run("state.orchestrate", "datera.deploy")
    assert ret.returncode == 0, ret.stdout[-5000:]
    return ret, time.monotonic() - started


def steps(ret):
    data = ret.data if isinstance(ret.data, dict) else json.loads(ret.stdout)
    data = data.get("data", data)
    (states,) = data.values()
    return {state["__id__"]: state for state in states.values()}


def restarted_on(ret):
    """The controllers that restarted cinder-volume through Pacemaker in this run."""
    data = ret.data if isinstance(ret.data, dict) else json.loads(ret.stdout)
    return orchestration.restarted_on(data)


def the_instance(live):
    """``(node, pid)`` of the one cinder-volume main process (asserts there is exactly one)."""
    mains = live.sampler.mains()
    assert sum(len(p) for p in mains.values()) == 1, mains
    ((node, (pid,)),) = mains.items()
    return node, pid


def wait_one_instance(live, timeout=30, not_pid=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mains = live.sampler.mains()
        pids = [p for ps in mains.values() for p in ps]
        if len(pids) == 1 and pids[0] != not_pid:
            return the_instance(live)
        time.sleep(0.1)
    raise AssertionError(f"not one cinder-volume after {timeout}s: {live.sampler.mains()}")


def log_offsets(live):
    return {name: len(live.nodes[name].cinder_log()) for name in NODES}


@contextmanager
def node_crashed(live):
    """The node running cinder-volume crashes (``kill -9`` of its whole namespace). Yields
    ``crash`` (``node``, ``survivor``, ``started``: when the kill began, ``offline``: seconds
    until the others saw the node OFFLINE) once the driver is ready on ``survivor``; on
    leaving, the node starts again and rejoins, its minion answers, and the resource has
    stayed on ``survivor`` (stickiness)."""
    crash = SimpleNamespace(node=the_instance(live)[0])
    offsets = log_offsets(live)
    crash.started = time.monotonic()
    live.nodes[crash.node].crash()
    live.wait_offline(crash.node)
    crash.offline = time.monotonic() - crash.started
    crash.survivor = live.wait_running(not_on=(crash.node,))
    live.wait_driver_ready(crash.survivor, offsets[crash.survivor])
    yield crash
    live.nodes[crash.node].start()
    live.wait_formed()
    live.wait_minions()
    assert live.wait_running() == crash.survivor


def report_count_rises(live, timeout=30):
    """The shared host's service row: one row, its heartbeat count going up."""
    first = live.service_rows()
    assert list(first) == [SHARED_HOST_ROW], first
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.5)
        rows = live.service_rows()
        assert list(rows) == [SHARED_HOST_ROW], rows
        if rows[SHARED_HOST_ROW] > first[SHARED_HOST_ROW]:
            return rows[SHARED_HOST_ROW]
    raise AssertionError(f"report_count of {SHARED_HOST_ROW} stuck at {first}")


def cib_epoch(live):
    out = live.nodes["ctl1"].run("cibadmin", "--query", "--xpath", "/cib", "--no-children")
    root = ET.fromstring(out.stdout)
    return root.get("admin_epoch"), root.get("epoch")


def test_deploy_runs_one_real_cinder_volume(live, no_two_instances):
    live.t0 = time.monotonic()
    live.pillar.write(PASSWORD)
    ret, took = orchestrate(live)
    live.timings["deploy (orchestration)"] = round(took, 1)
    shipped = (REPO / "datera" / "files" / "cinder-volume.ocf").read_bytes()
    for name, node in live.nodes.items():
        conf = node.run("cat", "/etc/cinder/cinder.conf", check=True).stdout
        assert "[datera]" in conf and "backend_host = cinder" in conf, (name, conf)
        assert f"san_ip = {live.sim.host}" in conf
        agent = node.run("cat", "/usr/lib/ocf/resource.d/datera/cinder-volume", check=True)
        assert agent.stdout.encode() == shipped
    created = steps(ret)["datera-deploy-primary"]["changes"]["ret"]["ctl1"]
    assert any(
        s["__id__"] == "datera-pacemaker-resource-present" and s["changes"]
        for s in created.values()
    )
    # the other controllers got the agent after the resource existed: probed again there
    others = steps(ret)["datera-deploy-others"]["changes"]["ret"]
    for name in ("ctl2", "ctl3"):
        assert any(
            s["__id__"] == "datera-pacemaker-agent-reprobed" and s["changes"]
            for s in others[name].values()
        ), others[name]
    node = live.wait_running()
    live.wait_driver_ready(node, 0)
    live.timings["deploy to driver ready"] = round(time.monotonic() - live.t0, 1)
    view = live.salt.run("datera_cib.cluster_status", minion_tgt="ctl1").data
    assert view["failed_actions"] == [] and not any(view["fail_counts"].values()), view
    assert the_instance(live)[0] == node
    report_count_rises(live)
    log = live.nodes[node].cinder_log()
    assert "Starting volume driver DateraDriver" in log and DRIVER_READY in log


def test_kill_9_of_cinder_volume_is_restarted_by_the_monitor(live, no_two_instances):
    node, pid = the_instance(live)
    offset = log_offsets(live)[node]
    started = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    back_on, new_pid = wait_one_instance(live, timeout=MONITOR_INTERVAL + 40, not_pid=pid)
    live.wait_driver_ready(back_on, offset if back_on == node else 0)
    took = time.monotonic() - started
    live.timings["kill -9 to driver ready"] = round(took, 1)
    assert took <= MONITOR_INTERVAL + 15
    assert new_pid != pid
    report_count_rises(live)
    # the operators' view: the failed monitor and the fail count, as crm_mon shows them
    view = live.salt_run.run("datera.status", "full=True")
    rows = {row[1]: row for row in view.data["rows"]}
    assert rows[node][4] >= 1, view.data["table"]
    assert "Failed Resource Actions:" in view.data["table"]
    assert f"monitor on {node} returned 'not running'" in view.data["table"]


def test_node_crash_fails_over_with_the_same_service_row(live, no_two_instances):
    with node_crashed(live) as crash:
        node, survivor = crash.node, crash.survivor
        live.timings["node crash to OFFLINE"] = round(crash.offline, 1)
        took = time.monotonic() - crash.started
        live.timings["node crash to driver ready elsewhere"] = round(took, 1)
        assert the_instance(live)[0] == survivor
        report_count_rises(live)  # the same cinder@datera row, still the only one
        # the operators' view while the node is down: its minion is silent, its node OFFLINE
        view = live.salt_run.run("datera.status", "timeout=5", "full=True")
        assert view.returncode != 0
        rows = {row[0]: row for row in view.data["rows"]}
        assert [rows[node][i] for i in (2, 3, 5)] == ["OFFLINE", "-", "no answer"]
        assert [rows[survivor][i] for i in (2, 3, 5)] == ["online", "Started", "in sync"]
    # the crashed node came back and rejoined; the resource stayed where it is (stickiness)
    assert the_instance(live)[0] == survivor


def test_credential_rotation_restarts_once_through_pacemaker(live, no_two_instances):
    node, pid = the_instance(live)
    offset = log_offsets(live)[node]
    live.sim.reset_counts()
    seen = len(live.sampler.seen)
    started = time.monotonic()
    live.pillar.write(ROTATED)  # the cluster accepts only the new password from now on
    ret, _ = orchestrate(live)
    assert restarted_on(ret) == [node]  # one restart, requested where it runs
    new_node, new_pid = wait_one_instance(live, timeout=30, not_pid=pid)
    live.wait_driver_ready(new_node, offset if new_node == node else 0)
    live.timings["rotation (pillar edit to new credentials in use)"] = round(
        time.monotonic() - started, 1
    )
    assert [p for _, _, p in live.sampler.seen[seen:]] == [new_pid]  # exactly one restart
    # cinder's driver (dfs-sdk sends a Datera-Driver header; the formula's client does not)
    # logged in, and the cluster accepts only the new password now
    driver_logins = [
        e["status"]
        for e in live.sim.log
        if e["path"].endswith("/login") and e["method"] == "PUT" and "datera-driver" in e["headers"]
    ]
    assert 200 in driver_logins, driver_logins
    assert live.sim.state.users == {"admin": ROTATED}
    for name in NODES:
        conf = live.nodes[name].run("cat", "/etc/cinder/cinder.conf", check=True).stdout
        assert ROTATED in conf and PASSWORD not in conf
    report_count_rises(live)


def test_standby_of_the_active_node_moves_it_cleanly(live, no_two_instances):
    node, _ = the_instance(live)
    offsets = log_offsets(live)
    other = next(n for n in NODES if n != node)
    started = time.monotonic()
    live.nodes[other].run("crm_attribute", "-N", node, "-n", "standby", "-v", "on", check=True)
    try:
        moved_to = live.wait_running(not_on=(node,))
        live.wait_driver_ready(moved_to, offsets[moved_to])
        live.timings["standby move to driver ready"] = round(time.monotonic() - started, 1)
        assert the_instance(live)[0] == moved_to
    finally:
        live.nodes[other].run("crm_attribute", "-N", node, "-n", "standby", "-v", "off")
    time.sleep(3)
    assert the_instance(live)[0] == moved_to  # stickiness: it stays


def test_a_rerun_changes_nothing_and_restarts_nothing(live, no_two_instances):
    node, pid = the_instance(live)
    before = cib_epoch(live)
    seen = len(live.sampler.seen)
    ret, took = orchestrate(live)
    live.timings["re-run (no change)"] = round(took, 1)
    changed = {
        step: state["changes"]
        for step, state in steps(ret).items()
        if step != "datera-deploy-prepare" and state["changes"]
    }
    assert changed == {}
    assert restarted_on(ret) == []
    time.sleep(2)
    assert the_instance(live) == (node, pid) and live.sampler.seen[seen:] == []
    assert cib_epoch(live) == before


def test_status_shows_where_it_runs_and_that_every_conf_matches(live):
    node, _ = the_instance(live)
    ret = live.salt_run.run("datera.status")
    assert ret.returncode == 0, ret.stdout
    table = ret.data["table"].split("\n\n")[0].splitlines()  # before the failed actions
    assert f"p_cinder-volume Started on {node}" in table[0]
    assert table[1].split()[-2:] == ["FAIL-COUNT", "CINDER.CONF"]
    rows = {line.split()[0]: line.split()[1:4] + line.split()[5:] for line in table[2:]}
    assert rows == {
        name: [name, "online", "Started" if name == node else "-", "in", "sync"] for name in NODES
    }
    print("\n" + ret.data["table"])
