"""
The Keystone + Cinder simulator (tests/support/openstack_sim.py) against the real thing: the
same requests of the volume-type API go to the real Keystone 30 / cinder-api 29 of the
control plane and to the simulator; each answer must have the same status, and every field the
simulator returns must exist in the real answer with the same JSON type (the simulator may
leave fields out, never invent or retype one).
"""

import uuid

import pytest

from tests.support import net, secrets
from tests.support.cinder_api import Client
from tests.support.openstack_sim import OpenStackSimulator

pytestmark = [pytest.mark.live, pytest.mark.e2e]

SIM_HOST = 221  # net.ip(221), beside the control plane's .220


def shape(value):
    """The JSON skeleton: dicts keep their keys, lists their first element, scalars their type."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def missing(sim, real, path="$"):
    """Where the simulator's skeleton is not part of the real one."""
    if isinstance(sim, dict) and isinstance(real, dict):
        found = []
        for key, item in sim.items():
            if key not in real:
                found.append(f"{path}.{key}: only in the simulator")
            else:
                found += missing(item, real[key], f"{path}.{key}")
        return found
    if isinstance(sim, list) and isinstance(real, list):
        return missing(sim[0], real[0], f"{path}[0]") if sim and real else []
    if sim != real and not (sim == "NoneType" or real == "NoneType"):  # null where a value
        return [f"{path}: {sim} in the simulator, {real} in the real API"]
    return []


def scenario(client):
    """The volume-type requests the formula makes, and the errors it handles: ``[(what,
    status, body)]``."""
    name = f"shape-{uuid.uuid4().hex[:8]}"
    out = [("login", client.login.status_code, client.login.json())]

    def step(what, method, path, body=None, **kwargs):
        out.append((what, *client.call(method, path, body, **kwargs)))
        return out[-1][2]

    step("list types", "GET", "/types?is_public=None")  # as datera_volume_type lists them
    specs = {"volume_backend_name": "datera", "DF:replica_count": "2"}
    created = step("create type", "POST", "/types",
                   {"volume_type": {"name": name, "extra_specs": specs}})  # fmt: skip
    type_id = created["volume_type"]["id"]
    step("create the same name", "POST", "/types", {"volume_type": {"name": name}})
    step("show type", "GET", f"/types/{type_id}")
    step("list specs", "GET", f"/types/{type_id}/extra_specs")
    step("set specs", "POST", f"/types/{type_id}/extra_specs",
         {"extra_specs": {"DF:total_iops_max": "5000"}})  # fmt: skip
    step("update one spec", "PUT", f"/types/{type_id}/extra_specs/DF:replica_count",
         {"DF:replica_count": "3"})  # fmt: skip
    step("show one spec", "GET", f"/types/{type_id}/extra_specs/DF:replica_count")
    step("delete one spec", "DELETE", f"/types/{type_id}/extra_specs/DF:replica_count")
    step("show a missing spec", "GET", f"/types/{type_id}/extra_specs/DF:replica_count")
    step("update the description", "PUT", f"/types/{type_id}",
         {"volume_type": {"description": "changed"}})  # fmt: skip
    step("delete type", "DELETE", f"/types/{type_id}")
    step("show a deleted type", "GET", f"/types/{type_id}")
    step("bad token", "GET", "/types", token="gAAAA" + uuid.uuid4().hex)
    return out


@pytest.fixture
def simulator():
    with OpenStackSimulator(host=net.ip(SIM_HOST), users={"cinder": secrets.KEYSTONE}) as sim:
        yield sim


def test_the_simulator_answers_as_keystone_and_cinder_do(control_plane, simulator):
    real = scenario(Client(control_plane.auth_url, secrets.KEYSTONE))
    sim = scenario(Client(simulator.auth_url, secrets.KEYSTONE))
    assert [(what, status) for what, status, _ in sim] == [(what, s) for what, s, _ in real]
    problems = {
        what: found
        for (what, _, sim_body), (_, _, real_body) in zip(sim, real, strict=True)
        if (found := missing(shape(sim_body), shape(real_body)))
    }
    assert problems == {}
