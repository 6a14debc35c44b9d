"""Cinder volume types for Datera backends: every test that runs against ``cinder_api`` runs
twice, against the Keystone + Cinder simulator (``sim``) and the real Keystone 30 and
cinder-api 29 of the session's control plane (``real``, markers ``live`` and ``e2e``), and
checks Cinder's side through the REST API only. The faults the real services cannot be made
to produce run against the simulator alone (``SIM_ONLY``)."""

import socket

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

from tests.support.cinder_api import BARE_REGION, VIEWER, VIEWER_PASSWORD, Client
from tests.support.cinder_api import PASSWORD as KEYSTONE_PASSWORD
from tests.support.loaders import load

datera_volume_type = load("modules", "datera_volume_type")
datera_volume_type_state = load("states", "datera_volume_type")
datera_pillar = load("modules", "datera_pillar")
datera_secrets = load("utils", "datera_secrets")

DATERA_PASSWORD = "Datera-S3cret"
MODULE = datera_volume_type
MARKER = {"datera_formula:managed": "true"}
SIM_ONLY = pytest.mark.parametrize("cinder_api", ["sim"], indirect=True)


@pytest.fixture
def keystone(request):
    """The pillar's datera:keystone as the Fuel ext_pillar writes it, aimed at ``cinder_api``
    where the test uses it (else at an address nothing answers on)."""
    api = None
    if "cinder_api" in request.fixturenames:
        api = request.getfixturevalue("cinder_api")
    host, port = (api.host, api.identity_port) if api else ("192.0.2.1", 5000)
    return {
        "host": host,
        "port": port,
        "auth_url": f"http://{host}:{port}/v3",
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
                f"datera_volume_type.{name}": getattr(MODULE, name)
                for name in ("specs", "ensure", "delete", "prune")
            },
            "__opts__": opts,
        },
    }


SECRETS = (KEYSTONE_PASSWORD, DATERA_PASSWORD)


def present(**kwargs):
    ret = datera_volume_type_state.present(**kwargs)
    assert KEYSTONE_PASSWORD not in repr(ret) and DATERA_PASSWORD not in repr(ret)
    return ret


def specs_of(api, name):
    found = api.types().get(name)
    return None if found is None else found["extra_specs"]


# --- the API itself: the simulator's rules are Cinder's ------------------------------------


def test_login_gives_a_token_and_a_volumev3_catalog(cinder_api):
    client = Client(cinder_api.auth_url)
    project_id = client.login.json()["token"]["project"]["id"]
    assert client.login.status_code == 201 and client.base.endswith("/v3/" + project_id)
    assert list(cinder_api.types()) == ["__DEFAULT__"]
    with pytest.raises(Exception, match="401"):
        Client(cinder_api.auth_url, password="wrong")


def test_cinder_rules(cinder_api):
    client = Client(cinder_api.auth_url)
    bad = {"volume_type": {"name": "t", "extra_specs": {"DF:replica_count": 3}}}
    assert client.call("POST", "/types", bad)[0] == 400
    good = {"volume_type": {"name": "t", "extra_specs": {"DF:replica_count": "3"}}}
    assert client.call("POST", "/types", good)[0] == 200
    assert client.call("POST", "/types", good)[0] == 409
    assert client.call("GET", "/types/nope")[0] == 404
    assert client.call("GET", "/types", token="gAAAAbogus")[0] == 401
    project_id = client.base.rsplit("/", 1)[1]
    client.base = client.base.replace(project_id, "0123456789abcdef0123456789abcdef")
    assert client.call("GET", "/types")[0] == 400  # another project's URL
    good["volume_type"]["name"] = "u"
    assert cinder_api.viewer().call("POST", "/types", good)[0] == 403
    assert set(cinder_api.types()) == {"__DEFAULT__", "t"}


# --- specs and plan --------------------------------------------------------------------------


def test_specs_default_from_the_backend():
    assert MODULE.specs() == {"volume_backend_name": "datera", "DF:replica_count": "3", **MARKER}
    assert MODULE.specs("datera-east") == {
        "volume_backend_name": "east",
        "DF:replica_count": "2",
        **MARKER,
    }


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
        **MARKER,
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
        ({"extra_specs": {"datera_formula:managed": "no"}}, "extra_specs:datera_formula"),
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


def test_present_names_an_argument_it_does_not_take(cinder_api):
    ret = present(name="datera", replicas=2)
    assert ret["result"] is False and "replicas" in ret["comment"]
    assert "datera" not in cinder_api.types()


# --- the state -------------------------------------------------------------------------------


def test_present_creates_then_is_idempotent(cinder_api):
    ret = present(name="datera", qos={"total_iops_max": 5000})
    assert ret["result"] is True, ret
    assert ret["comment"] == "Volume type datera created"
    assert ret["changes"]["volume_type"] == {"old": None, "new": "datera"}
    assert ret["changes"]["extra_specs"]["DF:total_iops_max"] == {"old": None, "new": "5000"}
    assert specs_of(cinder_api, "datera") == {
        "volume_backend_name": "datera",
        "DF:replica_count": "3",
        "DF:total_iops_max": "5000",
        **MARKER,
    }
    mark = cinder_api.mark()
    again = present(name="datera", qos={"total_iops_max": 5000})
    assert (again["result"], again["changes"]) == (True, {})
    assert again["comment"] == "Volume type datera is already as declared"
    assert cinder_api.writes(mark) == []


