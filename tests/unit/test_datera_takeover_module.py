"""The takeover's plan and move: which volumes, from which hosts, and when not."""

import pytest
from salt.exceptions import CommandExecutionError

from tests.support.loaders import load

datera_takeover = load("modules", "datera_takeover")
datera_pillar = load("modules", "datera_pillar")
takeover_state = load("states", "datera_takeover")

PILLAR = {
    "role": "primary-controller",
    "takeover": {"enabled": True},
    "backends": {"datera": {"san_ip": "192.0.2.10", "san_login": "admin", "san_password": "pw"}},
}
NEW_HOST = "cinder@datera#datera"


def volume(vid, host, name="", status="available", vtype=None):
    return {
        "id": vid,
        "name": name,
        "status": status,
        "os-vol-host-attr:host": host,
        "volume_type": vtype,
    }


class FakeCinder:
    """Cinder's volume and service listings, paged as the API pages them."""

    def __init__(self, volumes, up=()):
        self.volumes, self.up, self.paths = volumes, set(up), []

    def call(self, method, path):
        self.paths.append(path)
        if path.startswith("/os-services"):
            return {"services": [{"host": h, "state": "up"} for h in self.up]}
        marker = path.partition("marker=")[2]
        start = (
            next(i + 1 for i, v in enumerate(self.volumes) if v["id"] == marker) if marker else 0
        )
        return {"volumes": self.volumes[start : start + datera_takeover.PAGE]}


@pytest.fixture
def cloud():
    return {
        "on_cluster": ["OS-a1", "OS-old-disk-b2", "OS-c3", "OS-d4"],
        "types": [{"name": "gold", "extra_specs": {"volume_backend_name": "datera"}}],
        "moved": [],
        "listed": [],  # each listing of the cluster's app instances
        "cinder": FakeCinder(
            [
                volume("a1", "node-4@datera#DEFAULT", "web"),
                volume("b2", "node-4@datera#DEFAULT", "old-disk", vtype="gold"),
                volume("e5", "node-4@datera#DEFAULT", "broken", status="error"),
                volume("c3", "node-5#DEFAULT", "db"),
                volume("d4", NEW_HOST, "new"),
                volume("f6", "node-9@lvm#lvm", "lvm-disk"),
                volume("g7", None, "never-scheduled", status="error"),
            ]
        ),
    }


@pytest.fixture
def configure_loader_modules(cloud, tmp_path):
    settings = datera_pillar._normalise(PILLAR)
    return {
        datera_takeover: {
            "__salt__": {
                "datera_pillar.settings": lambda reveal=False: settings,
                "datera_pillar.backend": lambda name=None, reveal=False: settings["backends"][
                    name or "datera"
                ],
                "datera.app_instances": lambda backend=None: app_instances(cloud, backend),
                "datera_volume_type.list_types": lambda: cloud["types"],
                "datera_cinder.update_host": lambda old, new: update_host(cloud, old, new),
                "datera_cinder.update_service": lambda: cloud["moved"].append("update_service"),
            },
            "__context__": {},
            "__opts__": {"cachedir": str(tmp_path)},
        },
        takeover_state: {
            "__salt__": {
                "datera_takeover.plan": datera_takeover.plan,
                "datera_takeover.move": datera_takeover.move,
            },
            "__opts__": {"test": False},
        },
    }


def update_host(cloud, old, new):
    """cinder-manage's update_host, then update_service -- unless the primary is killed in
    between (``cloud["killed_after"]``, the old host whose update_host was the last)."""
    cloud["moved"].append((old, new))
    for vol in cloud["cinder"].volumes:
        if vol["os-vol-host-attr:host"] == old:
            vol["os-vol-host-attr:host"] = new
    if cloud.get("killed_after") == old:
        raise CommandExecutionError("the job was killed")
    cloud["moved"].append("update_service")


def app_instances(cloud, backend):
    cloud["listed"].append(backend)
    return [{"name": name} for name in cloud["on_cluster"]]


@pytest.fixture(autouse=True)
def fake_cinder(cloud, monkeypatch):
    monkeypatch.setattr(datera_takeover, "_cinder", lambda: cloud["cinder"])


