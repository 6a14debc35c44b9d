"""Cinder volume types for Datera backends, against the Keystone + Cinder simulator."""

import socket

import pytest
import requests
from salt.exceptions import CommandExecutionError, SaltInvocationError

from tests.support.loaders import load
from tests.support.openstack_sim import OpenStackSimulator

datera_volume_type = load("modules", "datera_volume_type")
datera_volume_type_state = load("states", "datera_volume_type")
datera_pillar = load("modules", "datera_pillar")
datera_secrets = load("utils", "datera_secrets")

KEYSTONE_PASSWORD = "Cinder-Keystone-S3cret"
DATERA_PASSWORD = "Datera-S3cret"
MODULE = datera_volume_type


@pytest.fixture
def sim():
    with OpenStackSimulator(
        users={"cinder": KEYSTONE_PASSWORD, "viewer": "viewer-pw"},
        roles={"viewer": ["member"]},
    ) as simulator:
        yield simulator


@pytest.fixture
def keystone(sim):
    """The pillar's datera:keystone as the Fuel ext_pillar writes it, aimed at the simulator."""
    return {
        "host": sim.host,
        "port": sim.identity_port,
        "auth_url": sim.auth_url,
        "user": "cinder",
        "password": KEYSTONE_PASSWORD,
        "project": "services",
        "user_domain": "Default",
        "project_domain": "Default",
        "interface": "internal",
        "retry_interval": 0,
    }


@pytest.fixture
def opts():
    return {"test": False}


@pytest.fixture
def configure_loader_modules(keystone, opts):
    backends = {
        "datera": {
            "san_ip": "192.0.2.10",
            "san_login": "admin",
            "san_password": DATERA_PASSWORD,
            "replica_count": 3,
        },
        "datera-east": {
            "san_ip": "192.0.2.20",
            "san_login": "admin",
            "san_password": DATERA_PASSWORD,
            "replica_count": 2,
            "volume_backend_name": "east",
        },
    }

    def settings(reveal=False):
        normalised = datera_pillar._normalise({"backends": backends, "keystone": keystone})
        return normalised if reveal else datera_secrets.mask_tree(normalised)

    def backend(name=None, reveal=False):
        return settings(reveal)["backends"][name or "datera"]

    exec_salt = {"datera_pillar.settings": settings, "datera_pillar.backend": backend}
    return {
        MODULE: {
            "__salt__": exec_salt,
            "__context__": {},
            "__opts__": opts,
        },
        datera_volume_type_state: {
            "__salt__": {
                "datera_volume_type.specs": MODULE.specs,
                "datera_volume_type.ensure": MODULE.ensure,
                "datera_volume_type.delete": MODULE.delete,
            },
            "__opts__": opts,
        },
    }


SECRETS = (KEYSTONE_PASSWORD, DATERA_PASSWORD)


def present(**kwargs):
    ret = datera_volume_type_state.present(**kwargs)
    assert KEYSTONE_PASSWORD not in repr(ret) and DATERA_PASSWORD not in repr(ret)
    return ret


def writes(sim):
    return [(m, p) for m, p in sim.requests if m != "GET" and not p.startswith("/v3/auth")]


# --- the simulator itself --------------------------------------------------------------------


def login(sim, password=KEYSTONE_PASSWORD, user="cinder"):
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": user, "domain": {"name": "Default"}, "password": password}
                },
            },
            "scope": {"project": {"name": "services", "domain": {"name": "Default"}}},
        }
    }
    return requests.post(f"{sim.auth_url}/auth/tokens", json=body, timeout=10)


def test_simulator_login_gives_a_token_and_a_volumev3_catalog(sim):
    response = login(sim)
    assert response.status_code == 201
    token = response.headers["X-Subject-Token"]
    services = {s["type"]: s for s in response.json()["token"]["catalog"]}
    internal = [e for e in services["volumev3"]["endpoints"] if e["interface"] == "internal"]
    url = internal[0]["url"]
    assert url.endswith("/v3/" + sim.project_id) and str(sim.volume_port) in url
    types = requests.get(f"{url}/types", headers={"X-Auth-Token": token}, timeout=10).json()
    assert [t["name"] for t in types["volume_types"]] == ["__DEFAULT__"]
    assert login(sim, password="wrong").status_code == 401


