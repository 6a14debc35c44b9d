"""
datera_cib against Pacemaker's real command-line tools on a CIB file (no cluster, no mocks).

The CIB file has three controllers ctl1..ctl3 and fencing off; ``crm_simulate`` plays the
cluster: placement, failover and stickiness are the scheduler's own decisions.
"""

import importlib.util
import os
import shutil
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from unittest.mock import patch

import pytest
from salt.exceptions import CommandExecutionError

from tests.support import crm_simulate
from tests.support.paths import REPO

pytestmark = pytest.mark.skipif(
    not shutil.which("cibadmin") or not shutil.which("crm_simulate"),
    reason="Pacemaker CLI (pacemaker-cli-utils) not installed",
)

RID = "p_cinder-volume"
NODES = ("ctl1", "ctl2", "ctl3")
PARAMS = {"amqp_server_port": "5673", "multibackend": "true"}
EXPORTED = (
    "check_agent",
    "resource_xml",
    "diff",
    "exists",
    "resource_present",
    "resource_absent",
    "restart",
    "wait_for_resource",
    "cluster_status",
    "started_at",
    "reprobe",
)


def _load(kind):
    name = f"datera_cib_functional_{kind}"
    spec = importlib.util.spec_from_file_location(name, REPO / f"_{kind}" / "datera_cib.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cibmod = _load("modules")
cibstate = _load("states")


def simulate(cib, save_to=None, **nodes):
    """Pacemaker's scheduler acts on the CIB file (tests/support/crm_simulate.py); returns
    its transition summary and the resulting ``cluster_status``."""
    transition = crm_simulate.simulate(cib, save_to=save_to, **nodes)
    return {"transition": transition, "status": cibmod.cluster_status(RID, save_to or cib)}


class Runner:
    """A ``cmd.run_all`` that really runs the command; ``hook(args)`` runs after each one."""

    def __init__(self):
        self.calls = []
        self.hook = None

    def __call__(self, cmd, env=None, python_shell=False, ignore_retcode=False, **kwargs):
        assert isinstance(cmd, list) and not python_shell
        proc = subprocess.run(
            cmd, env=dict(os.environ, **(env or {})), capture_output=True, text=True, check=False
        )
        self.calls.append(list(cmd))
        if self.hook:
            self.hook(cmd)
        return {
            "retcode": proc.returncode,
            "stdout": proc.stdout.rstrip(),
            "stderr": proc.stderr.rstrip(),
            "pid": 0,
        }

    def writes(self):
        verbs = ("--create", "--replace", "--delete", "--set-parameter")
        return [c for c in self.calls if any(v in c for v in verbs)]


@pytest.fixture
def runner():
    return Runner()


@pytest.fixture
def configure_loader_modules(runner):
    exported = {f"datera_cib.{fn}": getattr(cibmod, fn) for fn in EXPORTED}
    return {
        cibmod: {
            "__salt__": {"cmd.run_all": runner},
            "__opts__": {"test": False},
        },
        cibstate: {"__salt__": exported, "__opts__": {"test": False}},
    }


def pcmk(cib, *args):
    """Another party's Pacemaker command on the same CIB file (not through the module)."""
    return subprocess.run(
        list(args), env=dict(os.environ, CIB_file=str(cib)), capture_output=True, text=True
    )


@pytest.fixture
def cib(tmp_path):
    path = tmp_path / "cib.xml"
    path.write_text(subprocess.run(["cibadmin", "--empty"], capture_output=True, text=True).stdout)
    nodes = "".join(f'<node id="{i}" uname="{n}"/>' for i, n in enumerate(NODES, start=1))
    pcmk(path, "cibadmin", "--modify", "--scope", "nodes", "--xml-text", f"<nodes>{nodes}</nodes>")
    pcmk(path, "crm_attribute", "--type", "crm_config", "--name", "stonith-enabled", "-v", "false")
    return str(path)


def epoch(cib):
    root = ET.parse(cib).getroot()
    return int(root.get("admin_epoch")), int(root.get("epoch"))


def primitives(cib):
    return ET.parse(cib).getroot().findall("configuration/resources//primitive")


def nvpairs(cib, tag):
    prim = ET.parse(cib).getroot().find(f"configuration/resources/primitive[@id='{RID}']")
    return {nv.get("name"): nv.get("value") for nv in prim.iterfind(f"{tag}/nvpair")}


def present(cib, **kwargs):
    kwargs.setdefault("params", PARAMS)
    return cibstate.resource_present(RID, agent="systemd:cinder-volume", cib_file=cib, **kwargs)


# --- create, converge, idempotence -------------------------------------------------------------


def test_create_then_reapply_changes_nothing(cib, runner):
    ret = present(cib)
    assert ret["result"] is True, ret["comment"]
    # three Pacemaker tool runs (~20 ms of CPU each): the CIB, its epoch again, the create
    assert [c[:2] for c in runner.calls] == [["cibadmin", "--query"]] * 2 + [
        ["cibadmin", "--create"]
    ]
    assert "+<primitive" in ret["changes"]["diff"] and ret["comment"] == f"{RID} created"
    assert len(primitives(cib)) == 1
    prim = primitives(cib)[0]
    assert (prim.get("class"), prim.get("type")) == ("systemd", "cinder-volume")
    assert nvpairs(cib, "meta_attributes") == {"resource-stickiness": "100"}
    assert nvpairs(cib, "instance_attributes") == PARAMS
    ops = {(o.get("name"), o.get("interval"), o.get("timeout")) for o in prim.iter("op")}
    assert ops == {("monitor", "20s", "10s"), ("start", "0s", "60s"), ("stop", "0s", "60s")}
    assert cibmod.verify(cib) == {"valid": True, "messages": []}
    assert subprocess.run(["crm_verify", "-x", cib]).returncode == 0

    before, writes, calls = epoch(cib), len(runner.writes()), len(runner.calls)
    again = present(cib)
    assert again["result"] is True and again["changes"] == {}
    assert epoch(cib) == before and len(runner.writes()) == writes
    assert runner.calls[calls:] == [["cibadmin", "--query"]]  # nothing to write: one query


def test_param_change_updates_once(cib, runner):
    present(cib)
    before = epoch(cib)
    changed = dict(PARAMS, amqp_server_port="5672")
    ret = present(cib, params=changed)
    assert ret["result"] is True and ret["comment"] == f"{RID} updated"
    diff = ret["changes"]["diff"]
    assert '-    <nvpair id="p_cinder-volume-instance_attributes-amqp_server_port"' in diff
    assert 'value="5672"' in diff
    assert epoch(cib) == (before[0], before[1] + 1)
    assert nvpairs(cib, "instance_attributes")["amqp_server_port"] == "5672"
    assert len(primitives(cib)) == 1
    assert present(cib, params=changed)["changes"] == {}
    assert epoch(cib) == (before[0], before[1] + 1)


def test_test_mode_reports_diff_and_writes_nothing(cib, runner):
    content = Path(cib).read_text()
    with patch.dict(cibstate.__opts__, {"test": True}):
        ret = present(cib)
    assert ret["result"] is None and ret["comment"] == f"{RID} would be created"
    assert ret["changes"]["diff"].startswith("--- /dev/null")
    assert Path(cib).read_text() == content and runner.writes() == []

    present(cib)
    with patch.dict(cibstate.__opts__, {"test": True}):
        same = present(cib)
        other = present(cib, meta={"resource-stickiness": 200})
    assert same["result"] is True and same["changes"] == {}
    assert other["result"] is None and other["comment"] == f"{RID} would be updated"
    stickiness = '+    <nvpair id="p_cinder-volume-meta_attributes-resource-stickiness"'
    assert stickiness in other["changes"]["diff"]
    assert nvpairs(cib, "meta_attributes") == {"resource-stickiness": "100"}


def test_absent(cib):
    present(cib)
    ret = cibstate.resource_absent(RID, cib_file=cib)
    assert ret["result"] is True and ret["changes"]["deleted"] == RID
    assert primitives(cib) == []
    assert cibstate.resource_absent(RID, cib_file=cib)["changes"] == {}


def test_absent_removes_constraints_naming_it(cib):
    present(cib)
    pcmk(cib, "crm_resource", "--move", "-r", RID, "--node", "ctl2")
    other = '<primitive id="other" class="systemd" type="other"/>'
    assert pcmk(cib, "cibadmin", "--create", "-o", "resources", "-X", other).returncode == 0
    colocation = f'<rsc_colocation id="c" rsc="{RID}" with-rsc="other" score="100"/>'
    assert pcmk(cib, "cibadmin", "--create", "-o", "constraints", "-X", colocation).returncode == 0
    ret = cibstate.resource_absent(RID, cib_file=cib)
    assert ret["result"] is True, ret["comment"]
    assert (
        "-<rsc_location" in ret["changes"]["diff"] and "-<rsc_colocation" in ret["changes"]["diff"]
    )
    assert [p.get("id") for p in primitives(cib)] == ["other"]
    assert not list(ET.parse(cib).getroot().find("configuration/constraints"))
    assert cibmod.verify(cib)["valid"]


def test_not_a_primitive_is_refused(cib):
    clone = f'<clone id="{RID}"><primitive id="inner" class="systemd" type="x"/></clone>'
    pcmk(cib, "cibadmin", "--create", "--scope", "resources", "--xml-text", clone)
    ret = present(cib)
    assert ret["result"] is False and "as a <clone>" in ret["comment"]


# --- concurrent changes between read and write -------------------------------------------------


def _after_resource_read(runner, action, times=1):
    """Run ``action`` right after the module has read the resource (``times`` times): its
    read of the whole CIB, the resource and the epochs at once."""
    left = [times]

    def hook(cmd):
        if left[0] and cmd == ["cibadmin", "--query"]:
            left[0] -= 1
            action()

    runner.hook = hook


def test_concurrent_change_is_reread_not_overwritten(cib, runner):
    present(cib)
    # another admin disables the resource while the module is comparing: without the epoch
    # check the replace (from the stale read) would drop their target-role
    disable = ("crm_resource", "-r", RID, "--meta", "-p", "target-role", "-v", "Stopped")
    _after_resource_read(runner, lambda: pcmk(cib, *disable))
    done = cibmod.resource_present(RID, params=dict(PARAMS, multibackend="false"), cib_file=cib)
    assert done["action"] == "updated" and done["retries"] == 1
    assert nvpairs(cib, "meta_attributes")["target-role"] == "Stopped"
    assert nvpairs(cib, "instance_attributes")["multibackend"] == "false"


def test_concurrent_identical_create_is_left_alone(cib, runner):
    xml = cibmod.render_primitive(RID, params=PARAMS)
    _after_resource_read(
        runner, lambda: pcmk(cib, "cibadmin", "--create", "-o", "resources", "-X", xml)
    )
    ret = present(cib)
    assert ret["result"] is True and ret["changes"] == {}
    assert len(primitives(cib)) == 1
    assert not [c for c in runner.writes() if "--create" in c]


def test_cib_moving_twice_fails_without_writing(cib, runner):
    present(cib)
    counter = iter(range(100))
    _after_resource_read(
        runner,
        lambda: pcmk(cib, "crm_attribute", "-t", "crm_config", "-n", "x", "-v", str(next(counter))),
        times=2,
    )
    writes = len(runner.writes())
    ret = present(cib, params={"amqp_server_port": "1"})
    assert ret["result"] is False and "changed twice" in ret["comment"]
    assert len(runner.writes()) == writes
    assert nvpairs(cib, "instance_attributes") == PARAMS


# --- placement: crm_simulate plays the cluster ------------------------------------------------


def test_started_on_one_node_fails_over_and_sticks(cib):
    present(cib)
    first = simulate(cib, node_up=NODES)
    assert len(first["status"]["running_on"]) == 1, first
    home = first["status"]["running_on"][0]
    assert any(line.startswith("Start") for line in first["transition"])
    assert cibmod.cluster_status(RID, cib)["running_on"] == [home]

    failover = simulate(cib, node_fail=[home])
    running = failover["status"]["running_on"]
    assert len(running) == 1 and running[0] != home, failover
    assert failover["status"]["nodes"][home] is False

    back = simulate(cib, node_up=[home])
    assert back["status"]["running_on"] == running, back  # stickiness: it stays
    assert back["transition"] == []
    # status changes are not configuration changes
    assert present(cib)["changes"] == {}


def test_crm_simulate_output_file(cib, tmp_path):
    present(cib)
    out = tmp_path / "after.xml"
    res = simulate(cib, node_up=NODES, save_to=str(out))
    assert len(res["status"]["running_on"]) == 1
    assert cibmod.cluster_status(RID, cib)["running_on"] == []  # the input is untouched
    assert cibmod.cluster_status(RID, str(out))["running_on"] == res["status"]["running_on"]


def test_a_failed_monitor_shows_as_crm_mon_shows_it(cib):
    present(cib)
    home = simulate(cib, node_up=NODES)["status"]["running_on"][0]
    assert cibmod.cluster_status(RID, cib)["failed_actions"] == []
    # the monitor finds cinder-volume gone (as after a kill -9); Pacemaker recovers it
    pcmk(cib, "crm_simulate", "--simulate", "--quorum", "1", "--xml-file", cib,
         "--save-output", cib, "--op-inject", f"{RID}_monitor_20000@{home}=7")  # fmt: skip
    status = cibmod.cluster_status(RID, cib)
    assert status["running_on"] == [home]
    assert status["fail_counts"] == {home: 1}
    [action] = status["failed_actions"]
    assert action.startswith(f"{RID} 20s-interval monitor on {home} returned 'not running'")


# --- restart ----------------------------------------------------------------------------------


def test_restart_on_a_cib_file_restarts_nothing_and_writes_nothing(cib, runner):
    present(cib)
    before, writes = epoch(cib), len(runner.writes())
    ret = cibstate.restarted(RID, cib_file=cib)
    assert ret["result"] is True
    assert ret["changes"] == {
        "restarted": RID,
        "method": "none: a CIB file has no cluster to restart",
    }
    assert epoch(cib) == before and len(runner.writes()) == writes
    assert present(cib)["changes"] == {}
    assert cibmod.verify(cib)["valid"]


def test_restart_test_mode_and_missing(cib, runner):
    with patch.dict(cibstate.__opts__, {"test": True}):
        ret = cibstate.restarted(RID, cib_file=cib)
    assert ret["result"] is None and "would be restarted" in ret["comment"]
    missing = cibstate.restarted(RID, cib_file=cib)
    assert missing["result"] is False and "no such resource" in missing["comment"]
    assert runner.writes() == []
    with pytest.raises(CommandExecutionError):
        cibmod.restart(RID, cib_file=cib)


def test_started_at_reads_the_start_of_the_instance_on_a_node(cib, runner):
    present(cib)
    assert all(cibmod.started_at(RID, n, cib) is None for n in NODES)  # never started
    (running_on,) = simulate(cib, node_up=NODES)["status"]["running_on"]
    started = cibmod.started_at(RID, running_on, cib)
    assert isinstance(started, int)
    assert [cibmod.started_at(RID, n, cib) for n in NODES if n != running_on] == [None, None]


def test_no_second_restart_where_the_instance_started_after_the_file(tmp_path):
    """A restart through Pacemaker may place cinder-volume on another controller whose own
    cinder.conf changed in the same orchestration: that instance read the new file, so
    that controller does not restart it again (live cluster)."""
    conf = tmp_path / "cinder.conf"
    conf.write_text("[DEFAULT]\n")
    written = int(conf.stat().st_mtime)
    restarts = []
    fake = {
        "datera_cib.cluster_status": lambda *a: {"exists": True, "running_on": ["ctl3"]},
        "datera_cib.node_name": lambda: "ctl3",
        "datera_cib.restart": lambda *a: restarts.append(a) or {
            "method": "crm_resource --restart"},
    }  # fmt: skip
    for started, expect_restart in ((written + 2, False), (written - 60, True), (None, True)):
        fake["datera_cib.started_at"] = lambda *a, s=started: s
        with patch.dict(cibstate.__salt__, fake):
            ret = cibstate.restarted(
                RID, cib_file="", only_where_running=True, unless_started_after=str(conf)
            )
        assert ret["result"] is True
        assert bool(ret["changes"]) is expect_restart, ret
        if not expect_restart:
            assert "started here after" in ret["comment"]
    assert len(restarts) == 2


@pytest.mark.parametrize("node", NODES)
def test_restart_only_where_running(cib, runner, node):
    """Every controller whose cinder.conf changed asks; only the one running it restarts."""
    here = {"datera_cib.node_name": lambda: node}
    with patch.dict(cibstate.__salt__, here):
        missing = cibstate.restarted(RID, cib_file=cib, only_where_running=True)
        assert missing["result"] is True and missing["changes"] == {}
        assert "does not exist yet" in missing["comment"]
        present(cib)
        stopped = cibstate.restarted(RID, cib_file=cib, only_where_running=True)
        assert stopped["changes"] == {} and "runs on no node" in stopped["comment"]

        (running_on,) = simulate(cib, node_up=NODES)["status"]["running_on"]
        with patch.dict(cibstate.__opts__, {"test": True}):
            dry = cibstate.restarted(RID, cib_file=cib, only_where_running=True)
        ret = cibstate.restarted(RID, cib_file=cib, only_where_running=True)
    if node == running_on:
        assert dry["result"] is None and dry["changes"] == {"restarted": RID}
        assert ret["result"] is True and ret["changes"]["restarted"] == RID
    else:
        assert dry["result"] is True and dry["changes"] == {}
        assert ret["result"] is True and ret["changes"] == {}
        assert f"runs on {running_on}, not on this node ({node})" in ret["comment"]


# --- non-primary controllers: exists / wait ---------------------------------------------------


def test_resource_exists_waits_bounded(cib):
    start = time.monotonic()
    ret = cibstate.resource_exists(RID, wait_timeout=1, cib_file=cib)
    assert ret["result"] is False and "not in the CIB after 1s" in ret["comment"]
    assert time.monotonic() - start < 5
    with patch.dict(cibstate.__opts__, {"test": True}):
        assert cibstate.resource_exists(RID, wait_timeout=1, cib_file=cib)["result"] is None

    later = threading.Timer(1.0, lambda: cibmod.resource_present(RID, cib_file=cib))
    later.start()
    try:
        ret = cibstate.resource_exists(RID, wait_timeout=20, cib_file=cib)
    finally:
        later.join()
    assert ret["result"] is True and ret["changes"] == {}


# --- agents -----------------------------------------------------------------------------------


def test_missing_ocf_agent_is_refused(cib, tmp_path, monkeypatch):
    monkeypatch.setenv("OCF_ROOT", str(tmp_path / "ocf"))
    agent = "ocf:fuel:cinder-volume"
    ret = cibstate.resource_present(RID, agent=agent, cib_file=cib)
    assert ret["result"] is False
    assert str(tmp_path / "ocf" / "resource.d" / "fuel" / "cinder-volume") in ret["comment"]
    assert primitives(cib) == []

    script = tmp_path / "ocf" / "resource.d" / "fuel" / "cinder-volume"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o755)
    ret = cibstate.resource_present(RID, agent=agent, params=PARAMS, cib_file=cib)
    assert ret["result"] is True, ret["comment"]
    prim = primitives(cib)[0]
    assert (prim.get("class"), prim.get("provider"), prim.get("type")) == (
        "ocf",
        "fuel",
        "cinder-volume",
    )
    assert cibmod.verify(cib)["valid"]


