"""datera_cib: rendering and comparing the primitive's XML (pure, no Pacemaker tools)."""

import importlib.util
import xml.etree.ElementTree as ET

import pytest
from salt.exceptions import SaltInvocationError

from tests.support.paths import REPO

_spec = importlib.util.spec_from_file_location(
    "datera_cib_unit_modules", REPO / "_modules" / "datera_cib.py"
)
cibmod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cibmod)

PILLAR = {
    "pacemaker": {
        "manage": True,
        "resource_id": "p_cv",
        "agent": "ocf:openstack:cinder-volume",
        "params": {"multibackend": "true"},
        "cib_file": "",
        "wait_timeout": 60,
    }
}


@pytest.fixture
def configure_loader_modules():
    return {cibmod: {"__salt__": {}, "__opts__": {"test": False}}}


def parse(xml):
    return ET.fromstring(xml)


def test_render_is_deterministic_with_stable_ids():
    one = cibmod.render_primitive("p_cinder-volume", params={"b": 2, "a": True})
    two = cibmod.render_primitive("p_cinder-volume", params={"a": True, "b": 2})
    assert one == two
    prim = parse(one)
    assert prim.attrib == {"id": "p_cinder-volume", "class": "systemd", "type": "cinder-volume"}
    ids = [el.get("id") for el in prim.iter() if el.get("id")]
    assert len(ids) == len(set(ids))
    assert [nv.get("name") for nv in prim.iterfind("instance_attributes/nvpair")] == ["a", "b"]
    assert prim.find("instance_attributes/nvpair[@name='a']").get("value") == "true"
    assert prim.find("operations/op[@name='monitor']").attrib == {
        "id": "p_cinder-volume-monitor-interval-20s",
        "interval": "20s",
        "name": "monitor",
        "timeout": "10s",
    }


def test_no_params_no_instance_attributes():
    prim = parse(cibmod.render_primitive("x", agent="systemd:cinder-volume", params={}))
    assert prim.find("instance_attributes") is None
    assert prim.find("meta_attributes/nvpair").get("name") == "resource-stickiness"


@pytest.mark.parametrize(
    "agent, attrs",
    [
        ("systemd:cinder-volume", {"class": "systemd", "type": "cinder-volume"}),
        ("ocf:fuel:cinder-volume", {"class": "ocf", "provider": "fuel", "type": "cinder-volume"}),
        ("ocf:openstack:cinder-volume", {"class": "ocf", "provider": "openstack"}),
    ],
)
def test_agents(agent, attrs):
    prim = parse(cibmod.render_primitive("x", agent=agent, params={}))
    assert attrs.items() <= prim.attrib.items()


@pytest.mark.parametrize("agent", ["cinder-volume", "ocf:cinder-volume", "systemd:a:b", "ocf::x"])
def test_bad_agent(agent):
    with pytest.raises(SaltInvocationError, match="expected"):
        cibmod.render_primitive("x", agent=agent)


def test_defaults_come_from_pillar_settings():
    cibmod.__salt__["datera_pillar.settings"] = lambda: PILLAR
    prim = parse(cibmod.render_primitive())
    assert (prim.get("id"), prim.get("provider")) == ("p_cv", "openstack")
    assert prim.find("instance_attributes/nvpair").get("name") == "multibackend"


def _desired(**kwargs):
    return cibmod._desired("p", "systemd:cinder-volume", {"a": "1"}, kwargs.get("meta"), None)


def test_layout_and_order_are_not_differences():
    desired = _desired()
    shuffled = parse(cibmod.render_primitive("p", params={"a": "1"}))
    shuffled[2][:] = list(reversed(shuffled[2]))  # ops in another order
    assert cibmod._unified(shuffled, desired, "p") == ""


def test_operator_meta_is_ignored_and_carried_over():
    current = parse(cibmod.render_primitive("p", params={"a": "1"}))
    meta = current.find("meta_attributes")
    for name, value in (("target-role", "Stopped"), ("is-managed", "false")):
        ET.SubElement(meta, "nvpair", {"id": f"p-m-{name}", "name": name, "value": value})
    desired = _desired()
    assert cibmod._unified(current, desired, "p") == ""
    merged = cibmod._carry_over(current, desired)
    names = {nv.get("name") for nv in merged.iterfind("meta_attributes/nvpair")}
    assert names == {"resource-stickiness", "target-role", "is-managed"}
    # unless the caller sets it: then it is compared and written
    wanted = _desired(meta={"target-role": "Started"})
    assert "target-role" in cibmod._unified(current, wanted, "p")
    roles = cibmod._carry_over(current, wanted).findall(".//nvpair[@name='target-role']")
    assert [nv.get("value") for nv in roles] == ["Started"]


def test_diff_of_a_new_resource():
    delta = cibmod._unified(None, _desired(), "p")
    assert delta.startswith("--- /dev/null\n+++ p (desired)")
    assert '+<primitive class="systemd" id="p" type="cinder-volume">' in delta


@pytest.mark.parametrize("rid", ["p']", "a b", "", "1x/y"])
def test_bad_resource_id(rid):
    with pytest.raises(SaltInvocationError, match="resource id"):
        cibmod.render_primitive(rid)
