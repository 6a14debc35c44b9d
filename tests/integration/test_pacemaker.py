"""cinder-volume under Pacemaker, active/passive, on the controllers' shared CIB file."""

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from tests.integration.test_deploy import datera_pillar, orchestrate, orchestration_steps
from tests.support import orchestration, secrets

pytestmark = pytest.mark.integration


def cib(cloud):
    return ET.parse(cloud.cib_file).getroot()


def epoch(cloud):
    root = cib(cloud)
    return root.get("admin_epoch"), root.get("epoch")


def simulate(cib_file, *args):
    """Run Pacemaker's scheduler (crm_simulate) on a copy; return (started on, new CIB copy)."""
    result = cib_file.with_name(f"sim-{len(list(cib_file.parent.glob('sim-*')))}.xml")
    env = dict(os.environ, CIB_file=str(cib_file))
    out = subprocess.run(
        [
            "crm_simulate",
            "--xml-file",
            str(cib_file),
            "--simulate",
            "--quorum",
            "true",
            "--save-output",
            str(result),
            *args,
        ],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    revised = out.split("Revised Cluster Status")[1]
    return re.findall(r"p_cinder-volume\s+\([\w:-]+\):\s+Started\s+(\S+)", revised), result


def up(*nodes):
    return [arg for node in nodes for arg in ("--node-up", node)]


def settle(cloud, *args):
    """The cluster acts: the scheduler's result (with ``args``, e.g. a failed node) becomes
    the CIB's status, as a running cluster records it. Returns where the resource runs."""
    started, result = simulate(cloud.cib_file, *up(*cloud.controllers), *args)
    shutil.move(result, cloud.cib_file)
    return started


def restarted_on(ret):
    """The controllers that restarted cinder-volume through Pacemaker in this run."""
    return orchestration.restarted_on(ret.data)


def test_one_primitive_created_by_the_primary_restarts_only_on_change(cloud, salt_run_cli):
    cloud.reset()
    cloud.write_pillar(datera_pillar())
    ret = orchestrate(salt_run_cli)
    assert ret.returncode == 0, ret.stdout
    primitives = cib(cloud).findall(".//resources//primitive")
    assert [p.get("id") for p in primitives] == ["p_cinder-volume"]
    assert cib(cloud).findall(".//clone") == []
    assert primitives[0].get("class") == "systemd" and primitives[0].get("type") == "cinder-volume"
    env = dict(os.environ, CIB_file=str(cloud.cib_file))
    assert subprocess.run(["crm_verify", "--live-check"], env=env).returncode == 0
    steps = orchestration_steps(ret)
    primary = steps["datera-deploy-primary"]["changes"]["ret"]["ctl1"]
    assert any(
        s["__id__"] == "datera-pacemaker-resource-present" and s["changes"]
        for s in primary.values()
    )
    for minion_id in ("ctl2", "ctl3"):
        states = steps["datera-deploy-others"]["changes"].get("ret", {}).get(minion_id, {})
        assert not any(
            s["__id__"].startswith("datera-pacemaker-resource-present") for s in states.values()
        )

    # exactly one active instance; failover when its node fails; stickiness keeps it there
    started, running = simulate(cloud.cib_file, *up("ctl1", "ctl2", "ctl3"))
    assert len(started) == 1 and started[0] in cloud.controllers
    failed_over, after_failure = simulate(running, "--node-fail", started[0])
    assert len(failed_over) == 1 and failed_over[0] != started[0]
    fenced = f"/cib/status/node_state[@uname='{started[0]}']/lrm"  # fencing clears its history
    subprocess.run(
        ["cibadmin", "--delete", "--xpath", fenced],
        check=True,
        env=dict(os.environ, CIB_file=str(after_failure)),
    )
    stays, _ = simulate(after_failure, *up(started[0]))
    assert stays == failed_over

    # created, not yet started by the cluster: nothing to restart
    assert restarted_on(ret) == []
    (running_on,) = settle(cloud)

    # same pillar again: the CIB is not written, nothing restarts
    before = epoch(cloud)
    again = orchestrate(salt_run_cli)
    assert again.returncode == 0
    assert epoch(cloud) == before and restarted_on(again) == []

    # a new password: every controller's cinder.conf changes; one restart through
    # Pacemaker, requested by the node where cinder-volume runs
    cloud.write_pillar(datera_pillar(san_password=secrets.ROTATED))
    rotated = orchestrate(salt_run_cli)
    assert rotated.returncode == 0, rotated.stdout
    assert restarted_on(rotated) == [running_on]
    again = orchestrate(salt_run_cli)
    assert again.returncode == 0 and restarted_on(again) == []


def test_the_resource_outlives_the_last_backend_until_pillar_removes_it(cloud, salt_run_cli):
    cloud.reset()
    cloud.write_pillar(datera_pillar())
    assert orchestrate(salt_run_cli).returncode == 0
    # the last Datera backend goes: cinder-volume may still serve lvm, so it stays
    gone = {"backends": {"datera": {"ensure": "absent"}}}
    cloud.write_pillar({"datera": gone})
    ret = orchestrate(salt_run_cli)
    assert ret.returncode == 0, ret.stdout
    assert all("[datera]" not in cloud.conf_file(m).read_text() for m in cloud.controllers)
    assert [p.get("id") for p in cib(cloud).findall(".//primitive")] == ["p_cinder-volume"]
    # uninstall: pillar says so
    cloud.write_pillar({"datera": dict(gone, pacemaker={"ensure": "absent"})})
    ret = orchestrate(salt_run_cli)
    assert ret.returncode == 0, ret.stdout
    assert cib(cloud).findall(".//primitive") == []


def test_ocf_agent_is_installed_on_every_controller_and_used(cloud, salt_run_cli):
    from tests.support.paths import REPO

    cloud.reset()
    data = datera_pillar()
    data["datera"]["pacemaker"] = {"agent": "ocf:datera:cinder-volume"}
    cloud.write_pillar(data)
    ret = orchestrate(salt_run_cli)
    assert ret.returncode == 0, ret.stdout
    shipped = (REPO / "datera" / "files" / "cinder-volume.ocf").read_bytes()
    for minion_id in cloud.controllers:
        script = cloud.root / minion_id / "ocf" / "resource.d" / "datera" / "cinder-volume"
        assert script.read_bytes() == shipped and script.stat().st_mode & 0o777 == 0o755
    (primitive,) = cib(cloud).findall(".//primitive")
    assert (primitive.get("class"), primitive.get("provider"), primitive.get("type")) == (
        "ocf",
        "datera",
        "cinder-volume",
    )
    before = epoch(cloud)
    assert orchestrate(salt_run_cli).returncode == 0
    assert epoch(cloud) == before


def test_a_first_deploys_dry_run_does_not_fail_on_the_agent_it_installs(cloud, salt_run_cli):
    """A dry run installs nothing, so the formula's OCF script is not there yet when the
    resource's state looks for it: that is no failure (it was one: 'not installed')."""
    cloud.reset()
    for minion_id in cloud.controllers:
        shutil.rmtree(cloud.root / minion_id / "ocf", ignore_errors=True)
    data = datera_pillar()
    data["datera"]["pacemaker"] = {"agent": "ocf:datera:cinder-volume"}
    cloud.write_pillar(data)
    ret = orchestrate(salt_run_cli, "test=True")
    assert ret.returncode == 0, ret.stdout
    primary = orchestration_steps(ret)["datera-deploy-primary"]["changes"]["ret"]
    (state,) = [s for s in next(iter(primary.values())).values()
                if s["__id__"] == "datera-pacemaker-resource-present"]  # fmt: skip
    assert (state["result"], state["comment"]) == (None, "p_cinder-volume would be created")
    assert cib(cloud).findall(".//primitive") == []
    for minion_id in cloud.controllers:
        assert not (cloud.root / minion_id / "ocf").exists()