def test_simulator_enforces_cinder_rules(sim):
    token = login(sim).headers["X-Subject-Token"]
    base = f"http://{sim.host}:{sim.volume_port}/v3/{sim.project_id}/types"
    headers = {"X-Auth-Token": token}
    bad = {"volume_type": {"name": "t", "extra_specs": {"DF:replica_count": 3}}}
    assert requests.post(base, json=bad, headers=headers, timeout=10).status_code == 400
    good = {"volume_type": {"name": "t", "extra_specs": {"DF:replica_count": "3"}}}
    assert requests.post(base, json=good, headers=headers, timeout=10).status_code == 200
    assert requests.post(base, json=good, headers=headers, timeout=10).status_code == 409
    assert requests.get(base + "/nope", headers=headers, timeout=10).status_code == 404
    assert requests.get(base, headers={"X-Auth-Token": "x"}, timeout=10).status_code == 401
    other = base.replace(sim.project_id, "other-project")
    assert requests.get(other, headers=headers, timeout=10).status_code == 403
    viewer = {"X-Auth-Token": login(sim, "viewer-pw", "viewer").headers["X-Subject-Token"]}
    good["volume_type"]["name"] = "u"
    assert requests.post(base, json=good, headers=viewer, timeout=10).status_code == 403


# --- specs and plan --------------------------------------------------------------------------


def test_specs_default_from_the_backend():
    assert MODULE.specs() == {"volume_backend_name": "datera", "DF:replica_count": "3"}
    assert MODULE.specs("datera-east") == {"volume_backend_name": "east", "DF:replica_count": "2"}


def test_specs_all_options():
    wanted = MODULE.specs(
        "datera",
        replica_count="2",
        placement_mode="all_flash",
        placement_policy="default",
        qos={"total_iops_max": 5000, "read_bandwidth_max": "100"},
        extra_specs={"DF:round_robin": True, "DF:ip_pool": "pool1"},
    )
    assert wanted == {
        "volume_backend_name": "datera",
        "DF:replica_count": "2",
        "DF:placement_mode": "all_flash",
        "DF:placement_policy": "default",
        "DF:total_iops_max": "5000",
        "DF:read_bandwidth_max": "100",
        "DF:round_robin": "True",
        "DF:ip_pool": "pool1",
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"replica_count": 6}, "replica_count: must be an integer 1-5"),
        ({"replica_count": True}, "replica_count"),
        ({"placement_mode": "fast"}, "placement_mode: must be one of"),
        ({"qos": {"iops": 1}}, "qos:iops: unknown"),
        ({"qos": {"total_iops_max": -1}}, "qos:total_iops_max: must be an integer >= 0"),
        ({"qos": {"total_iops_max": "lots"}}, "qos:total_iops_max"),
        ({"extra_specs": {"DF:replica_count": "2"}}, "extra_specs:DF:replica_count"),
    ],
)
def test_specs_reject_bad_arguments(kwargs, message):
    with pytest.raises(SaltInvocationError, match=message):
        MODULE.specs("datera", **kwargs)


def test_plan():
    current = {"volume_backend_name": "datera", "DF:replica_count": "2", "DF:x": "1", "k": "v"}
    wanted = {"volume_backend_name": "datera", "DF:replica_count": "3"}
    assert MODULE.plan(current, wanted) == {"set": {"DF:replica_count": "3"}, "unset": ["DF:x"]}
    assert MODULE.plan(current, wanted, prune=False)["unset"] == []


# --- the state -------------------------------------------------------------------------------


