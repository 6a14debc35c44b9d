"""The Datera API simulator itself, through plain HTTP(S) requests."""

import hashlib
import http.client
import json
import os
import socket
import ssl
import struct
import subprocess
import sys
import time

import pytest
import requests

from tests.support import net
from tests.support.datera_sim import DateraSimulator
from tests.support.datera_sim import api as sim_api
from tests.support.datera_sim import server as sim_server
from tests.support.datera_sim.errors import SESSION_MESSAGE
from tests.support.datera_sim.schema import ApiSchema, api_schema
from tests.support.paths import DATERA_FIXTURES, REPO

VOL_UUID = "9b0216bc-8aab-47f2-b746-843f497cb7a6"
HOST = net.ip(20)
SIM_LOGGER = "tests.support.datera_sim"


@pytest.fixture
def sim():
    with DateraSimulator(host=HOST, users={"admin": "password", "jdoe": "secret_1"}) as running:
        yield running


class Client:
    """A logged-in plain-HTTP client: ``c.get("/system")`` → ``requests.Response``."""

    def __init__(self, sim, version="v2.2", user=("admin", "password"), tenant=None):
        self.sim, self.version = sim, version
        self.http = requests.Session()
        self.base = sim.url(version, "http")
        self.headers = {"tenant": tenant} if tenant else {}
        resp = self.http.put(
            self.base + "/login", json={"name": user[0], "password": user[1]}, timeout=10
        )
        assert resp.status_code == 200, resp.text
        self.headers["Auth-Token"] = resp.json()["key"]

    def call(self, method, path, body=None, **kw):
        headers = {**self.headers, **kw.pop("headers", {})}
        return self.http.request(
            method, self.base + path, json=body, headers=headers, timeout=10, **kw
        )

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body, **kw):
        return self.call("POST", path, body, **kw)

    def put(self, path, body, **kw):
        return self.call("PUT", path, body, **kw)

    def delete(self, path, body=None, **kw):
        return self.call("DELETE", path, body, **kw)


def ai_body(name="OS-vol-1", size=10, uuid=VOL_UUID, **vol):
    volume = {"name": "volume-1", "size": size, "replica_count": 3, "snapshot_policies": [], **vol}
    return {
        "name": name,
        "create_mode": "openstack",
        "uuid": uuid,
        "access_control_mode": "deny_all",
        "storage_instances": [
            {
                "name": "storage-1",
                "ip_pool": {"path": "/access_network_ip_pools/default"},
                "volumes": [volume],
            }
        ],
    }


def ok(resp):
    assert resp.status_code == 200, resp.text
    return resp.json()


def error(resp, status, name):
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["name"] == name and body["http"] == status
    return body


# --- transport and sessions --------------------------------------------------------------------


def test_api_versions_needs_no_login(sim):
    resp = requests.get(f"http://{sim.host}:{sim.http_port}/api_versions", timeout=10)
    assert ok(resp) == {"api_versions": ["v2.1", "v2.2"]}


def test_a_cluster_serving_only_v22_lists_and_answers_only_v22():
    with DateraSimulator(host=HOST, versions=("v2.2",)) as only22:
        resp = requests.get(f"http://{only22.host}:{only22.http_port}/api_versions", timeout=10)
        assert ok(resp) == {"api_versions": ["v2.2"]}
        login = {"name": "admin", "password": "password"}
        body = error(
            requests.put(only22.url("v2.1", "http") + "/login", json=login, timeout=10),
            404,
            "InvalidRouteError",
        )
        assert "UnsupportedVersionError" in body["message"]
        assert Client(only22, "v2.2").get("/system").status_code == 200
    with pytest.raises(ValueError, match="v2.3"):
        DateraSimulator(versions=("v2.2", "v2.3"))


def test_login_over_https_verified_with_the_ca_and_fingerprint(sim):
    resp = requests.put(
        sim.url("v2.2") + "/login",
        json={"name": "admin", "password": "password"},
        verify=sim.ca_pem_path,
        timeout=10,
    )
    body = ok(resp)
    assert body["version"] == "v2.2" and len(body["key"]) == 32
    int(body["key"], 16)
    pem = ssl.get_server_certificate((sim.host, sim.https_port))
    der = ssl.PEM_cert_to_DER_cert(pem)
    digest = hashlib.sha256(der).hexdigest().upper()
    assert sim.cert_fingerprint.replace(":", "") == digest
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(sim.url("v2.2") + "/system", timeout=10)  # system CAs: not trusted