def test_present_in_test_mode_changes_nothing(cinder_api, opts):
    opts["test"] = True
    mark = cinder_api.mark()
    ret = present(name="datera")
    assert ret["result"] is None and ret["comment"] == "Volume type datera would be created"
    assert "datera" not in cinder_api.types()
    assert cinder_api.writes(mark) == []


def test_present_updates_only_what_differs_and_marks_the_type(cinder_api):
    type_id = cinder_api.add_type(
        "datera",
        {
            "volume_backend_name": "datera",
            "DF:replica_count": "2",
            "DF:write_iops_max": "100",
            "capabilities:foo": "kept",
        },
    )
    mark = cinder_api.mark()
    ret = present(name="datera", placement_mode="hybrid")
    assert ret["result"] is True and ret["comment"] == "Volume type datera updated"
    assert ret["changes"] == {
        "extra_specs": {
            "DF:replica_count": {"old": "2", "new": "3"},
            "datera_formula:managed": {"old": None, "new": "true"},
            "DF:placement_mode": {"old": None, "new": "hybrid"},
            "DF:write_iops_max": {"old": "100", "new": None},
        }
    }
    assert specs_of(cinder_api, "datera") == {
        "volume_backend_name": "datera",
        "DF:replica_count": "3",
        "DF:placement_mode": "hybrid",
        "capabilities:foo": "kept",
        **MARKER,
    }
    writes = [
        (method, path.split(f"/types/{type_id}")[1]) for method, path in cinder_api.writes(mark)
    ]
    assert writes == [("POST", "/extra_specs"), ("DELETE", "/extra_specs/DF%3Awrite_iops_max")]
    assert present(name="datera", placement_mode="hybrid")["changes"] == {}  # marked once


def test_update_in_test_mode_reports_without_writing(cinder_api, opts):
    cinder_api.add_type("datera", {"volume_backend_name": "old"})
    opts["test"] = True
    mark = cinder_api.mark()
    ret = present(name="datera")
    assert ret["result"] is None and ret["comment"] == "Volume type datera would be updated"
    assert ret["changes"]["extra_specs"]["volume_backend_name"] == {"old": "old", "new": "datera"}
    assert cinder_api.writes(mark) == []
    assert specs_of(cinder_api, "datera") == {"volume_backend_name": "old"}


def test_prune_false_keeps_undeclared_df_specs(cinder_api):
    specs = {"volume_backend_name": "datera", "DF:replica_count": "3", "DF:ip_pool": "p"}
    cinder_api.add_type("datera", {**specs, **MARKER})
    ret = present(name="datera", prune=False)
    assert (ret["result"], ret["changes"]) == (True, {})
    assert specs_of(cinder_api, "datera")["DF:ip_pool"] == "p"


def test_description_is_set_and_updated(cinder_api):
    present(name="datera", description="Datera, 3 replicas")
    assert cinder_api.types()["datera"]["description"] == "Datera, 3 replicas"
    ret = present(name="datera", description="Datera")
    assert ret["changes"] == {"description": {"old": "Datera, 3 replicas", "new": "Datera"}}
    assert cinder_api.types()["datera"]["description"] == "Datera"


def test_second_backend_gets_its_own_type(cinder_api):
    present(name="datera")
    present(name="datera-east", backend="datera-east")
    east = specs_of(cinder_api, "datera-east")
    assert east == {"volume_backend_name": "east", "DF:replica_count": "2", **MARKER}


def test_wrong_password_fails_without_showing_it(cinder_api, keystone):
    keystone["password"] = "rotated-elsewhere"
    ret = present(name="datera")
    assert ret["result"] is False
    assert "refused user cinder of project services: HTTP 401" in ret["comment"]
    assert "datera" not in cinder_api.types()


def test_explicit_keystone_argument(cinder_api, keystone):
    keystone["user"] = "someone-else"  # the pillar's; the argument below wins entirely
    explicit = {"auth_url": cinder_api.auth_url, "user": "cinder", "password": KEYSTONE_PASSWORD}
    assert present(name="datera", keystone=explicit)["result"] is True
    assert "datera" in cinder_api.types()


def test_unknown_keystone_key(cinder_api):
    ret = present(name="datera", keystone={"auth_url": cinder_api.auth_url, "passwd": "x"})
    assert ret["result"] is False and "keystone: unknown key(s): passwd" in ret["comment"]


def test_missing_password_names_the_pillar_key(keystone):
    keystone["password"] = ""
    with pytest.raises(SaltInvocationError, match="datera:keystone:password: is required"):
        MODULE.list_types()


def test_auth_url_from_host_and_port(cinder_api, keystone):
    del keystone["auth_url"]
    assert present(name="datera")["result"] is True
    assert "datera" in cinder_api.types()