def test_present_creates_then_is_idempotent(sim):
    ret = present(name="datera", qos={"total_iops_max": 5000})
    assert ret["result"] is True, ret
    assert ret["comment"] == "Volume type datera created"
    assert ret["changes"]["volume_type"] == {"old": None, "new": "datera"}
    assert ret["changes"]["extra_specs"]["DF:total_iops_max"] == {"old": None, "new": "5000"}
    created = sim.state.type_by_name("datera")
    assert created["extra_specs"] == {
        "volume_backend_name": "datera",
        "DF:replica_count": "3",
        "DF:total_iops_max": "5000",
    }
    sim.reset_counts()
    again = present(name="datera", qos={"total_iops_max": 5000})
    assert (again["result"], again["changes"]) == (True, {})
    assert again["comment"] == "Volume type datera is already as declared"
    assert sim.requests == [("GET", f"/v3/{sim.project_id}/types?is_public=None")]


def test_present_in_test_mode_changes_nothing(sim, opts):
    opts["test"] = True
    ret = present(name="datera")
    assert ret["result"] is None and ret["comment"] == "Volume type datera would be created"
    assert sim.state.type_by_name("datera") is None
    assert writes(sim) == []


def test_present_updates_only_what_differs(sim):
    type_id = sim.state.add_type(
        "datera",
        extra_specs={
            "volume_backend_name": "datera",
            "DF:replica_count": "2",
            "DF:write_iops_max": "100",
            "capabilities:foo": "kept",
        },
    )
    ret = present(name="datera", placement_mode="hybrid")
    assert ret["result"] is True and ret["comment"] == "Volume type datera updated"
    assert ret["changes"] == {
        "extra_specs": {
            "DF:replica_count": {"old": "2", "new": "3"},
            "DF:placement_mode": {"old": None, "new": "hybrid"},
            "DF:write_iops_max": {"old": "100", "new": None},
        }
    }
    assert sim.state.types[type_id]["extra_specs"] == {
        "volume_backend_name": "datera",
        "DF:replica_count": "3",
        "DF:placement_mode": "hybrid",
        "capabilities:foo": "kept",
    }
    posted = [body for method, _, body in sim.bodies if method == "POST"]
    assert posted == [{"extra_specs": {"DF:replica_count": "3", "DF:placement_mode": "hybrid"}}]
    assert ("DELETE", f"/v3/{sim.project_id}/types/{type_id}/extra_specs/DF%3Awrite_iops_max") in (
        sim.requests
    )


def test_update_in_test_mode_reports_without_writing(sim, opts):
    sim.state.add_type("datera", extra_specs={"volume_backend_name": "old"})
    opts["test"] = True
    ret = present(name="datera")
    assert ret["result"] is None and ret["comment"] == "Volume type datera would be updated"
    assert ret["changes"]["extra_specs"]["volume_backend_name"] == {"old": "old", "new": "datera"}
    assert writes(sim) == []


def test_prune_false_keeps_undeclared_df_specs(sim):
    specs = {"volume_backend_name": "datera", "DF:replica_count": "3", "DF:ip_pool": "p"}
    type_id = sim.state.add_type("datera", extra_specs=specs)
    ret = present(name="datera", prune=False)
    assert (ret["result"], ret["changes"]) == (True, {})
    assert sim.state.types[type_id]["extra_specs"]["DF:ip_pool"] == "p"


def test_description_is_set_and_updated(sim):
    present(name="datera", description="Datera, 3 replicas")
    assert sim.state.type_by_name("datera")["description"] == "Datera, 3 replicas"
    ret = present(name="datera", description="Datera")
    assert ret["changes"] == {"description": {"old": "Datera, 3 replicas", "new": "Datera"}}
    assert sim.state.type_by_name("datera")["description"] == "Datera"


def test_second_backend_gets_its_own_type(sim):
    present(name="datera")
    present(name="datera-east", backend="datera-east")
    east = sim.state.type_by_name("datera-east")["extra_specs"]
    assert east == {"volume_backend_name": "east", "DF:replica_count": "2"}