def test_bad_credentials_and_bad_login_bodies(sim):
    url = sim.url("v2.1", "http") + "/login"
    body = error(
        requests.put(url, json={"name": "admin", "password": "nope"}, timeout=10),
        401,
        "AuthFailedError",
    )
    assert "nope" not in json.dumps(body)
    error(requests.put(url, json={"name": "admin"}, timeout=10), 422, "ValidationFailedError")
    # go-sdk logs in form-encoded
    form = requests.put(url, data={"name": "jdoe", "password": "secret_1"}, timeout=10)
    assert ok(form)["version"] == "v2.1"


@pytest.mark.parametrize(
    "login, where",
    [
        ({"name": "admin", "password": "pass word"}, "password"),  # the product's pattern
        ({"name": "admin", "password": "1password"}, "password"),  # must not start with a digit
        ({"name": "admin", "password": 12345678}, "password"),
        ({"name": "ad", "password": "password"}, "name"),  # 3 to 32 characters
        ({"name": "admin-1", "password": "password"}, "name"),
        (["admin", "password"], "(body)"),
    ],
)
def test_login_bodies_are_validated_without_echoing_the_password(sim, login, where):
    sim.state.users.update({"admin-1": "password", "ad": "password"})
    sim.state.users["admin"] = login["password"] if isinstance(login, dict) else "password"
    resp = requests.put(sim.url("v2.2", "http") + "/login", json=login, timeout=10)
    body = error(resp, 422, "ValidationFailedError")
    assert any(e.startswith(where) for e in body["errors"]), body["errors"]
    if isinstance(login, dict) and where == "password":
        assert str(login["password"]) not in json.dumps(body)
    assert sim.state.sessions == {}


def test_token_required_and_logout_revokes_it(sim):
    url = sim.url("v2.2", "http") + "/system"
    body = error(requests.get(url, timeout=10), 401, "InvalidSessionKeyError")
    assert body["message"] == SESSION_MESSAGE
    error(
        requests.get(url, headers={"auth-token": "0" * 32}, timeout=10),
        401,
        "InvalidSessionKeyError",
    )
    c = Client(sim)
    assert ok(c.get("/system"))["data"]["sw_version"] == "3.3.5"
    lowercase = requests.get(url, headers={"auth-token": c.headers["Auth-Token"]}, timeout=10)
    assert lowercase.status_code == 200
    assert ok(c.put("/logout", None)) == {}
    error(c.get("/system"), 401, "InvalidSessionKeyError")


def test_several_live_keys_per_user_and_session_ttl(sim):
    first, second = Client(sim), Client(sim)
    assert ok(first.get("/system")) and ok(second.get("/system"))
    sim.state.session_ttl = 0.05
    third = Client(sim)
    time.sleep(0.1)
    error(third.get("/system"), 401, "InvalidSessionKeyError")


def test_keep_alive_serves_several_requests_on_one_connection(sim):
    conn = http.client.HTTPConnection(sim.host, sim.http_port, timeout=10)
    conn.request("PUT", "/v2.2/login", body=json.dumps({"name": "admin", "password": "password"}))
    key = json.loads(conn.getresponse().read())["key"]
    for _ in range(3):
        conn.request("GET", "/v2.2/system", headers={"Auth-Token": key})
        resp = conn.getresponse()
        assert resp.status == 200 and json.loads(resp.read())["data"]["name"]
    conn.close()


def test_unknown_version_and_route(sim):
    c = Client(sim)
    body = error(
        c.http.get(f"http://{sim.host}:{sim.http_port}/v9/system", timeout=10),
        404,
        "InvalidRouteError",
    )
    assert "UnsupportedVersionError" in body["message"]
    error(c.get("/no_such_thing"), 404, "InvalidRouteError")
    error(c.delete("/system"), 405, "InvalidRequestError")


# --- envelope, schema, paging ------------------------------------------------------------------


def test_v21_and_v22_envelopes(sim):
    c21, c22 = Client(sim, "v2.1"), Client(sim, "v2.2")
    ok(c22.post("/app_instances", ai_body()))
    body = ok(c21.get("/app_instances"))
    assert set(body) == {"tenant", "path", "version", "data", "metadata"}
    assert body["metadata"] == {"total": 1} and body["version"] == "v2.1"
    fixture = json.loads((DATERA_FIXTURES / "test_api_21_ai_list.txt").read_text())
    ai, real = body["data"][0], fixture["data"][0]
    assert set(real) <= set(ai), set(real) - set(ai)
    assert set(real["storage_instances"][0]) <= set(ai["storage_instances"][0])
    real_vol = real["storage_instances"][0]["volumes"][0]
    assert set(real_vol) <= set(ai["storage_instances"][0]["volumes"][0])
    one = ok(c22.get(ai["path"]))
    assert one["path"] == ai["path"] and one["tenant"] == "/root" and "request_time" in one
    assert ok(c22.get(f"/app_instances/{ai['name']}"))["data"]["id"] == ai["id"]  # by name


