"""The Fuel ext_pillar: real Fuel 10 node files (plus the plugin's key) → the datera pillar."""

import copy
import logging
import shutil

import pytest
import salt.config
import salt.pillar
import yaml

from tests.support.loaders import load
from tests.support.paths import FUEL_FIXTURES, REPO

datera_fuel = load("pillar", "datera_fuel")
datera_pillar = load("modules", "datera_pillar")

PRIMARY = "node-114.test.domain.local"
CONTROLLER = "node-115.test.domain.local"
COMPUTE = "node-113.test.domain.local"
VIP = "192.168.0.9"
CINDER_KEYSTONE_PASSWORD = "wfgi03YjLhOXzurBF3nfrwvv"  # cinder.user_password in the fixtures
DATERA_PASSWORD = "Fuel-Datera-S3cret"
# Keys the ext_pillar adds that the validator does not know yet (the lead adds them).
NEW_KEYS = ("keystone", "management_vip", "controllers", "primary_controller")

_CACHE = {}


def fixture_dict(kind):
    """One of the real Fuel 10 node files, parsed (a fresh copy each time)."""
    if kind not in _CACHE:
        text = (FUEL_FIXTURES / f"fuel10-{kind}.astute.yaml").read_text()
        _CACHE[kind] = yaml.load(text, Loader=datera_fuel._LOADER)
    return copy.deepcopy(_CACHE[kind])


def plugin(enabled=True, multibackend=True, replicas="2"):
    """The plugin's key as Fuel writes it into astute.yaml: flattened values + metadata."""
    return {
        "metadata": {
            "enabled": enabled,
            "plugin_id": 7,
            "plugin_version": "1.0.0",
            "label": "Datera Storage Cinder backend",
        },
        "multibackend": multibackend,
        "datera_mvip": "172.16.0.50",
        "datera_admin_login": "admin",
        "datera_admin_password": DATERA_PASSWORD,
        "datera_num_replicas": replicas,
    }