def test_token_reused_then_renewed_once_when_expired(sim):
    present(name="a")
    present(name="b")
    assert sim.count("POST", "/v3/auth/tokens") == 1
    sim.faults.expire_tokens()
    assert present(name="c")["result"] is True
    assert sim.count("POST", "/v3/auth/tokens") == 2


def test_transient_503_is_retried(sim):
    sim.faults.status_for_next(503, n=2)
    assert present(name="datera")["result"] is True


def test_persistent_503_fails_with_cinders_status(sim):
    sim.faults.status_for_next(503, n=10)
    ret = present(name="datera")
    assert ret["result"] is False
    assert "HTTP 503" in ret["comment"] and ret["changes"] == {}


def test_wrong_password_fails_without_showing_it(sim, keystone):
    sim.state.users["cinder"] = "rotated"
    ret = present(name="datera")
    assert ret["result"] is False
    assert "refused user cinder of project services: HTTP 401" in ret["comment"]


def test_explicit_keystone_argument(sim, keystone):
    keystone["user"] = "someone-else"  # the pillar's; the argument below wins entirely
    explicit = {"auth_url": sim.auth_url, "user": "cinder", "password": KEYSTONE_PASSWORD}
    assert present(name="datera", keystone=explicit)["result"] is True


def test_unknown_keystone_key(sim):
    ret = present(name="datera", keystone={"auth_url": sim.auth_url, "passwd": "x"})
    assert ret["result"] is False and "keystone: unknown key(s): passwd" in ret["comment"]


def test_missing_password_names_the_pillar_key(keystone):
    keystone["password"] = ""
    with pytest.raises(SaltInvocationError, match="datera:keystone:password: is required"):
        MODULE.list_types()


def test_auth_url_from_host_and_port(sim, keystone):
    del keystone["auth_url"]
    assert present(name="datera")["result"] is True


def test_non_admin_cannot_create(sim, keystone):
    keystone.update(user="viewer", password="viewer-pw")
    ret = present(name="datera")
    assert ret["result"] is False and "HTTP 403" in ret["comment"]


def test_catalog_without_project_id_in_the_url(keystone):
    with OpenStackSimulator(users={"cinder": KEYSTONE_PASSWORD}, project_id_in_url=False) as other:
        keystone.update(auth_url=other.auth_url)
        assert present(name="datera")["result"] is True
        assert other.state.type_by_name("datera") is not None


def test_no_endpoint_for_the_interface_or_region(sim, keystone):
    keystone["region"] = "RegionTwo"
    with pytest.raises(CommandExecutionError, match="no internal volumev3 endpoint in region"):
        MODULE.list_types()


def test_unreachable_keystone(keystone):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    keystone.update(auth_url=f"http://127.0.0.1:{port}/v3", retries=1)
    with pytest.raises(CommandExecutionError, match="cannot reach http://127.0.0.1"):
        MODULE.list_types()


def test_get_and_list(sim):
    present(name="datera")
    assert {t["name"] for t in MODULE.list_types()} == {"__DEFAULT__", "datera"}
    assert MODULE.get("datera")["extra_specs"]["volume_backend_name"] == "datera"
    assert MODULE.get("missing") is None


def test_absent(sim, opts):
    present(name="datera")
    opts["test"] = True
    ret = datera_volume_type_state.absent("datera")
    assert ret["result"] is None and sim.state.type_by_name("datera") is not None
    opts["test"] = False
    ret = datera_volume_type_state.absent("datera")
    assert ret["result"] is True and ret["changes"] == {
        "volume_type": {"old": "datera", "new": None}
    }
    assert sim.state.type_by_name("datera") is None
    again = datera_volume_type_state.absent("datera")
    assert (again["result"], again["changes"]) == (True, {})


def test_absent_refused_while_in_use(sim):
    present(name="datera")
    sim.state.in_use.add(sim.state.type_by_name("datera")["id"])
    ret = datera_volume_type_state.absent("datera")
    assert ret["result"] is False and "still in use" in ret["comment"]
