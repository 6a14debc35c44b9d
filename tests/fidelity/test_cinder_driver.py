"""
The real Datera driver of cinder 29.0.0 (with dfs-sdk 1.2.27) against the simulator.

The driver takes no port and no TLS options: the SDK connects to ``https://<san_ip>:7718``
without verifying the certificate. So the simulator listens on port 7718 of an address of
its own in this run's loopback block (``net.ip(42)``), and the driver runs in cinder's own
virtualenv (``DATERA_CINDER_PYTHON``, default
``.venv-cinder/bin/python``; ``bash tests/setup.sh`` creates it, by hand:
``python3 -m venv .venv-cinder && .venv-cinder/bin/pip install "cinder[datera]==29.0.0" trustme``)
through ``cinder_driver_probe.py``, which reads the backend section of the cinder.conf that
the formula's editor wrote (into cinder's full sample) from the pillar below. The SDK caches
the cluster's schema in a file of the test's own (the probe's ``DATERA_SDK_SCHEMA_LOC``), not
in the machine-wide ``/tmp/.cached-schema``.
"""

import json
from pathlib import Path

import pytest

from tests.fidelity.cinder_venv import run_json
from tests.fidelity.formula_conf import write_conf
from tests.support import net
from tests.support.datera_sim import DateraSimulator

pytestmark = pytest.mark.fidelity

HOST = net.ip(42)
PROBE = Path(__file__).with_name("cinder_driver_probe.py")
DRIVER = "cinder.volume.drivers.datera.datera_iscsi.DateraDriver"


def pillar(password="s3cret_pw"):
    backend = {"san_ip": HOST, "san_login": "admin", "san_password": password, "replica_count": 2}
    return {"release": "latest", "backends": {"datera": backend}}


@pytest.fixture(autouse=True)
def schema_cache(tmp_path, monkeypatch):
    """Where the probe's SDK caches the schema: fresh for each test, inherited by the probe."""
    path = tmp_path / "dfs-sdk-schema.json"
    monkeypatch.setenv("DATERA_SDK_SCHEMA_LOC", str(path))
    return path


@pytest.fixture
def sim():
    users = {"admin": "s3cret_pw"}
    with DateraSimulator(host=HOST, http_port=0, https_port=7718, users=users) as running:
        yield running


@pytest.fixture
def cinder_conf(tmp_path):
    path = write_conf(tmp_path / "cinder.conf", pillar())
    text = path.read_text()
    assert f"volume_driver = {DRIVER}\n" in text and "san_password = s3cret_pw\n" in text
    return path


def volume_of(ai):
    return ai["storage_instances"][0]["volumes"][0]


def test_driver_lifecycle_against_the_simulator(sim, cinder_conf, schema_cache):
    out = run_json(PROBE, cinder_conf, "datera")
    vol_id = out["volume_id"]
    assert out["volume_driver"] == DRIVER
    assert out["api_version"] == "2.2"  # v2.2 tried first and accepted

    # set-up: two logins (the SDK's quirk), the schema once (cached in the test's own file),
    # /system for the version
    assert sim.count("PUT", "/v2.2/login") == 2
    assert sim.count("GET", "/v2.2/api") == 1
    assert json.loads(schema_cache.read_text())["v2.2"]["version"] == "v2.2"
    assert sim.count(path_prefix="/v2.1/") == 0
    stats = out["stats"]
    assert stats["volume_backend_name"] == "datera" and stats["vendor_name"] == "Datera"
    assert stats["storage_protocol"] == "iSCSI"
    assert (stats["total_capacity_gb"], stats["free_capacity_gb"]) == (10240.0, 9216.0)

    created = out["created"]
    assert created["name"] == f"OS-probevolume-{vol_id}" and created["uuid"] == vol_id
    assert created["create_mode"] == "openstack" and created["admin_state"] == "offline"
    assert volume_of(created)["size"] == 1
    assert volume_of(created)["replica_count"] == 2  # datera_volume_type_defaults was read
    assert sim.count("POST", "/v2.2/tenants") >= 1  # {"name": "root"} → 409, ignored

    assert volume_of(out["extended"])["size"] == 2

    conn = out["connection"]
    si = out["exported"]["storage_instances"][0]
    assert conn["driver_volume_type"] == "iscsi"
    assert conn["data"]["target_iqn"] == si["access"]["iqn"]
    assert conn["data"]["target_portal"] == si["access"]["ips"][0] + ":3260"
    assert conn["data"]["target_lun"] == 0
    assert si["op_state"] == "available"
    acl = [i["path"] for i in si["acl_policy"]["initiators"]]
    assert acl == ["/initiators/iqn.1993-08.org.debian:01:ed22de8d75c0"]
    detached = out["detached"]
    assert detached["admin_state"] == "offline"
    assert detached["storage_instances"][0]["acl_policy"]["initiators"] == []

    snaps = volume_of(out["snapshotted"])["snapshots"]
    assert [s["uuid"] for s in snaps] == [out["snapshot_id"]]
    assert snaps[0]["op_state"] == "available"
    assert volume_of(out["snapshot_deleted"])["snapshots"] == []

    assert out["remaining"] == [] and sim.state.app_instances["/root"] == {}
    assert sim.count("DELETE", "/v2.2/app_instances/") == 2  # the snapshot and the volume
    assert out["stats_after"]["total_capacity_gb"] == 10240.0
    errors = [(e["method"], e["path"], e["status"]) for e in sim.log if e["status"] >= 400]
    assert errors == [
        ("POST", "/v2.2/tenants", 409),
        ("GET", "/v2.2/initiators/iqn.1993-08.org.debian:01:ed22de8d75c0", 404),
    ]


def test_driver_rides_out_503s_and_expired_keys(sim, cinder_conf):
    sim.faults.status_for_next(503, n=1)
    # the keys expire mid-lifecycle: at create_volume, long after the driver logged in
    sim.faults.expire_tokens_on("POST", "/v2.2/app_instances")
    out = run_json(PROBE, cinder_conf, "datera")
    assert out["api_version"] == "2.2"
    assert out["created"]["uuid"] == out["volume_id"] and out["remaining"] == []
    assert "stats_after" in out  # the lifecycle ran to its end
    assert [e["status"] for e in sim.log].count(503) == 1
    creates = [
        i
        for i, e in enumerate(sim.log)
        if (e["method"], e["path"]) == ("POST", "/v2.2/app_instances")
    ]
    assert [sim.log[i]["status"] for i in creates] == [401, 200]
    between = [(e["method"], e["path"], e["status"]) for e in sim.log[creates[0] + 1 : creates[1]]]
    assert between == [("PUT", "/v2.2/login", 200), ("GET", "/v2.2/system", 200)]  # re-login
    assert sim.count("PUT", "/v2.2/login") == 3  # the two of set-up, one after the 401


def test_wrong_password_leaves_the_driver_without_api(sim, cinder_conf):
    write_conf(cinder_conf, pillar(password="wrong_pw"))
    out = run_json(PROBE, cinder_conf, "datera")
    assert out["api_version"] is None and "created" not in out
    assert sim.count("PUT", "/v2.2/login") == 1 and sim.count("PUT", "/v2.1/login") == 1
    assert {e["status"] for e in sim.log} == {401}
