"""Volume types: created once, from the primary, against Keystone v3 + Cinder v3: the
simulator (``sim``) and the real Keystone and cinder-api of the session's control plane
(``real``, markers ``live`` and ``e2e``); Cinder's side is read through its REST API."""

import pytest

from tests.integration.test_deploy import datera_pillar, orchestrate, orchestration_steps
from tests.support.cinder_api import PASSWORD as KEYSTONE_PASSWORD

pytestmark = pytest.mark.integration

MARKER = {"datera_formula:managed": "true"}


def pillar(cinder_api, types):
    data = datera_pillar(volume_types=types)
    data["datera"]["keystone"] = {"auth_url": cinder_api.auth_url, "password": KEYSTONE_PASSWORD}
    return data


def type_steps(ret, step="datera-deploy-primary", minion="ctl1"):
    """The volume-type states of the orchestration step on ``minion``: ``{id: state}``."""
    states = orchestration_steps(ret)[step]["changes"].get("ret", {}).get(minion, {})
    return {s["__id__"]: s for s in states.values() if s["__id__"].startswith("datera-volume")}


def test_volume_types_created_once_from_the_primary(cloud, salt_run_cli, cinder_api):
    cloud.reset()
    types = {
        "datera-gold": {"replica_count": 3, "qos": {"total_iops_max": 5000}},
        "datera-bronze": {"replica_count": 1},
    }
    cloud.write_pillar(pillar(cinder_api, types))
    ret = orchestrate(salt_run_cli)
    assert ret.returncode == 0, ret.stdout
    listed = cinder_api.types()
    assert listed["datera-gold"]["extra_specs"] == {
        "volume_backend_name": "datera",
        "DF:replica_count": "3",
        "DF:total_iops_max": "5000",
        **MARKER,
    }
    assert listed["datera-bronze"]["extra_specs"]["DF:replica_count"] == "1"
    made = [i for i, s in type_steps(ret).items() if s["changes"]]
    assert sorted(made) == [f"datera-volume-types-{t}-present" for t in sorted(types)]
    for minion in ("ctl2", "ctl3"):
        assert type_steps(ret, "datera-deploy-others", minion) == {}

    mark = cinder_api.mark()
    again = orchestrate(salt_run_cli)
    assert again.returncode == 0
    assert [i for i, s in type_steps(again).items() if s["changes"]] == []
    assert cinder_api.writes(mark) == []  # no type created, changed or deleted
    assert cinder_api.types() == listed

    types["datera-bronze"] = {"ensure": "absent"}
    cloud.write_pillar(pillar(cinder_api, types))
    assert orchestrate(salt_run_cli).returncode == 0
    assert "datera-bronze" not in cinder_api.types()
    assert KEYSTONE_PASSWORD not in again.stdout

    # the backend itself goes: its remaining types go with it
    gone = pillar(cinder_api, types)
    gone["datera"]["backends"]["datera"] = {"ensure": "absent", "volume_types": types}
    cloud.write_pillar(gone)
    removed = orchestrate(salt_run_cli)
    assert removed.returncode == 0, removed.stdout
    assert "datera-gold" not in cinder_api.types()
    assert all("[datera]" not in cloud.conf_file(m).read_text() for m in cloud.controllers)


def test_a_type_removed_from_pillar_is_deleted_one_made_by_hand_stays(
    cloud, salt_run_cli, cinder_api
):
    cloud.reset()
    hand = {"volume_backend_name": "datera", "DF:replica_count": "2"}
    cinder_api.add_type("by-hand", hand)
    types = {"datera-gold": {"replica_count": 3}, "datera-bronze": {"replica_count": 1}}
    cloud.write_pillar(pillar(cinder_api, types))
    assert orchestrate(salt_run_cli).returncode == 0
    del types["datera-bronze"]
    cloud.write_pillar(pillar(cinder_api, types))

    dry = orchestrate(salt_run_cli, "test=True")
    assert dry.returncode == 0, dry.stdout
    prune = type_steps(dry)["datera-volume-types-pruned-datera"]
    assert prune["result"] is None
    assert prune["comment"] == "Undeclared volume types would be deleted: datera-bronze"
    assert "datera-bronze" in cinder_api.types()

    ret = orchestrate(salt_run_cli)
    assert ret.returncode == 0, ret.stdout
    prune = type_steps(ret)["datera-volume-types-pruned-datera"]
    assert prune["changes"] == {"datera-bronze": {"old": "datera-bronze", "new": None}}
    listed = cinder_api.types()
    assert set(listed) == {"__DEFAULT__", "datera-gold", "by-hand"}
    assert listed["by-hand"]["extra_specs"] == hand  # never marked, never touched

    cloud.write_pillar(pillar(cinder_api, {}))  # volume_types: {}: the last one goes too
    assert orchestrate(salt_run_cli).returncode == 0
    assert set(cinder_api.types()) == {"__DEFAULT__", "by-hand"}


def test_status_lists_the_volume_types_as_openstack_does(cloud, salt_run_cli, cinder_api):
    cloud.reset()
    cloud.write_pillar(pillar(cinder_api, {"datera-gold": {"replica_count": 3}}))
    assert orchestrate(salt_run_cli).returncode == 0
    assert salt_run_cli.run("saltutil.sync_runners").returncode == 0
    ret = salt_run_cli.run("datera.status")
    types = ret.data["table"].split("Volume types:\n", 1)[1].splitlines()
    rows = [[cell.strip() for cell in line.split("|")[1:-1]] for line in types if "|" in line]
    gold = cinder_api.types()["datera-gold"]
    assert rows[0] == ["ID", "Name", "Is Public", "Properties"]
    assert [gold["id"], "datera-gold", "True", "DF:replica_count='3'"] in rows
    assert ["", "", "", "volume_backend_name='datera'"] in rows
    assert ["", "", "", "datera_formula:managed='true'"] in rows
    assert KEYSTONE_PASSWORD not in ret.stdout
