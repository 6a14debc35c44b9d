"""Compute nodes (and controllers) get the iSCSI prerequisites, after the controllers."""

import pytest

from tests.integration.test_deploy import datera_pillar, orchestrate, orchestration_steps

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def compute(master, minions):
    factory = master.salt_minion_daemon("cmp1", overrides={"log_level_logfile": "debug"})
    with factory.started():
        yield factory
    # a stopped minion's key would make every later '*' step wait for it
    master.salt_key_cli().run("-d", "cmp1", "-y")


@pytest.fixture
def roles(cloud, compute):
    cloud.reset()
    return {
        "ctl1": "primary-controller",
        "ctl2": "controller",
        "ctl3": "controller",
        "cmp1": "compute",
    }


def initiator(cloud, minion_id):
    return cloud.initiator_file(minion_id).read_text().split("InitiatorName=")[1].strip()


def test_computes_get_an_initiator_name_after_the_primary(cloud, roles, salt_run_cli):
    cloud.initiator_file("cmp1").unlink(missing_ok=True)
    cloud.write_pillar(datera_pillar(), roles=roles)
    ret = orchestrate(salt_run_cli)
    assert ret.returncode == 0, ret.stdout
    steps = orchestration_steps(ret)
    # the computes are configured with the other controllers, after the primary
    assert "cmp1" in steps["datera-deploy-others"]["changes"]["ret"]
    assert "cmp1" not in steps["datera-deploy-primary"]["changes"].get("ret", {})
    assert (
        steps["datera-deploy-others"]["__run_num__"] > steps["datera-deploy-primary"]["__run_num__"]
    )
    names = {m: initiator(cloud, m) for m in ("ctl1", "ctl2", "ctl3", "cmp1")}
    assert all(n.startswith("iqn.1993-08.org.debian:01:") for n in names.values())
    assert len(set(names.values())) == 4

    again = orchestrate(salt_run_cli)
    assert again.returncode == 0
    assert orchestration_steps(again)["datera-deploy-others"]["changes"] == {}
    assert initiator(cloud, "cmp1") == names["cmp1"]


def state_args(declaration):
    """``["installed", {"pkgs": [...]}, {...}]`` -> ``{"fun": "installed", "pkgs": [...]}``."""
    merged = {}
    for item in declaration:
        merged.update(item if isinstance(item, dict) else {"fun": item})
    return merged


def test_what_salt_is_asked_to_do_on_a_real_compute(cloud, roles, salt_cli):
    """This host has no init system for iscsid: check the states Salt would run."""
    cloud.write_pillar(datera_pillar(), roles=roles)
    assert salt_cli.run("saltutil.sync_all", "refresh=True", minion_tgt="cmp1").returncode == 0
    overrides = {
        "datera": {
            "lookup": {"manage_packages": True, "manage_services": True},
            "iscsi": {"multipath": True},
        }
    }
    ret = salt_cli.run("state.show_sls", "datera.compute", f"pillar={overrides}", minion_tgt="cmp1")
    assert ret.returncode == 0, ret.stdout
    states = {
        sid: state_args(next(v for k, v in decl.items() if not k.startswith("__")))
        for sid, decl in ret.data.items()
    }
    assert states["datera-iscsi-pkg-installed"]["pkgs"] == ["open-iscsi", "multipath-tools"]
    assert states["datera-iscsi-iscsid-running"]["name"] == "iscsid"
    assert states["datera-iscsi-iscsid-running"]["enable"] is True
    assert states["datera-iscsi-multipathd-running"]["fun"] == "running"
    conf = states["datera-iscsi-multipath-conf"]
    assert conf["name"] == "/etc/multipath.conf" and 'vendor "DATERA"' in conf["contents"]
