"""The takeover states: the old service stopped or restarted, its records gone, volumes moved."""

import os
import time

import pytest

from tests.support.loaders import load

state = load("states", "datera_takeover")

OLD = {"section": "datera", "host": "node-4@datera", "volume_backend_name": "DEFAULT"}


class Node:
    """A legacy node as the state sees it: cinder.conf, the service, its processes, Cinder's
    service records, and what was done."""

    def __init__(self, conf):
        self.conf = conf
        self.legacy = {"serving": [], "retired": [OLD], "left": []}
        self.running, self.enabled = True, True
        self.started = time.time() - 3600  # started an hour ago
        self.records = ["node-4@datera", "node-4@lvm"]
        self.done = []

    def processes(self):
        return [{"pid": 4242, "started": self.started}] if self.running else []

    def call(self, what, stop_works=True):
        def run(*args, **kwargs):
            self.done.append(what)
            if what == "stop" and stop_works:
                self.running = False
            elif what in ("start", "restart"):
                self.running, self.started = True, time.time()
            elif what == "disable":
                self.enabled = False
            return True

        return run


@pytest.fixture
def node(tmp_path):
    conf = tmp_path / "cinder.conf"
    conf.write_text("[DEFAULT]\n")
    return Node(str(conf))


@pytest.fixture
def opts():
    return {"test": False}


@pytest.fixture
def plan():
    return {
        "new_host": "cinder@datera#datera",
        "hosts": ["node-4@datera#DEFAULT"],
        "served": [],
        "problems": [],
        "unfinished": [],
        "volumes": [
            {
                "id": "a1",
                "name": "web",
                "status": "available",
                "type": None,
                "host": "node-4@datera#DEFAULT",
                "on_cluster": True,
            }
        ],
    }


@pytest.fixture
def configure_loader_modules(node, opts, plan):
    def move(backend, found=None):
        assert found is plan  # the plan the state read, not listed again
        moved = [h for h in plan["hosts"] if h not in plan["served"]]
        node.done.append(("move", moved))
        return {
            "new_host": plan["new_host"],
            "moved": {h: ["a1"] for h in moved},
            "served": plan["served"],
            "finished": plan["unfinished"],
        }

    return {
        state: {
            "__salt__": {
                "datera_conf.legacy": lambda conf_file=None: node.legacy,
                "datera_cinder.processes": node.processes,
                "datera_cinder.services": lambda: [{"host": h} for h in node.records],
                "datera_cinder.remove_service": lambda host: node.done.append(("remove", host)),
                "datera_takeover.plan": lambda backend=None: plan,
                "datera_takeover.move": move,
                "service.status": lambda name: node.running,
                "service.enabled": lambda name: node.enabled,
                "service.stop": node.call("stop"),
                "service.start": node.call("start"),
                "service.restart": node.call("restart"),
                "service.disable": node.call("disable"),
            },
            "__opts__": opts,
        }
    }


def test_service_with_no_backend_left_is_stopped_and_disabled_once(node):
    ret = state.service_retired("cinder-volume", node.conf)
    assert ret["result"] is True
    assert ret["changes"] == {"cinder-volume": {"stopped": True, "disabled": True}}
    assert node.done == ["stop", "disable"]
    again = state.service_retired("cinder-volume", node.conf)
    assert again["changes"] == {} and again["result"] is True


def test_a_process_left_after_the_stop_fails_naming_it(node):
    state.__salt__["service.stop"] = node.call("stop", stop_works=False)
    ret = state.service_retired("cinder-volume", node.conf)
    assert ret["result"] is False
    assert ret["comment"] == "cinder-volume still runs after it was stopped: pids [4242]"


def test_service_older_than_the_edit_is_restarted_for_the_backends_left(node):
    # a run killed between the edit and the restart: the process predates cinder.conf
    node.legacy["left"] = ["lvm"]
    ret = state.service_retired("cinder-volume", node.conf)
    assert ret["changes"] == {"cinder-volume": {"restarted": True, "stale_pids": [4242]}}
    assert ret["comment"] == "cinder-volume serves lvm"
    assert state.service_retired("cinder-volume", node.conf)["changes"] == {}
    assert node.done == ["restart"]


def test_a_service_started_after_the_edit_is_left_running(node):
    node.legacy["left"] = ["lvm"]
    os.utime(node.conf, (node.started - 60, node.started - 60))
    assert state.service_retired("cinder-volume", node.conf)["changes"] == {}
    assert node.done == []


def test_dry_run_says_what_would_happen_and_does_nothing(node, opts):
    opts["test"] = True
    node.legacy.update(serving=[OLD], retired=[])
    ret = state.service_retired("cinder-volume", node.conf)
    assert ret["result"] is None
    assert ret["comment"] == (
        "cinder-volume would be stopped and disabled (it serves the old Datera backend)"
    )
    records = state.service_records_absent(node.conf)
    assert records["result"] is None and records["changes"] == {"removed": ["node-4@datera"]}
    assert node.done == []


def test_only_the_old_datera_record_is_removed_once(node):
    ret = state.service_records_absent(node.conf)
    assert ret["changes"] == {"removed": ["node-4@datera"]}
    assert node.done == [("remove", "node-4@datera")]
    node.records.remove("node-4@datera")
    assert state.service_records_absent(node.conf)["changes"] == {}


def test_dry_run_of_the_move_shows_the_volumes_as_a_table(node, opts):
    opts["test"] = True
    ret = state.volumes_moved("datera")
    assert ret["result"] is None
    assert ret["changes"] == {"move": {"node-4@datera#DEFAULT": "cinder@datera#datera"}}
    lines = ret["comment"].splitlines()
    assert lines[0] == "would move 1 volume(s) to cinder@datera#datera:"
    assert lines[2] == "| ID | Name | Status    | Type | Host                  | On the cluster |"
    assert lines[4] == "| a1 | web  | available |      | node-4@datera#DEFAULT | yes            |"
    assert node.done == []


def test_a_host_still_served_fails_the_move_naming_it(node, plan):
    plan["hosts"].append("node-5#DEFAULT")
    plan["served"].append("node-5#DEFAULT")
    ret = state.volumes_moved("datera")
    assert ret["result"] is False
    assert ret["changes"] == {"moved": {"node-4@datera#DEFAULT": "cinder@datera#datera"}}
    assert "a cinder-volume still serves: node-5#DEFAULT" in ret["comment"]
    assert node.done == [("move", ["node-4@datera#DEFAULT"])]


def test_nothing_to_move_is_no_change(node, plan):
    plan["hosts"].clear()
    ret = state.volumes_moved("datera")
    assert (ret["result"], ret["changes"]) == (True, {})
    assert node.done == []


def test_a_move_stopped_half_way_is_finished(node, plan, opts):
    """The volumes are on the shared host, their service not yet: nothing to move, but the
    move is not done (the state points them at the shared host's service)."""
    plan["hosts"].clear()
    plan["unfinished"].append("node-4@datera#DEFAULT")
    opts["test"] = True
    ret = state.volumes_moved("datera")
    assert (ret["result"], ret["changes"]) == (None, {"service": ["node-4@datera#DEFAULT"]})
    assert ret["comment"] == (
        "would point the volumes moved from node-4@datera#DEFAULT at the service of "
        "cinder@datera#datera"
    )
    assert node.done == []
    opts["test"] = False
    ret = state.volumes_moved("datera")
    assert (ret["result"], ret["changes"]) == (True, {"service": ["node-4@datera#DEFAULT"]})
    assert node.done == [("move", [])]
