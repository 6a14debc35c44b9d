"""
Day 2: a controller joins, a controller leaves (the primary, where cinder-volume runs),
each one pillar edit and one `salt-run state.orchestrate datera.deploy`.
"""

import xml.etree.ElementTree as ET

import pytest

from tests.integration.test_deploy import datera_pillar, orchestrate, orchestration_steps, stanza
from tests.integration.test_pacemaker import restarted_on, settle, simulate, up

pytestmark = pytest.mark.integration

NEW = "ctl4"


def roles(primary, controllers):
    return {m: "primary-controller" if m == primary else "controller" for m in controllers}


def primitives(cloud):
    return [p.get("id") for p in ET.parse(cloud.cib_file).getroot().iter("primitive")]


def minions_of_step(step):
    return set(step["changes"].get("ret") or {})


def minions_of(ret, step):
    return minions_of_step(orchestration_steps(ret)[step])


@pytest.fixture
def fourth(master, minions, cloud):
    """A fourth salt-minion; the cloud's controller list and primary restored afterwards."""
    factory = master.salt_minion_daemon(NEW, overrides={"log_level_logfile": "debug"})
    controllers, primary = list(cloud.controllers), cloud.primary
    with factory.started():
        yield factory
    cloud.controllers[:], cloud.primary = controllers, primary
    master.salt_key_cli().run("-d", NEW, "-y")  # later '*' steps must not wait for it
    cloud.reset()


def test_a_controller_joins_then_the_primary_leaves(cloud, fourth, salt_run_cli):
    cloud.reset()
    cloud.write_pillar(datera_pillar())
    assert orchestrate(salt_run_cli).returncode == 0
    settle(cloud, "--node-fail", "ctl2", "--node-fail", "ctl3")  # it runs on ctl1
    (running_on,) = settle(cloud)
    assert running_on == "ctl1"

    # --- ctl4 joins: one pillar edit (its role), one orchestration -----------------------
    cloud.join(NEW)
    others = {m: cloud.conf_file(m).stat().st_mtime_ns for m in ("ctl1", "ctl2", "ctl3")}
    cloud.write_pillar(datera_pillar(), roles=roles("ctl1", cloud.controllers))
    joined = orchestrate(salt_run_cli)
    assert joined.returncode == 0, joined.stdout
    # only the new controller's file changes (a step's "ret" lists the minions it changed)
    assert minions_of(joined, "datera-deploy-others") == {NEW}
    assert "ctl2" in orchestration_steps(joined)["datera-deploy-others"]["comment"]
    assert stanza(cloud.conf_file(NEW)) == stanza(cloud.conf_file("ctl1"))  # same host too
    assert "enabled_backends = lvm,datera\n" in cloud.conf_file(NEW).read_text()
    assert {m: cloud.conf_file(m).stat().st_mtime_ns for m in others} == others
    # cinder-volume stays where it runs: no restart for a new node's file
    assert restarted_on(joined) == []
    # the new node is a valid failover target: with the other three down, it runs there
    moved, _ = simulate(cloud.cib_file, *up(NEW), *[a for n in others for a in ("--node-fail", n)])
    assert moved == [NEW]

    # --- the primary, ctl1, where cinder-volume runs, leaves; ctl2 becomes primary --------
    (moved_to,) = settle(cloud, "--node-fail", "ctl1")  # the cluster moves it
    assert moved_to != "ctl1"
    cloud.leave("ctl1")
    cloud.primary = "ctl2"
    ctl1_before = cloud.conf_file("ctl1").read_bytes()
    remaining = {m: cloud.conf_file(m).read_bytes() for m in cloud.controllers}
    # pretend the resource was lost with the old primary: the new primary must recreate it
    cloud._cibadmin("--delete", "--xpath", "//primitive[@id='p_cinder-volume']")
    cloud.write_pillar(datera_pillar(), roles=roles("ctl2", cloud.controllers))
    left = orchestrate(salt_run_cli)
    assert left.returncode == 0, left.stdout
    assert minions_of(left, "datera-deploy-primary") == {"ctl2"}
    # ctl1 is no longer targeted: no step names it (but the pillar refresh, on every minion)
    for step_id, step in orchestration_steps(left).items():
        if step_id != "datera-deploy-prepare":
            assert "ctl1" not in minions_of_step(step) and "ctl1" not in step["comment"]
    # the refresh job looks at the formula's modules only where the (fresh) pillar names a
    # role (ctl2's synced copies are already the master's: nothing to sync)
    refreshed = orchestration_steps(left)["datera-deploy-prepare"]["changes"]["ret"]
    assert {s["__id__"] for s in refreshed["ctl1"].values()} == {"datera-refresh-pillar"}
    assert "datera-sync-up-to-date" in {s["__id__"] for s in refreshed["ctl2"].values()}
    assert primitives(cloud) == ["p_cinder-volume"]
    created = minions_of(left, "datera-deploy-primary")
    primary_states = orchestration_steps(left)["datera-deploy-primary"]["changes"]["ret"]["ctl2"]
    assert any(
        s["__id__"] == "datera-pacemaker-resource-present" and s["changes"]
        for s in primary_states.values()
    ), created
    # nothing changed on the remaining controllers, nor on the one that left
    assert {m: cloud.conf_file(m).read_bytes() for m in cloud.controllers} == remaining
    assert cloud.conf_file("ctl1").read_bytes() == ctl1_before
    assert restarted_on(left) == []


def state_args(declaration):
    """``["installed", {"name": ...}, {...}]`` -> ``{"fun": "installed", "name": ...}``."""
    merged = {}
    for item in declaration:
        merged.update(item if isinstance(item, dict) else {"fun": item})
    return merged


def test_what_salt_is_asked_to_do_on_a_real_controller(cloud, salt_cli):
    """This host has no cinder-volume unit: check the states a controller would run."""
    cloud.write_pillar(datera_pillar())
    assert salt_cli.run("saltutil.sync_all", "refresh=True", minion_tgt="ctl2").returncode == 0
    overrides = {"datera": {"lookup": {"manage_packages": True, "manage_services": True}}}
    ret = salt_cli.run(
        "state.show_sls", "datera.secondary", f"pillar={overrides}", minion_tgt="ctl2"
    )
    assert ret.returncode == 0, ret.stdout
    states = {
        sid: state_args(next(v for k, v in decl.items() if not k.startswith("__")))
        for sid, decl in ret.data.items()
    }
    assert states["datera-package-cinder-volume-pkg-installed"]["name"] == "cinder-volume"
    service = states["datera-package-cinder-volume-service-dead"]
    assert (service["fun"], service["name"], service["enable"]) == ("dead", "cinder-volume", False)
    # the other controllers only check (and wait for) the resource, never create it
    assert "datera-pacemaker-resource-exists" in states
    assert "datera-pacemaker-resource-present" not in states
