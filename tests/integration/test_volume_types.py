"""Volume types: created once, from the primary, against Keystone v3 + Cinder v3."""

import pytest

from tests.integration.test_deploy import datera_pillar, orchestrate, orchestration_steps
from tests.support import secrets
from tests.support.openstack_sim import OpenStackSimulator

pytestmark = pytest.mark.integration

KEYSTONE_PASSWORD = secrets.KEYSTONE


@pytest.fixture
def openstack():
    with OpenStackSimulator(users={"cinder": KEYSTONE_PASSWORD}) as sim:
        yield sim


def pillar(openstack, types):
    data = datera_pillar(volume_types=types)
    data["datera"]["keystone"] = {"auth_url": openstack.auth_url, "password": KEYSTONE_PASSWORD}
    return data


def test_volume_types_created_once_from_the_primary(cloud, salt_run_cli, openstack):
    cloud.reset()
    types = {
        "datera-gold": {"replica_count": 3, "qos": {"total_iops_max": 5000}},
        "datera-bronze": {"replica_count": 1},
    }
    cloud.write_pillar(pillar(openstack, types))
    ret = orchestrate(salt_run_cli)
    assert ret.returncode == 0, ret.stdout
    gold = openstack.state.type_by_name("datera-gold")
    assert gold["extra_specs"] == {
        "volume_backend_name": "datera",
        "DF:replica_count": "3",
        "DF:total_iops_max": "5000",
    }
    assert openstack.state.type_by_name("datera-bronze")["extra_specs"]["DF:replica_count"] == "1"
    steps = orchestration_steps(ret)
    primary = steps["datera-deploy-primary"]["changes"]["ret"]["ctl1"]
    assert (
        sum(
            1
            for s in primary.values()
            if s["__id__"].startswith("datera-volume-types") and s["changes"]
        )
        == 2
    )
    controllers = steps["datera-deploy-others"]["changes"].get("ret", {})
    assert not any(
        s["__id__"].startswith("datera-volume-types")
        for states in controllers.values()
        for s in states.values()
    )

    openstack.reset_counts()
    again = orchestrate(salt_run_cli)
    assert again.returncode == 0
    assert openstack.count("POST") == 1  # the login; no type created or changed
    assert openstack.count("PUT") == openstack.count("DELETE") == 0

    types["datera-bronze"] = {"ensure": "absent"}
    cloud.write_pillar(pillar(openstack, types))
    assert orchestrate(salt_run_cli).returncode == 0
    assert openstack.state.type_by_name("datera-bronze") is None
    assert KEYSTONE_PASSWORD not in again.stdout

    # the backend itself goes: its remaining types go with it
    gone = pillar(openstack, types)
    gone["datera"]["backends"]["datera"] = {"ensure": "absent", "volume_types": types}
    cloud.write_pillar(gone)
    removed = orchestrate(salt_run_cli)
    assert removed.returncode == 0, removed.stdout
    assert openstack.state.type_by_name("datera-gold") is None
    assert all("[datera]" not in cloud.conf_file(m).read_text() for m in cloud.controllers)


def test_status_lists_the_volume_types_as_openstack_does(cloud, salt_run_cli, openstack):
    cloud.reset()
    cloud.write_pillar(pillar(openstack, {"datera-gold": {"replica_count": 3}}))
    assert orchestrate(salt_run_cli).returncode == 0
    assert salt_run_cli.run("saltutil.sync_runners").returncode == 0
    ret = salt_run_cli.run("datera.status")
    types = ret.data["table"].split("Volume types:\n", 1)[1].splitlines()
    rows = [[cell.strip() for cell in line.split("|")[1:-1]] for line in types if "|" in line]
    gold = openstack.state.type_by_name("datera-gold")
    assert rows[0] == ["ID", "Name", "Is Public", "Properties"]
    assert [gold["id"], "datera-gold", "True", "DF:replica_count='3'"] in rows
    assert ["", "", "", "volume_backend_name='datera'"] in rows
    assert KEYSTONE_PASSWORD not in ret.stdout