def write(tmp_path, data, name="astute.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return str(path)


def fuel(tmp_path, kind, minion_id, with_plugin=True, **plugin_kwargs):
    data = fixture_dict(kind)
    if with_plugin:
        data[datera_fuel.PLUGIN] = plugin(**plugin_kwargs)
    return datera_fuel.ext_pillar(minion_id, {}, path=write(tmp_path, data))


def run(tmp_path, data, minion_id=PRIMARY, **kwargs):
    return datera_fuel.ext_pillar(minion_id, {}, path=write(tmp_path, data), **kwargs)


def known_part(datera):
    return {key: value for key, value in datera.items() if key not in NEW_KEYS}


SECRETS = (DATERA_PASSWORD, CINDER_KEYSTONE_PASSWORD)


def test_virtual_name():
    assert datera_fuel.__virtual__() == "datera_fuel"


def test_the_real_fixture_is_copied_unchanged_and_gives_a_pillar(tmp_path):
    """The file exactly as Fuel wrote it (no plugin key): role etc., but no backend."""
    path = tmp_path / "astute.yaml"
    shutil.copy(FUEL_FIXTURES / "fuel10-primary-controller.astute.yaml", path)
    datera = datera_fuel.ext_pillar(PRIMARY, {}, path=str(path))["datera"]
    assert datera["role"] == "primary-controller"
    assert "backends" not in datera


def test_fuel10_primary_controller(tmp_path):
    datera = fuel(tmp_path, "primary-controller", PRIMARY)["datera"]
    assert datera == {
        "role": "primary-controller",
        "release": "newton",
        "management_vip": VIP,
        "controllers": [PRIMARY, CONTROLLER],
        "primary_controller": PRIMARY,
        "keystone": {
            "host": VIP,
            "port": 5000,
            "auth_url": f"http://{VIP}:5000/v3",
            "user": "cinder",
            "password": CINDER_KEYSTONE_PASSWORD,
            "project": "services",
            "user_domain": "Default",
            "project_domain": "Default",
            "interface": "internal",
        },
        "pacemaker": {"params": {"amqp_server_port": "5673", "multibackend": "true"}},
        "backends": {
            "datera": {
                "san_ip": "172.16.0.50",
                "san_login": "admin",
                "san_password": DATERA_PASSWORD,
                "replica_count": 2,
                "volume_backend_name": "datera",
            }
        },
        # node-110 has Fuel's cinder role: the old plugin configured Datera there
        "takeover": {"enabled": True},
    }


def test_output_passes_the_formula_schema(tmp_path):
    datera = fuel(tmp_path, "primary-controller", PRIMARY)["datera"]
    settings = datera_pillar._normalise(known_part(datera))
    assert settings["role"] == "primary-controller"
    assert settings["backends"]["datera"]["replica_count"] == 2
    assert settings["pacemaker"]["params"] == {"amqp_server_port": "5673", "multibackend": "true"}


def test_fuel10_controller(tmp_path):
    datera = fuel(tmp_path, "controller", CONTROLLER)["datera"]
    assert datera["role"] == "controller"
    assert datera["controllers"] == [PRIMARY, CONTROLLER]
    assert datera["primary_controller"] == PRIMARY
    assert datera["backends"]["datera"]["san_ip"] == "172.16.0.50"


def test_fuel10_compute_gets_its_role_and_no_secret(tmp_path):
    datera = fuel(tmp_path, "compute", COMPUTE)["datera"]
    assert datera == {"role": "compute", "release": "newton", "management_vip": VIP}


def test_fuel8_role_string(tmp_path):
    """Fuel 7.0/8.0: ``role`` is a string, one per run; no ``roles`` list."""
    data = fixture_dict("primary-controller")
    del data["roles"]
    data.update(role="primary-controller", fuel_version="8.0", openstack_version="liberty-8.0")
    data[datera_fuel.PLUGIN] = plugin()
    datera = run(tmp_path, data)["datera"]
    assert datera["role"] == "primary-controller"
    assert datera["release"] == "liberty"
    assert datera["primary_controller"] == PRIMARY


def test_fuel8_run_of_another_role_still_knows_the_node_is_a_controller(tmp_path):
    """A controller+cinder node's astute.yaml of the cinder run: network_metadata decides."""
    data = fixture_dict("controller")
    del data["roles"]
    data["role"] = "cinder"
    datera = run(tmp_path, data, minion_id=CONTROLLER)["datera"]
    assert datera["role"] == "controller"


def test_roles_from_network_metadata_only(tmp_path):
    data = fixture_dict("controller")
    del data["roles"]
    assert run(tmp_path, data, minion_id="node-115")["datera"]["role"] == "controller"


def test_controller_in_roles_list_with_other_roles(tmp_path):
    data = fixture_dict("controller")
    data["roles"] = ["cinder", "controller", "mongo"]
    assert run(tmp_path, data, minion_id=CONTROLLER)["datera"]["role"] == "controller"


def test_fallback_management_vip_of_fuel_61(tmp_path):
    data = fixture_dict("primary-controller")
    del data["network_metadata"]["vips"]["management"]
    data["management_vip"] = "10.20.0.2"
    data[datera_fuel.PLUGIN] = plugin()
    datera = run(tmp_path, data)["datera"]
    assert datera["management_vip"] == "10.20.0.2"
    assert datera["keystone"]["host"] == "10.20.0.2"
    assert datera["keystone"]["auth_url"] == "http://10.20.0.2:5000/v3"


def test_network_metadata_vip_wins_over_top_level(tmp_path):
    data = fixture_dict("primary-controller")
    data["management_vip"] = "10.20.0.2"
    assert run(tmp_path, data)["datera"]["management_vip"] == VIP


def test_ipv6_vip_is_bracketed_in_the_url(tmp_path):
    data = fixture_dict("primary-controller")
    data["network_metadata"]["vips"]["management"]["ipaddr"] = "fd00::9"
    assert run(tmp_path, data)["datera"]["keystone"]["auth_url"] == "http://[fd00::9]:5000/v3"


def test_no_vip_at_all_warns_and_gives_no_keystone(tmp_path, caplog):
    data = fixture_dict("primary-controller")
    del data["network_metadata"]["vips"]
    datera = run(tmp_path, data)["datera"]
    assert "management_vip" not in datera and "keystone" not in datera
    assert "no management VIP" in caplog.text


@pytest.mark.parametrize("enabled", [False, "false", None])
def test_plugin_disabled_gives_no_backend(tmp_path, enabled):
    datera = fuel(tmp_path, "primary-controller", PRIMARY, enabled=enabled)["datera"]
    assert "backends" not in datera
    assert datera["pacemaker"] == {"params": {"amqp_server_port": "5673"}}
    assert datera["role"] == "primary-controller"


def test_plugin_without_metadata_is_not_enabled(tmp_path):
    data = fixture_dict("primary-controller")
    data[datera_fuel.PLUGIN] = {"datera_mvip": "172.16.0.50"}
    assert "backends" not in run(tmp_path, data)["datera"]


def test_single_backend_mode_still_writes_a_named_section(tmp_path):
    datera = fuel(tmp_path, "primary-controller", PRIMARY, multibackend=False)["datera"]
    assert list(datera["backends"]) == ["datera"]
    assert datera["backends"]["datera"]["volume_backend_name"] == "datera"
    assert datera["pacemaker"]["params"]["multibackend"] == "false"


def test_values_wrapped_in_value_dicts(tmp_path):
    data = fixture_dict("primary-controller")
    data[datera_fuel.PLUGIN] = {
        key: value if key == "metadata" else {"value": value} for key, value in plugin().items()
    }
    backend = run(tmp_path, data)["datera"]["backends"]["datera"]
    assert backend["san_ip"] == "172.16.0.50" and backend["replica_count"] == 2


def test_bad_replica_count_is_left_for_the_validator_to_name(tmp_path):
    datera = fuel(tmp_path, "primary-controller", PRIMARY, replicas="two")["datera"]
    assert datera["backends"]["datera"]["replica_count"] == "two"
    with pytest.raises(Exception, match="datera:backends:datera:replica_count"):
        datera_pillar._normalise(known_part(datera))


def test_backend_name_option(tmp_path):
    data = fixture_dict("primary-controller")
    data[datera_fuel.PLUGIN] = plugin()
    datera = run(tmp_path, data, backend="datera-east")["datera"]
    assert datera["backends"]["datera-east"]["volume_backend_name"] == "datera-east"


def test_pacemaker_agent_option_and_fuel_amqp_port(tmp_path):
    data = fixture_dict("primary-controller")
    data["amqp_port"] = 5672
    datera = run(tmp_path, data, pacemaker_agent="ocf:fuel:cinder-volume")["datera"]
    assert datera["pacemaker"] == {
        "agent": "ocf:fuel:cinder-volume",
        "params": {"amqp_server_port": "5672"},
    }


def test_unknown_option_is_warned_about(tmp_path, caplog):
    run(tmp_path, fixture_dict("compute"), minion_id=COMPUTE, pth="/typo")
    assert "unknown ext_pillar option(s): pth" in caplog.text


# --- which node is this minion ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("minion_id", "role"),
    [
        (PRIMARY, "primary-controller"),
        ("node-115", "controller"),
        (CONTROLLER, "controller"),
        ("113", "compute"),
    ],
)
def test_shared_file_on_the_master_maps_each_minion(tmp_path, minion_id, role):
    """Any node's file lists every node: a master may serve one file to all minions."""
    data = fixture_dict("primary-controller")
    data[datera_fuel.PLUGIN] = plugin()
    datera = run(tmp_path, data, minion_id=minion_id)["datera"]
    assert datera["role"] == role
    assert ("backends" in datera) == (role != "compute")