SCHEMA_21_SHA256 = "630ce22df76cca63107282c96f9457148f5c8de6bee5c5a51f43fb5d2bed2b72"
VOLUME_ROUTE = "/app_instances/:id/storage_instances/:storage_instance_name/volumes/:volume_name"


def schema_changes(old, new, where=()):
    """``(change, key path)`` for every key added, removed or changed from ``old`` to ``new``."""
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return {("changed", where)} if old != new else set()
    found = {("removed", (*where, k)) for k in old.keys() - new.keys()}
    found |= {("added", (*where, k)) for k in new.keys() - old.keys()}
    for key in old.keys() & new.keys():
        found |= schema_changes(old[key], new[key], (*where, key))
    return found


def test_api_schema_served_per_version(sim):
    raw = (DATERA_FIXTURES / "api_endpoint_21.txt").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == SCHEMA_21_SHA256  # the product's dump, as obtained
    v21 = ok(Client(sim, "v2.1").get("/api"))
    assert v21 == json.loads(raw) and v21["version"] == "v2.1"
    v22 = ok(Client(sim, "v2.2").get("/api"))["data"]

    create = ("/app_instances", "create", "bodyParamSchema", "properties")
    volume = (*create, "storage_instances", "items", "properties", "volumes", "items")
    paged = [
        route
        for route, ops in v21.items()
        if isinstance(ops, dict)
        and "limit" in ops.get("read", {}).get("bodyParamSchema", {}).get("properties", {})
    ]
    assert {"/app_instances", "/initiators", "/storage_nodes"} <= set(paged)
    documented = {
        ("changed", ("version",)),
        ("added", (*create, "template_override")),
        ("added", (*volume, "properties", "placement_policy")),
        ("added", (VOLUME_ROUTE, "update", "bodyParamSchema", "properties", "placement_policy")),
        ("added", ("/initiators", "create", "bodyParamSchema", "properties", "force")),
        ("added", ("/app_instances/:id/int_ecosystem_data",)),
        ("added", ("/placement_policies",)),
        ("added", ("/placement_policies/:name",)),
    }
    documented |= {("added", (r, "read", "bodyParamSchema", "properties", "offset")) for r in paged}
    assert schema_changes(v21, v22) == documented
    assert v22["version"] == "v2.2"


def test_v22_paging_filter_and_sort(sim):
    c = Client(sim)
    for i in range(7):
        ok(
            c.post(
                "/app_instances", ai_body(f"vol-{i}", uuid=f"{i:08d}-0000-4000-8000-000000000000")
            )
        )
    page = ok(c.get("/app_instances", params={"limit": 3, "offset": 3, "sort": "name"}))
    assert [a["name"] for a in page["data"]] == ["vol-3", "vol-4", "vol-5"]
    assert page["metadata"] == {"offset": 3, "limit": 3, "request_count": 3, "total_count": 7}
    assert ok(c.get("/app_instances"))["metadata"]["limit"] == 100
    last = ok(c.get("/app_instances", params={"limit": 3, "offset": 6}))
    assert last["metadata"]["request_count"] == 1
    found = ok(c.get("/app_instances", params={"filter": "match(uuid,.*00000004.*)"}))
    assert [a["name"] for a in found["data"]] == ["vol-4"]
    assert found["metadata"]["total_count"] == 1
    assert (
        ok(c.get("/app_instances", params={"filter": "name=vol-6"}))["data"][0]["name"] == "vol-6"
    )
    rev = ok(c.get("/app_instances", params={"sort": "-name", "limit": 1}))
    assert rev["data"][0]["name"] == "vol-6"
    error(c.get("/app_instances", params={"limit": 1001}), 422, "ValidationFailedError")
    error(c.get("/app_instances", params={"filter": "weird stuff"}), 422, "ValidationFailedError")


# --- errors ------------------------------------------------------------------------------------


