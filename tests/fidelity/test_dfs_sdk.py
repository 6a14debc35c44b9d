"""
Datera's own Python SDK (dfs-sdk 1.2.27, what cinder's driver is built on) against the simulator.

The SDK's ports are constants (HTTPS 7718, HTTP 7717) and ``get_api`` takes no port, so the
simulator listens on those ports of an address of its own in this run's loopback block
(``net.ip(43)``). The schema cache goes to a file of the test's own (``schema_loc``), never the
machine-wide default ``/tmp/.cached-schema``.
"""

import json
import time

import pytest

from tests.support import net
from tests.support.datera_sim import DateraSimulator

pytestmark = [
    pytest.mark.fidelity,
    pytest.mark.filterwarnings("ignore:Unverified HTTPS request"),  # the SDK never verifies
]

HOST = net.ip(43)
IQN = "iqn.1993-08.org.debian:01:ed22de8d75c0"
VOL_ID = "9b0216bc-8aab-47f2-b746-843f497cb7a6"


@pytest.fixture
def sim():
    with DateraSimulator(host=HOST, http_port=7717, https_port=7718) as running:
        yield running


@pytest.fixture
def connect(dfs_sdk, sim, tmp_path):
    def connect(version="v2.2", **kw):
        kw.setdefault("schema_loc", str(tmp_path / f"schema-{version}"))
        return dfs_sdk.get_api(HOST, "admin", "password", version, disable_log=True, **kw)

    return connect


def cinder_like_ai(name="OS-vol-" + VOL_ID, size=10):
    """The create body cinder 29 sends for a volume without a template (product 3.3+)."""
    return {
        "create_mode": "openstack",
        "uuid": VOL_ID,
        "name": name,
        "access_control_mode": "deny_all",
        "storage_instances": [
            {
                "name": "storage-1",
                "ip_pool": {"path": "/access_network_ip_pools/default"},
                "volumes": [
                    {
                        "name": "volume-1",
                        "size": size,
                        "replica_count": 3,
                        "snapshot_policies": [],
                        "placement_policy": {"path": "/placement_policies/default"},
                    }
                ],
            }
        ],
    }


def test_login_over_https_reads_schema_and_system(connect, sim, tmp_path):
    api = connect()
    system = api.system.get()
    assert system["sw_version"] == "3.3.5" and system["uuid"]
    assert system.total_capacity > system.available_capacity > 0
    # the SDK logs in twice at start-up (spec section 3.3), fetches /api once, then caches it
    assert sim.count("PUT", "/v2.2/login") == 2
    assert sim.count("GET", "/v2.2/api") == 1
    assert json.loads((tmp_path / "schema-v2.2").read_text())["v2.2"]["version"] == "v2.2"
    assert sim.count("GET", "/v2.2/system") == 3
    assert sim.count(path_prefix="/v2.1") == 0
    # every later request carries the tenant header, the token and the driver header
    last = sim.log[-1]["headers"]
    assert last["tenant"] == "/root" and len(last["auth-token"]) == 32
    assert last["datera-driver"] == "Python-SDK-1.2.27"
    assert sim.log[0]["headers"].get("tenant") is None  # not on login


def test_plain_http_on_7717(connect, sim):
    api = connect(secure=False)
    assert api.system.get()["name"] == "datera-sim"
    assert sim.count(path_prefix="/v2.2/system") >= 1
    assert all(entry["method"] for entry in sim.log)