@pytest.mark.parametrize("minion_id", ["node-111", "node-109"])
def test_other_nodes_get_nothing(tmp_path, minion_id):
    data = fixture_dict("primary-controller")
    data[datera_fuel.PLUGIN] = plugin()
    assert run(tmp_path, data, minion_id=minion_id) == {}


@pytest.mark.parametrize("other_roles", [[], ["compute"]])
def test_a_cinder_node_the_old_plugin_configured_is_taken_over(tmp_path, other_roles):
    """The plugin ran Datera in each cinder-role node's own cinder-volume: legacy, no secret."""
    data = fixture_dict("primary-controller")
    data[datera_fuel.PLUGIN] = plugin()
    data["network_metadata"]["nodes"]["node-110"]["node_roles"] += other_roles
    datera = run(tmp_path, data, minion_id="node-110.test.domain.local")["datera"]
    assert datera == {"role": "legacy", "release": "newton", "management_vip": VIP}


def test_without_the_plugin_there_is_nothing_to_take_over(tmp_path):
    data = fixture_dict("primary-controller")
    assert run(tmp_path, data, minion_id="node-110.test.domain.local") == {}
    data[datera_fuel.PLUGIN] = plugin()
    data["network_metadata"]["nodes"]["node-110"]["node_roles"] = ["ceph-osd"]
    assert "takeover" not in run(tmp_path, data, minion_id=PRIMARY)["datera"]


def test_unknown_minion_id_takes_the_files_own_node_with_a_warning(tmp_path, caplog):
    datera = run(tmp_path, fixture_dict("controller"), minion_id="salt-minion-7")["datera"]
    assert datera["role"] == "controller"
    assert "salt-minion-7 names no node" in caplog.text