def test_not_found_bodies(sim):
    c = Client(sim)
    body = error(c.get("/app_instances/nope"), 404, "NotFoundError")
    assert body["message"].startswith("No data at /app_instances/nope")
    assert {"code", "ts", "api_req_id", "debug"} <= set(body)
    error(c.get("/app_instances/nope/storage_instances"), 404, "NotFoundError")
    error(c.get("/initiators/iqn.1993-08.org.debian:01:abc"), 404, "NotFoundError")
    error(c.get("/tenants/root/nobody"), 404, "NotFoundError")
    error(c.get("/app_instances", headers={"tenant": "/root/nobody"}), 404, "NotFoundError")


def test_conflicts(sim):
    c = Client(sim)
    ok(c.post("/app_instances", ai_body()))
    error(c.post("/app_instances", ai_body()), 409, "ConflictError")
    error(c.post("/tenants", {"name": "root"}), 409, "ConflictError")  # cinder relies on it
    ok(c.post("/tenants", {"name": "proj_a"}))
    error(c.post("/tenants", {"name": "proj_a"}), 409, "ConflictError")
    init = {"id": "iqn.1993-08.org.debian:01:ed22de8d75c0", "name": "OpenStack-1a2b3c4d"}
    ok(c.post("/initiators", {**init, "force": True}))
    error(c.post("/initiators", init), 409, "ConflictError")
    error(
        c.post("/initiator_groups", {"name": "IG-1", "members": [{"path": "/x"}]}),
        422,
        "ValidationFailedError",
    )


@pytest.mark.parametrize(
    "body, where",
    [
        (ai_body(size=0), "size"),
        (ai_body(size=32769), "size"),
        (ai_body(replica_count=6), "replica_count"),
        (ai_body(name="x"), "name"),
        (ai_body(placement_mode="fastest"), "placement_mode"),
        ({**ai_body(), "colour": "red"}, "colour"),
        ({"create_mode": "normal"}, "name"),
        ({**ai_body(), "access_control_mode": "maybe"}, "access_control_mode"),
    ],
)
def test_schema_validation_rejects_what_the_array_rejects(sim, body, where):
    resp = Client(sim).post("/app_instances", body)
    found = error(resp, 422, "ValidationFailedError")
    assert any(where in e for e in found["errors"]), found["errors"]


def test_v21_refuses_fields_only_v22_knows(sim):
    init = {"id": "iqn.1993-08.org.debian:01:ed22de8d75c0", "name": "OpenStack-1", "force": True}
    error(Client(sim, "v2.1").post("/initiators", init), 422, "ValidationFailedError")
    body = ai_body(placement_policy={"path": "/placement_policies/default"})
    error(Client(sim, "v2.1").post("/app_instances", body), 422, "ValidationFailedError")
    ok(Client(sim, "v2.2").post("/app_instances", body))
    error(
        Client(sim).put("/app_instances/OS-vol-1", {"admin_state": "sleepy"}),
        422,
        "ValidationFailedError",
    )


def test_null_and_empty_bodies_are_accepted(sim):
    c = Client(sim)
    ai = ok(c.post("/app_instances", ai_body()))["data"]
    resp = c.http.get(c.base + "/system", data="null", headers=c.headers, timeout=10)
    assert resp.status_code == 200
    resp = c.http.delete(c.base + ai["path"], data="null", headers=c.headers, timeout=10)
    assert ok(resp)["data"]["name"] == "OS-vol-1"  # offline: no force needed


# --- the volume lifecycle ----------------------------------------------------------------------


def test_volume_lifecycle_online_offline_delete(sim):
    c = Client(sim)
    ai = ok(c.post("/app_instances", ai_body()))["data"]
    si = ai["storage_instances"][0]
    assert ai["admin_state"] == "offline" and si["op_state"] == "unavailable"
    assert si["access"]["ips"] == [] and si["access"]["iqn"].startswith(
        "iqn.2013-05.com.daterainc:tc:01:sn:"
    )
    online = ok(c.put(ai["path"], {"admin_state": "online"}))["data"]
    si = online["storage_instances"][0]
    assert si["op_state"] == "available" and len(si["access"]["ips"]) == 2
    assert si["access"]["ips"][0].startswith("172.28.41.")
    error(c.delete(ai["path"]), 422, "ValidationFailedError")
    ok(c.put(ai["path"], {"admin_state": "offline", "force": True}))
    deleted = ok(c.delete(ai["path"], {"force": True}))["data"]
    assert deleted["id"] == ai["id"]
    error(c.get(ai["path"]), 404, "NotFoundError")


