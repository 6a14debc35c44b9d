"""The Datera API simulator itself, through plain HTTP(S) requests."""

import http.client
import json
import os
import ssl
import subprocess
import sys
import time

import pytest
import requests

from tests.support.datera_sim import DateraSimulator
from tests.support.datera_sim.errors import SESSION_MESSAGE
from tests.support.paths import DATERA_FIXTURES, REPO

VOL_UUID = "9b0216bc-8aab-47f2-b746-843f497cb7a6"


@pytest.fixture
def sim():
    with DateraSimulator(users={"admin": "password", "jdoe": "secret_1"}) as running:
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
    import hashlib

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


def test_api_schema_served_per_version(sim):
    v21 = ok(Client(sim, "v2.1").get("/api"))
    fixture = json.loads((DATERA_FIXTURES / "api_endpoint_21.txt").read_text())
    assert v21 == fixture
    v22 = ok(Client(sim, "v2.2").get("/api"))["data"]
    props = v22["/app_instances"]["create"]["bodyParamSchema"]["properties"]
    assert "template_override" in props
    assert v22["/metrics/io/:metric"]["read"]["urlParamSchema"]["metric"]["enum"]


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
    with DateraSimulator(http_port=0) as first:
        port = first.http_port
        url = f"http://127.0.0.1:{port}/v2.2/login"
        assert http.put(url, json={"name": "admin", "password": "password"}, timeout=10).ok
    with DateraSimulator(http_port=port, users={"other": "password"}):
        resp = http.put(url, json={"name": "admin", "password": "password"}, timeout=10)
        assert resp.status_code == 401  # the new simulator answered, not the old thread
