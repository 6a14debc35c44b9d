"""The ``datera.healthy`` state, through the real ``datera`` module and the API simulator."""

import socket
from unittest.mock import Mock

import pytest
from salt.exceptions import CommandExecutionError

from tests.support.datera_sim import DateraSimulator
from tests.support.loaders import load

datera = load("modules", "datera")
datera_state = load("states", "datera")
datera_pillar = load("modules", "datera_pillar")
datera_secrets = load("utils", "datera_secrets")

PASSWORD = "Datera-State-S3cret"


@pytest.fixture
def sim():
    with DateraSimulator(users={"admin": PASSWORD}) as running:
        yield running


@pytest.fixture
def backend_pillar(sim):
    return {
        "san_ip": sim.host,
        "san_login": "admin",
        "san_password": PASSWORD,
        "api": {"port": sim.https_port, "ca_bundle": sim.ca_pem_path},
    }


@pytest.fixture
def opts():
    return {"test": False}


@pytest.fixture
def configure_loader_modules(backend_pillar, opts):
    def backend(name=None, reveal=False):
        normalised = datera_pillar._normalise({"backends": {"datera": backend_pillar}})
        if not reveal:
            normalised = datera_secrets.mask_tree(normalised)
        return normalised["backends"][name or "datera"]

    return {
        datera: {
            "__salt__": {"datera_pillar.backend": backend},
            "__context__": {},
            "__opts__": opts,
        },
        datera_state: {"__salt__": {"datera.system": datera.system}, "__opts__": opts},
    }


SECRETS = (PASSWORD,)


def healthy(**kwargs):
    ret = datera_state.healthy("datera-cluster", **kwargs)
    assert set(ret) == {"name", "result", "changes", "comment"}
    assert ret["changes"] == {}
    assert PASSWORD not in repr(ret)
    return ret


def test_virtual():
    assert datera_state.__virtual__() == "datera"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(datera_state, "__salt__", {}, raising=False)
        assert datera_state.__virtual__()[0] is False


def test_healthy_cluster(sim):
    ret = healthy(backend="datera", min_free_gib=100, min_free_percent=10)
    assert ret["result"] is True
    comment = ret["comment"]
    assert "sw_version 3.3.5" in comment and "op_state running" in comment
    assert "free 9216 GiB of 10240 GiB (90 %)" in comment
    assert f"TLS verified with CA bundle {sim.ca_pem_path}" in comment
    assert "WARNING" not in comment


@pytest.mark.parametrize("test_mode", [True, False])
def test_test_mode_gives_the_same_answer(sim, opts, test_mode):
    opts["test"] = test_mode
    assert healthy()["result"] is True
    sim.state.system["op_state"] = "degraded"
    assert healthy()["result"] is False


@pytest.mark.parametrize("op_state", ["degraded", "maintenance", "initializing"])
def test_not_running_fails(sim, op_state):
    sim.state.system["op_state"] = op_state
    ret = healthy()
    assert ret["result"] is False
    assert f"Unhealthy: op_state is '{op_state}', not 'running'" in ret["comment"]


def test_too_little_free_space_fails(sim):
    ret = healthy(min_free_gib=10000)
    assert ret["result"] is False
    assert "free capacity 9216 GiB is under 10000 GiB" in ret["comment"]
    ret = healthy(min_free_percent=95)
    assert ret["result"] is False
    assert "free capacity 90 % is under 95 %" in ret["comment"]


def test_verify_false_is_in_the_comment(sim, backend_pillar):
    backend_pillar["api"] = {"port": sim.https_port, "verify": False}
    ret = healthy()
    assert ret["result"] is True
    assert "TLS NOT VERIFIED (verify: false)" in ret["comment"]
    assert "WARNING: TLS certificate verification is OFF" in ret["comment"]


def test_unreachable_cluster_fails_naming_it(backend_pillar):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend_pillar["api"]["port"] = port
    ret = healthy()
    assert ret["result"] is False
    assert f"127.0.0.1:{port}" in ret["comment"] and "cannot connect" in ret["comment"]
    assert "Connection refused" in ret["comment"]