def test_online_delete_with_force_is_allowed(sim):
    c = Client(sim)
    ai = ok(c.post("/app_instances", ai_body()))["data"]
    ok(c.put(ai["path"], {"admin_state": "online"}))
    ok(c.delete(ai["path"], {"force": True}))


def test_extend_only_grows(sim):
    c = Client(sim)
    ai = ok(c.post("/app_instances", ai_body(size=10)))["data"]
    vol = ai["storage_instances"][0]["volumes"][0]["path"]
    error(c.put(vol, {"size": 5}), 422, "ValidationFailedError")
    assert ok(c.put(vol, {"size": 20}))["data"]["size"] == 20
    error(c.put(vol, {"replica_count": 1}), 422, "ValidationFailedError")


def test_snapshots_become_available_and_clone(sim):
    c = Client(sim)
    sim.state.snapshot_pending_reads = 2
    ai = ok(c.post("/app_instances", ai_body()))["data"]
    vol = ai["storage_instances"][0]["volumes"][0]["path"]
    snap_uuid = "0bb34f0c-fea4-48e0-bf96-591120ac7e3c"
    snap = ok(c.post(vol + "/snapshots", {"uuid": snap_uuid}))["data"]
    assert snap["op_state"] == "creating" and snap["timestamp"] == snap["utc_ts"]
    assert snap["path"] == f"{vol}/snapshots/{snap['utc_ts']}"
    states = [ok(c.get(snap["path"]))["data"]["op_state"] for _ in range(3)]
    assert states == ["creating", "creating", "available"]
    error(c.post(vol + "/snapshots", {"uuid": snap_uuid}), 409, "ConflictError")
    listed = ok(c.get(vol + "/snapshots"))["data"]
    assert [s["uuid"] for s in listed] == [snap_uuid]
    clone = {
        "name": "OS-clone",
        "create_mode": "openstack",
        "clone_snapshot_src": {"path": snap["path"]},
    }
    cloned = ok(c.post("/app_instances", clone))["data"]
    assert cloned["storage_instances"][0]["volumes"][0]["size"] == 10
    clone = {"name": "OS-clone2", "clone_volume_src": {"path": vol + "x"}}
    error(c.post("/app_instances", clone), 404, "NotFoundError")
    ok(c.delete(snap["path"]))
    error(c.get(snap["path"]), 404, "NotFoundError")


def test_performance_policy_acl_auth_and_metadata(sim):
    c = Client(sim)
    ai = ok(c.post("/app_instances", ai_body()))["data"]
    si = ai["storage_instances"][0]["path"]
    pp = ai["storage_instances"][0]["volumes"][0]["path"] + "/performance_policy"
    error(c.get(pp), 404, "NotFoundError")
    assert ok(c.post(pp, {"total_iops_max": 1000}))["data"]["total_iops_max"] == 1000
    error(c.post(pp, {"total_iops_max": 10}), 409, "ConflictError")
    ok(c.delete(pp))
    iqn = "iqn.1993-08.org.debian:01:ed22de8d75c0"
    acl = {"initiators": [{"path": f"/initiators/{iqn}"}], "initiator_groups": []}
    error(c.put(si + "/acl_policy", acl), 422, "ValidationFailedError")
    ok(c.post("/initiators", {"id": iqn, "name": "OpenStack-1a2b3c4d", "force": True}))
    got = ok(c.put(si + "/acl_policy", acl))["data"]
    assert [i["path"] for i in got["initiators"]] == [f"/initiators/{iqn}"]
    chap = {"type": "chap", "target_user_name": "chapuser", "target_pswd": "short"}
    error(c.put(si + "/auth", chap), 422, "ValidationFailedError")  # 12-16 characters
    chap["target_pswd"] = "longenough123"
    assert ok(c.put(si + "/auth", chap))["data"]["target_pswd"] == "(hidden)"
    ok(c.put(ai["path"] + "/int_ecosystem_data", {"data": {"host": "ctl1", "bootable": "False"}}))
    assert ok(c.get(ai["path"] + "/metadata"))["data"] == {"host": "ctl1", "bootable": "False"}


def test_tenants_partition_app_instances(sim):
    root = Client(sim)
    ok(root.post("/tenants", {"name": "OS-proj"}))
    assert ok(root.get("/tenants/root/OS-proj"))["data"]["parent_path"] == "/root"
    sub = Client(sim, tenant="/root/OS-proj")
    ai = ok(sub.post("/app_instances", ai_body()))["data"]
    assert ai and ok(sub.get("/app_instances"))["data"][0]["tenant"] == "/root/OS-proj"
    assert ok(root.get("/app_instances"))["data"] == []
    ok(root.post("/app_instances", ai_body()))  # the same name in another tenant is fine
    assert len(sim.state.app_instances["/root/OS-proj"]) == 1