def test_minion_id_in_path(tmp_path):
    for kind, minion_id in (("compute", COMPUTE), ("controller", CONTROLLER)):
        write(tmp_path, fixture_dict(kind), name=f"{minion_id}.yaml")
    path = str(tmp_path / "{minion_id}.yaml")
    assert datera_fuel.ext_pillar(COMPUTE, {}, path=path)["datera"]["role"] == "compute"
    assert datera_fuel.ext_pillar(CONTROLLER, {}, path=path)["datera"]["role"] == "controller"


def test_older_nodes_list_when_there_is_no_network_metadata_nodes(tmp_path):
    data = fixture_dict("controller")
    del data["network_metadata"]["nodes"]
    del data["roles"]
    data["role"] = "controller"
    datera = run(tmp_path, data, minion_id=CONTROLLER)["datera"]
    assert datera["role"] == "controller"
    assert datera["controllers"] == [PRIMARY, CONTROLLER]


def test_primary_is_this_node_when_no_node_is_marked_primary(tmp_path):
    data = fixture_dict("primary-controller")
    data["network_metadata"]["nodes"]["node-114"]["node_roles"] = ["controller"]
    datera = run(tmp_path, data)["datera"]
    assert datera["role"] == "primary-controller"
    assert datera["primary_controller"] == PRIMARY


# --- files that cannot be used --------------------------------------------------------------


def test_missing_file(tmp_path, caplog):
    missing = tmp_path / "nope" / "astute.yaml"
    assert datera_fuel.ext_pillar(PRIMARY, {}, path=str(missing)) == {}
    assert f"{missing} does not exist" in caplog.text
    assert any(r.levelno == logging.WARNING for r in caplog.records)


def test_unreadable_file(tmp_path, caplog):
    assert datera_fuel.ext_pillar(PRIMARY, {}, path=str(tmp_path)) == {}
    assert f"cannot read {tmp_path}" in caplog.text


def test_invalid_yaml_names_the_file_but_not_its_text(tmp_path, caplog):
    path = tmp_path / "astute.yaml"
    path.write_text(f"cinder:\n  user_password: {CINDER_KEYSTONE_PASSWORD}\n   bad: [\n")
    assert datera_fuel.ext_pillar(PRIMARY, {}, path=str(path)) == {}
    assert f"{path} is not valid YAML (line" in caplog.text


def test_not_utf8(tmp_path, caplog):
    path = tmp_path / "astute.yaml"
    path.write_bytes(b"fqdn: \xff\xfe\n")
    assert datera_fuel.ext_pillar(PRIMARY, {}, path=str(path)) == {}
    assert f"cannot read {path}" in caplog.text


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just a string\n"])
def test_not_a_mapping(tmp_path, caplog, text):
    path = tmp_path / "astute.yaml"
    path.write_text(text)
    assert datera_fuel.ext_pillar(PRIMARY, {}, path=str(path)) == {}
    assert "is not a YAML mapping" in caplog.text


def test_garbage_inside_a_mapping_does_not_crash(tmp_path):
    data = {"fqdn": PRIMARY, "roles": "primary-controller", "network_metadata": ["x"], "cinder": 3}
    data[datera_fuel.PLUGIN] = "on"
    datera = run(tmp_path, data)["datera"]
    assert datera["role"] == "primary-controller"
    assert datera["controllers"] == []
    assert datera["primary_controller"] == PRIMARY


# --- through Salt's own pillar compiler -----------------------------------------------------


def test_salt_pillar_compile_runs_the_ext_pillar(tmp_path):
    """The master config of the docs, compiled by Salt's ``Pillar`` (loader, kwargs, merge)."""
    ext = tmp_path / "ext" / "pillar"
    ext.mkdir(parents=True)
    shutil.copy(datera_fuel.__file__, ext / "datera_fuel.py")
    shutil.copytree(REPO / "_utils", tmp_path / "ext" / "utils")  # as saltutil.sync_all does
    data = fixture_dict("primary-controller")
    data[datera_fuel.PLUGIN] = plugin()
    opts = salt.config.master_config(None)
    opts.update(
        extension_modules=str(tmp_path / "ext"),
        cachedir=str(tmp_path / "cache"),
        pillar_roots={"base": []},
        file_roots={"base": []},
        ext_pillar=[{"datera_fuel": {"path": write(tmp_path, data)}}],
    )
    for minion_id, role in ((PRIMARY, "primary-controller"), ("node-115", "controller")):
        compiled = salt.pillar.Pillar(opts, {}, minion_id, "base").compile_pillar()
        assert compiled["datera"]["role"] == role
        assert compiled["datera"]["backends"]["datera"]["san_password"] == DATERA_PASSWORD