def test_non_admin_cannot_create(cinder_api, keystone):
    keystone.update(user=VIEWER, password=VIEWER_PASSWORD)
    ret = present(name="datera")
    assert ret["result"] is False and "HTTP 403" in ret["comment"]
    assert "datera" not in cinder_api.types()


def test_no_endpoint_for_the_interface_or_region(cinder_api, keystone):
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


def test_get_and_list(cinder_api):
    present(name="datera")
    assert {t["name"] for t in MODULE.list_types()} == {"__DEFAULT__", "datera"}
    assert MODULE.get("datera")["extra_specs"]["volume_backend_name"] == "datera"
    assert MODULE.get("missing") is None


def test_absent(cinder_api, opts):
    present(name="datera")
    opts["test"] = True
    ret = datera_volume_type_state.absent("datera")
    assert ret["result"] is None and "datera" in cinder_api.types()
    opts["test"] = False
    ret = datera_volume_type_state.absent("datera")
    assert ret["result"] is True and ret["changes"] == {
        "volume_type": {"old": "datera", "new": None}
    }
    assert "datera" not in cinder_api.types()
    again = datera_volume_type_state.absent("datera")
    assert (again["result"], again["changes"]) == (True, {})


def test_absent_refused_while_in_use(cinder_api):
    present(name="datera")
    with cinder_api.in_use("datera"):
        ret = datera_volume_type_state.absent("datera")
    assert ret["result"] is False and ret["changes"] == {}
    assert "volume type datera is used by volumes, Cinder refuses to delete it" in ret["comment"]
    assert "still in use" in ret["comment"]  # Cinder's own words
    assert "datera" in cinder_api.types()


# --- pruning: a type removed from pillar goes -------------------------------------------------


def pruned(keep, backend="datera"):
    ret = datera_volume_type_state.pruned(backend, backend=backend, keep=keep)
    assert KEYSTONE_PASSWORD not in repr(ret)
    return ret


def test_pruned_deletes_the_formulas_undeclared_types_only(cinder_api, opts):
    for name in ("gold", "bronze", "silver"):
        present(name=name)
    present(name="east-gold", backend="datera-east")
    cinder_api.add_type("by-hand", {"volume_backend_name": "datera", "DF:replica_count": "1"})
    opts["test"] = True
    mark = cinder_api.mark()
    ret = pruned(["gold"])
    assert ret["result"] is None and cinder_api.writes(mark) == []
    assert ret["comment"] == "Undeclared volume types would be deleted: bronze, silver"
    assert set(cinder_api.types()) >= {"gold", "bronze", "silver"}
    opts["test"] = False
    ret = pruned(["gold"])
    assert ret["result"] is True
    assert ret["changes"] == {t: {"old": t, "new": None} for t in ("bronze", "silver")}
    assert set(cinder_api.types()) == {"__DEFAULT__", "gold", "east-gold", "by-hand"}
    again = pruned(["gold"])
    assert (again["result"], again["changes"]) == (True, {})
    assert again["comment"] == "No undeclared volume type of the formula's"


def test_pruned_leaves_a_type_in_use_whole_and_fails_naming_it(cinder_api):
    present(name="gold", qos={"total_iops_max": 100})
    present(name="bronze")
    with cinder_api.in_use("gold"):
        ret = pruned([])
    assert ret["result"] is False
    assert ret["changes"] == {"bronze": {"old": "bronze", "new": None}}
    assert "Volume type gold not deleted: volume type gold is used by volumes" in ret["comment"]
    assert specs_of(cinder_api, "gold")["DF:total_iops_max"] == "100"  # untouched
    assert "bronze" not in cinder_api.types()


# --- faults only the simulator makes ----------------------------------------------------------


@SIM_ONLY
def test_token_reused_then_renewed_once_when_expired(cinder_api):
    sim = cinder_api.sim
    present(name="a")
    present(name="b")
    assert sim.count("POST", "/v3/auth/tokens") == 1
    sim.faults.expire_tokens()
    assert present(name="c")["result"] is True
    assert sim.count("POST", "/v3/auth/tokens") == 2


@SIM_ONLY
def test_transient_503_is_retried(cinder_api):
    cinder_api.sim.faults.status_for_next(503, n=2)
    assert present(name="datera")["result"] is True


@SIM_ONLY
def test_persistent_503_fails_with_cinders_status(cinder_api):
    cinder_api.sim.faults.status_for_next(503, n=10)
    ret = present(name="datera")
    assert ret["result"] is False
    assert "HTTP 503" in ret["comment"] and ret["changes"] == {}


def test_catalog_without_project_id_in_the_url(cinder_api, keystone):
    login = Client(cinder_api.auth_url).login.json()["token"]
    (volume,) = [s for s in login["catalog"] if s["type"] == "volumev3"]
    bare = {e["url"] for e in volume["endpoints"] if e["region"] == BARE_REGION}
    assert bare and all(url.endswith("/v3") for url in bare)
    keystone["region"] = BARE_REGION
    assert present(name="datera")["result"] is True
    assert "datera" in cinder_api.types()