# --- answers as the product gives them ---------------------------------------------------------

IQN = "iqn.1993-08.org.debian:01:ed22de8d75c0"


def one_of_everything(sim):
    """Create one of each object the simulator keeps; return the paths that read them."""
    c = Client(sim)
    ok(c.post("/tenants", {"name": "proj_a"}))
    ok(c.post("/initiators", {"id": IQN, "name": "OpenStack-1a2b3c4d", "force": True}))
    ok(c.post("/initiator_groups", {"name": "IG-1", "members": [{"path": f"/initiators/{IQN}"}]}))
    ok(c.post("/app_templates", {"name": "gold"}))
    ai = ok(c.post("/app_instances", ai_body()))["data"]
    ok(c.put(ai["path"], {"admin_state": "online"}))
    si = ai["storage_instances"][0]["path"]
    vol = ai["storage_instances"][0]["volumes"][0]["path"]
    acl = {
        "initiators": [{"path": f"/initiators/{IQN}"}],
        "initiator_groups": [{"path": "/initiator_groups/IG-1"}],
    }
    ok(c.put(si + "/acl_policy", acl))
    chap = {"type": "chap", "target_user_name": "chapuser", "target_pswd": "longenough123"}
    ok(c.put(si + "/auth", chap))
    ok(c.post(vol + "/performance_policy", {"total_iops_max": 1000}))
    ai_snap = ok(c.post(ai["path"] + "/snapshots", {}))["data"]["path"]
    vol_snap = ok(c.post(vol + "/snapshots", {}))["data"]["path"]
    ok(c.put(ai["path"] + "/int_ecosystem_data", {"data": {"host": "ctl1"}}))
    node = sim.state.storage_nodes[0]["uuid"]
    return [
        *("/system", "/system/network/access_vip", "/storage_nodes", f"/storage_nodes/{node}"),
        *("/tenants", "/tenants/root/proj_a"),
        *("/access_network_ip_pools", "/access_network_ip_pools/default"),
        *("/placement_policies", "/placement_policies/default"),
        *("/app_templates", "/app_templates/gold"),
        *("/initiators", f"/initiators/{IQN}"),
        *("/initiator_groups", "/initiator_groups/IG-1", "/initiator_groups/IG-1/members"),
        *("/app_instances", ai["path"], ai["path"] + "/metadata"),
        *(ai["path"] + "/snapshots", ai_snap, ai["path"] + "/storage_instances", si),
        *(si + "/acl_policy", si + "/acl_policy/initiators", si + "/acl_policy/initiator_groups"),
        *(si + "/auth", si + "/volumes", vol, vol + "/performance_policy"),
        *(vol + "/snapshots", vol_snap),
    ]


@pytest.mark.parametrize("version", ["v2.1", "v2.2"])
def test_every_read_conforms_to_the_products_schema(sim, version):
    paths = one_of_everything(sim)
    readable = {name for _, name in sim_api.ROUTES if hasattr(sim_api.Api, f"{name}_get")}
    assert {name for rx, name in sim_api.ROUTES if any(rx.match(p) for p in paths)} == readable
    c = Client(sim, version)
    unchecked = []
    for path in paths:
        resp = c.get(path)
        if version == "v2.1" and path.startswith("/placement_policies"):
            error(resp, 404, "InvalidRouteError")  # a v2.2 route
            continue
        ok(resp)  # the simulator's validation would have made a non-conforming answer a 500
        if api_schema(version).match(path).returns.get("read") is None:
            unchecked.append(path)
    metadata = next(p for p in paths if p.endswith("/metadata"))
    v22_only = ["/placement_policies", "/placement_policies/default"] if version == "v2.2" else []
    assert unchecked == [*v22_only, metadata]  # the dump gives these no returnParamSchema


def test_an_answer_the_product_would_not_give_is_a_500_naming_it(sim):
    c = Client(sim)
    sim.state.storage_nodes[0]["op_state"] = "running"
    body = error(c.get("/storage_nodes"), 500, "InternalError")
    assert "returnParamSchema of read /storage_nodes" in body["message"]
    assert body["errors"][0].startswith("data/0/op_state: 'running' is not one of ['online'")
    ai = ok(c.post("/app_instances", ai_body()))["data"]
    volume = sim.state.app_instances["/root"][ai["id"]]["storage_instances"][0]["volumes"][0]
    volume["op_status"] = "none"
    body = error(c.get("/app_instances"), 500, "InternalError")
    assert body["errors"][0].startswith(
        "data/0/storage_instances/0/volumes/0/op_status: 'none' is not one of"
    )
    with DateraSimulator(host=HOST, validate_responses=False) as lax:
        lax.state.storage_nodes[0]["op_state"] = "running"
        assert ok(Client(lax).get("/storage_nodes"))["data"][0]["op_state"] == "running"


