"""The Keystone + Cinder simulator fails loudly: a bug in it is a 500 naming it, and logged."""

import pytest
import requests

from tests.support import net, openstack_sim
from tests.support.openstack_sim import OpenStackSimulator

SIM_LOGGER = "tests.support.openstack_sim"


@pytest.fixture
def sim():
    with OpenStackSimulator(host=net.ip(30), users={"cinder": "pw"}) as running:
        yield running


@pytest.fixture
def sim_errors(error_records):
    return lambda: error_records(SIM_LOGGER)


def login(sim):
    scope = {"project": {"name": "services", "domain": {"name": "Default"}}}
    user = {"name": "cinder", "domain": {"name": "Default"}, "password": "pw"}
    auth = {"identity": {"methods": ["password"], "password": {"user": user}}, "scope": scope}
    return requests.post(sim.auth_url + "/auth/tokens", json={"auth": auth}, timeout=10)


def types_url(sim):
    return f"http://{sim.host}:{sim.volume_port}/v3/{sim.project_id}/types"


def boom(*args):
    raise RuntimeError("boom")


def test_a_keystone_bug_answers_500_naming_it(sim, monkeypatch, sim_errors):
    monkeypatch.setattr(sim, "_token_body", boom)
    resp = login(sim)
    assert resp.status_code == 500
    fault = resp.json()["error"]
    assert fault["code"] == 500 and "RuntimeError: boom" in fault["message"]
    assert "Traceback" in fault["details"]
    assert [r.exc_info[0] for r in sim_errors()] == [RuntimeError]


def test_a_cinder_bug_answers_500_naming_it(sim, monkeypatch, sim_errors):
    headers = {"X-Auth-Token": login(sim).headers["X-Subject-Token"]}
    http = requests.Session()
    with monkeypatch.context() as patch:
        patch.setattr(sim, "_route", boom)
        resp = http.get(types_url(sim), headers=headers, timeout=10)
    assert resp.status_code == 500
    assert "RuntimeError: boom" in resp.json()["computeFault"]["message"]
    assert [r.exc_info[0] for r in sim_errors()] == [RuntimeError]
    resp = http.get(types_url(sim), headers=headers, timeout=10)
    assert resp.status_code == 200  # the same connection, the simulator carries on


def test_connection_failures_are_logged(sim, monkeypatch, sim_errors):
    def broken(handler):
        raise ValueError("no parse")

    monkeypatch.setattr(openstack_sim._Handler, "parse_request", broken)
    with pytest.raises(requests.exceptions.ConnectionError):
        login(sim)
    (record,) = sim_errors()
    assert "connection from" in record.getMessage() and record.exc_info[0] is ValueError