def test_plan_names_the_old_hosts_and_every_volume_that_moves(cloud):
    found = datera_takeover.plan()
    assert found["new_host"] == NEW_HOST
    assert found["hosts"] == ["node-4@datera#DEFAULT", "node-5#DEFAULT"]
    rows = {row["id"]: row for row in found["volumes"]}
    # on the cluster, or on the same old host (it moves with it); nothing else
    assert sorted(rows) == ["a1", "b2", "c3", "e5"]
    assert (rows["e5"]["on_cluster"], rows["a1"]["on_cluster"]) == (False, True)
    assert found["served"] == [] and found["problems"] == []
    assert cloud["moved"] == []


def test_move_moves_each_old_host_once_and_a_rerun_moves_nothing(cloud):
    done = datera_takeover.move()
    assert cloud["moved"] == [
        ("node-4@datera#DEFAULT", NEW_HOST),
        "update_service",
        ("node-5#DEFAULT", NEW_HOST),
        "update_service",
    ]
    assert sorted(done["moved"]["node-4@datera#DEFAULT"]) == ["a1", "b2", "e5"]
    cloud["moved"].clear()
    assert datera_takeover.move()["moved"] == {} and cloud["moved"] == []


def test_a_move_killed_between_update_host_and_update_service_is_finished_once(cloud):
    cloud["killed_after"] = "node-5#DEFAULT"  # the last old host
    with pytest.raises(CommandExecutionError):
        datera_takeover.move()
    found = datera_takeover.plan()
    assert found["hosts"] == []  # every volume is on the shared host: nothing left to move
    assert found["unfinished"] == ["node-4@datera#DEFAULT", "node-5#DEFAULT"]
    cloud["moved"].clear()
    done = datera_takeover.move()
    assert (done["moved"], done["finished"]) == ({}, found["unfinished"])
    assert cloud["moved"] == ["update_service"]
    assert datera_takeover.plan()["unfinished"] == []
    cloud["moved"].clear()
    assert datera_takeover.move()["finished"] == [] and cloud["moved"] == []


def test_a_host_a_running_service_still_serves_is_not_moved(cloud):
    cloud["cinder"].up = {"node-5"}
    done = datera_takeover.move()
    assert done["served"] == ["node-5#DEFAULT"]
    assert cloud["moved"] == [("node-4@datera#DEFAULT", NEW_HOST), "update_service"]


def test_a_volume_type_selecting_the_old_backend_name_stops_the_move(cloud):
    cloud["types"][0]["extra_specs"]["volume_backend_name"] = "DEFAULT"
    problems = datera_takeover.plan()["problems"]
    assert problems == [
        "volume type 'gold' of moving volumes selects volume_backend_name=DEFAULT, but "
        "backend datera reports datera: set datera:backends:datera:volume_backend_name: DEFAULT"
    ]
    with pytest.raises(CommandExecutionError, match="volume type 'gold'"):
        datera_takeover.move()
    assert cloud["moved"] == []


def test_volumes_are_read_page_by_page(cloud, monkeypatch):
    monkeypatch.setattr(datera_takeover, "PAGE", 2)
    assert datera_takeover.plan()["hosts"] == ["node-4@datera#DEFAULT", "node-5#DEFAULT"]
    pages = [p for p in cloud["cinder"].paths if p.startswith("/volumes")]
    assert pages == [
        "/volumes/detail?all_tenants=1&limit=2",
        "/volumes/detail?all_tenants=1&limit=2&marker=b2",
        "/volumes/detail?all_tenants=1&limit=2&marker=c3",
        "/volumes/detail?all_tenants=1&limit=2&marker=f6",
    ]


def test_the_state_lists_the_volumes_and_the_cluster_once_when_it_moves(cloud):
    ret = takeover_state.volumes_moved("datera")
    assert ret["changes"] == {
        "moved": {"node-4@datera#DEFAULT": NEW_HOST, "node-5#DEFAULT": NEW_HOST}
    }
    assert [m for m in cloud["moved"] if m != "update_service"] == [
        ("node-4@datera#DEFAULT", NEW_HOST),
        ("node-5#DEFAULT", NEW_HOST),
    ]
    listings = [p for p in cloud["cinder"].paths if p.startswith("/volumes")]
    assert listings == ["/volumes/detail?all_tenants=1&limit=500"]  # one page, read once
    assert cloud["listed"] == ["datera"]
    assert [p for p in cloud["cinder"].paths if p.startswith("/os-services")] == [
        "/os-services?binary=cinder-volume"
    ]