@pytest.mark.parametrize(
    "fixture, path",
    [
        ("test_api_21_ai_list.txt", "/app_instances"),
        ("test_api_21_si_list_0.txt", "/app_instances/x/storage_instances"),
        ("test_api_21_vol_list_0.txt", "/app_instances/x/storage_instances/s/volumes"),
    ],
)
def test_the_products_own_answers_conform(fixture, path):
    validator = api_schema("v2.1").match(path).returns["read"]
    items = json.loads((DATERA_FIXTURES / fixture).read_text())["data"]
    assert items and [ApiSchema.errors(validator, item) for item in items] == [[]] * len(items)
    broken = json.loads(json.dumps(items[0]))
    broken["health"] = "fine"
    assert ApiSchema.errors(validator, broken) == [
        "health: 'fine' is not one of ['unknown', 'ok', 'warning', 'critical']"
    ]


# --- failing loudly ----------------------------------------------------------------------------


@pytest.fixture
def sim_errors(error_records):
    return lambda: error_records(SIM_LOGGER)


def test_an_unexpected_exception_answers_500_naming_it(sim, monkeypatch, sim_errors):
    def boom(ctx):
        raise RuntimeError("boom")

    c = Client(sim)
    monkeypatch.setattr(sim.api, "system_get", boom)
    body = error(c.get("/system"), 500, "InternalError")
    assert "RuntimeError: boom" in body["message"] and "Traceback" in body["debug"]
    assert sim.log[-1]["status"] == 500
    assert [r.exc_info[0] for r in sim_errors()] == [RuntimeError]
    assert ok(c.get("/storage_nodes"))  # same connection, the simulator carries on

    monkeypatch.setattr(sim, "_serve", lambda *request: (200, {"unencodable": {1, 2}}))
    body = error(c.get("/system"), 500, "InternalError")
    assert "TypeError" in body["message"] and "not JSON serializable" in body["message"]
    assert [r.exc_info[0] for r in sim_errors()] == [RuntimeError, TypeError]


def wait_until_closed(sim):
    deadline = time.monotonic() + 10
    while any(server.open_sockets for server in sim._servers):
        assert time.monotonic() < deadline, "connections still open"
        time.sleep(0.01)


def test_refused_handshakes_and_resets_are_not_logged(sim, sim_errors):
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(sim.url("v2.2") + "/system", timeout=10)  # the client refuses the CA
    with socket.create_connection((sim.host, sim.https_port)) as conn:
        conn.sendall(b"GET /v2.2/system HTTP/1.1\r\n\r\n")  # plain HTTP to the TLS port
        conn.recv(1024)
    with socket.create_connection((sim.host, sim.http_port)) as conn:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.sendall(b"PUT /v2.2/login HTTP/1.1\r\nContent-Length: 100\r\n\r\n{")
    wait_until_closed(sim)  # each connection's error, if any, was handled by now
    assert sim_errors() == []


def test_other_connection_failures_are_logged(sim, monkeypatch, sim_errors):
    def broken(handler):
        raise ValueError("no parse")

    monkeypatch.setattr(sim_server._Handler, "parse_request", broken)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(sim.url("v2.2", "http") + "/system", timeout=10)
    wait_until_closed(sim)
    (record,) = sim_errors()
    assert "connection from" in record.getMessage() and record.exc_info[0] is ValueError


# --- faults and counting -----------------------------------------------------------------------


def test_status_for_next_skips_login_unless_asked(sim):
    c = Client(sim)
    sim.faults.status_for_next(503, n=2)
    Client(sim)  # login is not affected
    assert [c.get("/system").status_code for _ in range(3)] == [503, 503, 200]
    sim.faults.status_for_next(503, include_login=True)
    resp = requests.put(
        c.base + "/login", json={"name": "admin", "password": "password"}, timeout=10
    )
    assert resp.status_code == 503