# --- through Salt's real loader and its real cmd.run_all ---------------------------------------


def test_real_loader_and_cmd_run_all(cib, states, modules):
    ret = states.datera_cib.resource_present(RID, agent="systemd:cinder-volume", cib_file=cib)
    assert ret.result is True and ret.changes["diff"], ret.comment
    again = states.datera_cib.resource_present(RID, agent="systemd:cinder-volume", cib_file=cib)
    assert again.result is True and not again.changes
    assert states.datera_cib.restarted(RID, cib_file=cib).changes["restarted"] == RID
    assert modules.datera_cib.verify(cib_file=cib)["valid"]
    assert len(primitives(cib)) == 1


def test_real_loader_takes_settings_from_pillar(cib, loaders, set_pillar):
    set_pillar({"pacemaker": {"cib_file": cib, "params": {"amqp_server_port": 5673}}})
    ret = loaders.states.datera_cib.resource_present(RID)
    assert ret.result is True and ret.changes, ret.comment
    assert nvpairs(cib, "instance_attributes") == {"amqp_server_port": "5673"}
    assert loaders.modules.datera_cib.exists() is True
    assert loaders.states.datera_cib.resource_exists(RID, wait_timeout=1).result is True


# --- reprobe: the OCF agent arrived after the resource existed ---------------------------------


def test_reprobed_only_once_the_resource_exists(cib, runner):
    gone = cibstate.reprobed(RID, cib_file=cib)
    assert gone["result"] is True and gone["changes"] == {}
    assert "does not exist yet" in gone["comment"]
    present(cib)
    with patch.dict(cibstate.__opts__, {"test": True}):
        dry = cibstate.reprobed(RID, cib_file=cib)
    assert dry["result"] is None and dry["changes"] == {"reprobed": RID}
    before, writes = epoch(cib), len(runner.writes())
    with patch.dict(cibstate.__salt__, {"datera_cib.node_name": lambda: "ctl2"}):
        ret = cibstate.reprobed(RID, cib_file=cib)
    assert ret["result"] is True and ret["changes"]["node"] == "ctl2"
    assert ret["changes"]["method"] == "none: a CIB file has no cluster"
    assert epoch(cib) == before and len(runner.writes()) == writes
