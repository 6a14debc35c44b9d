"""`salt-run datera.status`: the crm_mon-like table built from the controllers' answers."""

import importlib.util

from tests.support.paths import REPO

_spec = importlib.util.spec_from_file_location("datera_runner", REPO / "_runners" / "datera.py")
runner = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(runner)

IN_SYNC = {"in_sync": True, "changes": {}, "diff": ""}


def answer(name, nodes, running, check=IN_SYNC, fail_counts=None, failed_actions=()):
    view = {"resource": "p_cinder-volume", "exists": True, "role": "Started",
            "running_on": running, "nodes": nodes, "fail_counts": fail_counts or {},
            "failed_actions": list(failed_actions)}  # fmt: skip
    return {
        "datera_cib.cluster_status": view,
        "datera_cib.node_name": name,
        "datera_conf.check": check,
    }


def test_a_healthy_cluster_one_row_per_controller():
    nodes = {"ctl1": True, "ctl2": True, "ctl3": True}
    answers = {m: answer(m, nodes, ["ctl2"]) for m in nodes}
    seen_from, view = runner._cluster_view(answers)
    rows = runner._rows(answers, set(answers), view)
    assert rows == [
        ("ctl1", "ctl1", "online", "-", 0, "in sync"),
        ("ctl2", "ctl2", "online", "Started", 0, "in sync"),
        ("ctl3", "ctl3", "online", "-", 0, "in sync"),
    ]
    table = runner._table("p_cinder-volume", view, seen_from, rows).splitlines()
    assert table[0] == "Cluster (seen from ctl1): p_cinder-volume Started on ctl2"
    assert table[1].split() == [
        "CONTROLLER", "NODE", "STATE", "p_cinder-volume", "FAIL-COUNT", "CINDER.CONF"
    ]  # fmt: skip
    assert table[3].split() == ["ctl2", "ctl2", "online", "Started", "0", "in", "sync"]
    assert "Failed Resource Actions:" not in table


def test_a_crashed_controller_a_drifted_one_and_a_node_without_minion():
    nodes = {"ctl1": False, "ctl2": True, "ctl3": True, "ctl4": True}
    drifted = {"in_sync": False, "changes": {"datera": {}}, "diff": "..."}
    # ctl1 crashed: its minion does not answer (its row comes from the others' view)
    answers = {
        "ctl2": answer("ctl2", nodes, ["ctl3"], check=drifted),
        "ctl3": answer("ctl3", nodes, ["ctl3"]),
    }
    seen_from, view = runner._cluster_view(answers)
    assert seen_from == "ctl2"
    rows = runner._rows(answers, {"ctl1", "ctl2", "ctl3"}, view)
    assert rows == [
        ("ctl1", "ctl1", "OFFLINE", "-", 0, "no answer"),
        ("ctl2", "ctl2", "online", "-", 0, "differs (datera)"),
        ("ctl3", "ctl3", "online", "Started", 0, "in sync"),
        ("-", "ctl4", "online", "-", 0, "no minion"),
    ]


def test_no_controller_online_means_no_view():
    alone = {"ctl1": answer("ctl1", {"ctl1": False}, [])}
    assert runner._cluster_view(alone) == (None, None)
    text = runner._table("p_cinder-volume", None, None, runner._rows(alone, {"ctl1"}, None))
    assert "no controller is online" in text.splitlines()[0]


def test_fail_counts_and_failed_actions_as_crm_mon_shows_them():
    nodes = {"ctl1": True, "ctl2": True}
    failed = ["p_cinder-volume 20s-interval monitor on ctl1 returned 'not running' at 12:00"]
    answers = {
        m: answer(m, nodes, ["ctl1"], fail_counts={"ctl1": 1}, failed_actions=failed) for m in nodes
    }
    seen_from, view = runner._cluster_view(answers)
    rows = runner._rows(answers, set(answers), view)
    assert [row[4] for row in rows] == [1, 0]
    text = runner._table("p_cinder-volume", view, seen_from, rows)
    assert text.endswith("\n\nFailed Resource Actions:\n  * " + failed[0])


def test_volume_types_as_openstack_volume_type_list_shows_them():
    # the shape datera_volume_type.list_types returns
    types = [
        {"id": "d6c79ea5-4d9a-4fa8-b423-669aa0488a8f", "name": "__DEFAULT__",
         "description": "Default Volume Type", "is_public": True, "extra_specs": {}},
        {"id": "da059fa1-fc9e-4b18-86b1-946ab4a13c46", "name": "datera-gold",
         "description": "Datera, 3 replicas", "is_public": True,
         "extra_specs": {"volume_backend_name": "datera", "DF:replica_count": "3"}},
    ]  # fmt: skip
    lines = runner._types_table(types).splitlines()
    assert lines[0] == "Volume types:"
    assert lines[1] == lines[3] == lines[-1]
    assert set(lines[1]) == {"+", "-"}
    assert [c.strip() for c in lines[2].split("|")[1:-1]] == [
        "ID",
        "Name",
        "Is Public",
        "Properties",
    ]
    cells = [[c.strip() for c in line.split("|")[1:-1]] for line in lines[4:-1]]
    assert cells == [
        ["d6c79ea5-4d9a-4fa8-b423-669aa0488a8f", "__DEFAULT__", "True", ""],
        ["da059fa1-fc9e-4b18-86b1-946ab4a13c46", "datera-gold", "True", "DF:replica_count='3'"],
        ["", "", "", "volume_backend_name='datera'"],
    ]
    assert len({len(line) for line in lines[1:]}) == 1  # every line as wide as the rules


def test_volume_types_that_could_not_be_read_say_why():
    error = "ERROR: datera:keystone is missing auth_url"
    assert runner._types_table(error) == (
        "Volume types: not read (ERROR: datera:keystone is missing auth_url)"
    )
    assert runner._types_table(None) == (
        "Volume types: not read (no answer from the primary controller)"
    )