def test_wrong_password_fails_without_the_password(backend_pillar):
    backend_pillar["san_password"] = "Wrong-" + PASSWORD
    ret = healthy()
    assert ret["result"] is False
    assert "login as 'admin'" in ret["comment"]
    assert "Wrong-" not in ret["comment"]


@pytest.mark.parametrize("kwargs", [{"min_free_gib": -1}, {"min_free_percent": "lots"}])
def test_bad_thresholds(kwargs):
    mock = Mock()
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(datera_state.__salt__, "datera.system", mock)
        ret = healthy(**kwargs)
    assert ret["result"] is False
    assert list(kwargs)[0] in ret["comment"]
    mock.assert_not_called()


def test_module_error_is_reported():
    mock = Mock(side_effect=CommandExecutionError("datera:backends: name the backend"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(datera_state.__salt__, "datera.system", mock)
        ret = healthy()
    assert ret["result"] is False
    assert "name the backend" in ret["comment"]
    mock.assert_called_once_with(backend=None)


# --- datera.preflight -------------------------------------------------------------------------


def settings_of(raw):
    """``datera_pillar.settings`` for the pillar ``raw`` (validated, secrets masked)."""
    return lambda: datera_secrets.mask_tree(datera_pillar._normalise(raw))


def preflight(raw, pillar=None, driver=None):
    """Run ``datera.preflight`` with ``raw`` as the ``datera`` pillar and ``pillar`` as the rest."""
    calls = Mock(wraps=datera.system)
    salt = {
        "datera.system": calls,
        "datera_pillar.settings": settings_of(raw),
        "pillar.get": lambda key, default=None: (pillar or {}).get(key, default),
        "datera_cinder.driver_check": driver or Mock(return_value={"driver": "D", "python": "p"}),
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(datera_state, "__salt__", salt, raising=False)
        return datera_state.preflight("pre-flight"), calls


def test_preflight_of_a_controller_checks_its_clusters(sim, backend_pillar):
    ret, calls = preflight({"role": "controller", "backends": {"datera": backend_pillar}})
    assert ret["result"] is True and ret["changes"] == {}, ret["comment"]
    assert ret["comment"].startswith("datera pillar is valid (role controller")
    assert "Datera cluster" in ret["comment"] and calls.call_count == 1


def test_preflight_fails_on_a_wrong_password_without_showing_it(sim, backend_pillar):
    backend_pillar["san_password"] = "Not-The-Password-4"
    ret, _ = preflight({"role": "primary-controller", "backends": {"datera": backend_pillar}})
    assert ret["result"] is False and "refused" in ret["comment"]
    assert "Not-The-Password-4" not in ret["comment"] and PASSWORD not in ret["comment"]


def test_preflight_names_the_bad_key():
    ret, calls = preflight({"role": "controller", "backends": {"datera": {"replica_count": 9}}})
    assert ret["result"] is False
    assert "datera:backends:datera:replica_count: must be between 1 and 5" in ret["comment"]
    assert calls.call_count == 0


def test_preflight_of_a_compute_only_validates_the_pillar(backend_pillar):
    ret, calls = preflight({"role": "compute", "backends": {"datera": backend_pillar}})
    assert ret["result"] is True and ret["comment"].startswith(
        "datera pillar is valid (role compute"
    )
    assert calls.call_count == 0


def test_preflight_is_not_repeated_once_the_orchestration_passed_it(backend_pillar):
    passed = {"datera_orchestration:preflight_passed": True}
    ret, calls = preflight({"role": "controller", "backends": {"datera": backend_pillar}}, passed)
    assert ret["result"] is True and "passed in this orchestration" in ret["comment"]
    assert calls.call_count == 0


def test_preflight_fails_when_cinder_cannot_import_the_driver(sim, backend_pillar):
    broken = Mock(
        side_effect=CommandExecutionError("No module named 'dfs_sdk': pip install dfs_sdk")
    )
    raw = {"role": "controller", "backends": {"datera": backend_pillar}}
    ret, _ = preflight(raw, driver=broken)
    assert ret["result"] is False and "No module named 'dfs_sdk'" in ret["comment"]
    off = dict(raw, cinder={"check_driver": False})
    assert preflight(off, driver=broken)[0]["result"] is True