def test_500_still_initializing(sim):
    c = Client(sim)
    sim.faults.status_for_next(500)
    body = error(c.get("/system"), 500, "InternalError")
    assert "REST server is still initializing" in body["message"]
    sim.faults.status_for_next(500, message="disk on fire")
    assert "disk on fire" in c.get("/system").json()["message"]


def test_delay(sim):
    c = Client(sim)
    sim.faults.delay(0.3, n=1)
    start = time.monotonic()
    ok(c.get("/system"))
    assert time.monotonic() - start >= 0.3
    start = time.monotonic()
    ok(c.get("/system"))
    assert time.monotonic() - start < 0.3


def test_expire_tokens_then_login_again(sim):
    c = Client(sim)
    sim.faults.expire_tokens()
    body = error(c.get("/system"), 401, "InvalidSessionKeyError")
    assert body["message"] == SESSION_MESSAGE
    ok(Client(sim).get("/system"))


def test_expire_tokens_on_a_request_mid_session(sim):
    c = Client(sim)
    sim.faults.expire_tokens_on("GET", "/v2.2/app_instances")
    assert ok(c.get("/system"))
    assert ok(c.post("/app_instances", ai_body()))  # another method: not this fault
    error(c.get("/app_instances"), 401, "InvalidSessionKeyError")
    error(c.get("/system"), 401, "InvalidSessionKeyError")
    again = Client(sim)
    assert len(ok(again.get("/app_instances"))["data"]) == 1  # once only


def test_refuse_login(sim):
    sim.faults.refuse_login(True)
    url = sim.url("v2.2", "http") + "/login"
    error(
        requests.put(url, json={"name": "admin", "password": "password"}, timeout=10),
        401,
        "AuthFailedError",
    )
    sim.faults.refuse_login(False)
    assert Client(sim)


def test_request_counts(sim):
    c = Client(sim)
    c.get("/system")
    c.get("/app_instances", params={"limit": 5})
    assert sim.count("PUT", "/v2.2/login") == 1
    assert sim.count("GET") == 2 and sim.count(path_prefix="/v2.2/app_instances") == 1
    assert ("GET", "/v2.2/app_instances?limit=5") in sim.requests
    assert sim.log[-1]["status"] == 200 and sim.log[0]["body"] == "******"
    sim.reset_counts()
    assert sim.count() == 0 and sim.requests == []


def test_cli_serves_until_terminated(tmp_path):
    ca = tmp_path / "ca.pem"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.datera_sim",
            "--host",
            HOST,
            "--http-port",
            "0",
            "--https-port",
            "0",
            "--user",
            "ops:opspass",
            "--ca-out",
            str(ca),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        line = proc.stdout.readline()
        https = line.split()[2]
        assert https.startswith("https://") and ca.exists()
        resp = requests.put(
            https + "/v2.2/login",
            json={"name": "ops", "password": "opspass"},
            verify=str(ca),
            timeout=10,
        )
        assert resp.status_code == 200
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_app_template_with_size_override(sim):
    c = Client(sim)
    vt = {"name": "volume-1", "size": 5, "replica_count": 2}
    ok(
        c.post(
            "/app_templates",
            {
                "name": "gold",
                "storage_templates": [{"name": "storage-1", "volume_templates": [vt]}],
            },
        )
    )
    override = {"storage_instances": {"storage-1": {"volumes": {"volume-1": {"size": "20"}}}}}
    body = {
        "name": "OS-t",
        "create_mode": "openstack",
        "app_template": {"path": "/app_templates/gold"},
        "template_override": override,
    }
    vol = ok(c.post("/app_instances", body))["data"]["storage_instances"][0]["volumes"][0]
    assert (vol["size"], vol["replica_count"]) == (20, 2)
    error(
        Client(sim, "v2.1").post("/app_instances", {**body, "name": "OS-t2"}),
        422,
        "ValidationFailedError",
    )  # no template_override before v2.2
    body = {"name": "OS-t3", "app_template": {"path": "/app_templates/silver"}}
    error(c.post("/app_instances", body), 422, "ValidationFailedError")


def test_stop_closes_kept_alive_connections():
    http = requests.Session()
    with DateraSimulator(host=HOST, http_port=0) as first:
        port = first.http_port
        url = f"http://{HOST}:{port}/v2.2/login"
        assert http.put(url, json={"name": "admin", "password": "password"}, timeout=10).ok
    with DateraSimulator(host=HOST, http_port=port, users={"other": "password"}):
        resp = http.put(url, json={"name": "admin", "password": "password"}, timeout=10)
        assert resp.status_code == 401  # the new simulator answered, not the old thread