def test_create_use_and_delete_an_app_instance(dfs_sdk, connect, sim):
    api = connect()
    with pytest.raises(dfs_sdk.ApiConflictError):
        api.tenants.create(name="root")  # cinder relies on this 409
    ai = api.app_instances.create(tenant="/root", **cinder_like_ai())
    assert ai["admin_state"] == "offline" and ai.path.startswith("/app_instances/")
    found = api.app_instances.list(filter=f"match(name,.*{VOL_ID}.*)", tenant="/root")
    assert [a["id"] for a in found] == [ai["id"]]

    si = ai.storage_instances.list(tenant="/root")[0]
    vol = si.volumes.list(tenant="/root")[0]
    assert vol["size"] == 10 and vol.path.endswith("/storage-1/volumes/volume-1")

    ai.set(tenant="/root", admin_state="online")
    si = si.reload(tenant="/root")
    assert si.op_state == "available" and si.access["iqn"] and len(si.access["ips"]) == 2

    with pytest.raises(dfs_sdk.exceptions.ApiNotFoundError):
        vol.performance_policy.get(tenant="/root")
    vol.performance_policy.create(tenant="/root", total_iops_max=500)
    assert vol.reload(tenant="/root")["performance_policy"]["total_iops_max"] == 500

    snap = vol.snapshots.create(tenant="/root", uuid="0bb34f0c-fea4-48e0-bf96-591120ac7e3c")
    assert snap.reload(tenant="/root").op_state == "available"
    assert [s.uuid for s in vol.snapshots.list(tenant="/root")] == [snap["uuid"]]

    ai.metadata.set(tenant="/root", host="ctl1", bootable="False")  # int_ecosystem_data on 3.3
    assert sim.count("PUT", f"/v2.2{ai.path}/int_ecosystem_data") == 1
    assert ai.metadata.get(tenant="/root")["host"] == "ctl1"

    with pytest.raises(dfs_sdk.exceptions.ApiValidationFailedError):
        vol.set(tenant="/root", size=5)  # shrink
    with pytest.raises(dfs_sdk.exceptions.ApiValidationFailedError):
        ai.delete(tenant="/root")  # online, no force
    ai.set(tenant="/root", admin_state="offline", force=True)
    ai.delete(tenant="/root", force=True)
    assert api.app_instances.list(filter=f"match(name,.*{VOL_ID}.*)") == []
    with pytest.raises(dfs_sdk.ApiNotFoundError):
        api.app_instances.get(ai["id"])
    assert sim.state.app_instances["/root"] == {}


def test_list_pages_through_everything(connect, sim):
    api = connect()
    for i in range(230):
        sim.state.initiators.setdefault("/root", {})[f"iqn.2024-01.org.sim:{i:04d}"] = {
            "path": f"/initiators/iqn.2024-01.org.sim:{i:04d}",
            "id": f"iqn.2024-01.org.sim:{i:04d}",
            "name": f"init-{i}",
            "_tenant": "/root",
        }
    sim.reset_counts()
    listed = api.initiators.list()
    assert len(listed) == 230 and len({i["id"] for i in listed}) == 230
    pages = [p for m, p in sim.requests if p.startswith("/v2.2/initiators")]
    assert pages == [
        "/v2.2/initiators",
        "/v2.2/initiators?offset=100",
        "/v2.2/initiators?offset=200",
    ]
    assert len(api.initiators.list(limit=150)) == 150


def test_v21_lists_and_the_initiator_force_rule(dfs_sdk, connect, sim):
    api = connect("v2.1")
    volumes = [{"name": "volume-1", "size": 1, "placement_mode": "hybrid"}]
    api.app_instances.create(
        name="app-1", storage_instances=[{"name": "storage-1", "volumes": volumes}]
    )
    assert [a["name"] for a in api.app_instances.list()] == ["app-1"]
    with pytest.raises(dfs_sdk.exceptions.ApiValidationFailedError):
        api.initiators.create(id=IQN, name="OpenStack-1a2b3c4d", force=True)
    api.initiators.create(id=IQN, name="OpenStack-1a2b3c4d")
    assert api.initiators.get(IQN)["tenant"] == "/root"


def test_sdk_recovers_from_expired_keys_and_503(connect, sim):
    api = connect()
    logins = sim.count("PUT", "/v2.2/login")
    sim.faults.expire_tokens()
    assert api.system.get()["name"]  # 401, log in again, retry once
    assert sim.count("PUT", "/v2.2/login") == logins + 1
    sim.faults.status_for_next(503)
    started = time.monotonic()
    assert api.system.get()["name"]  # retried after a 1 s back-off
    assert time.monotonic() - started >= 1
    sim.faults.status_for_next(500)  # "REST server is still initializing": retried too
    assert api.system.get()["name"]
