"""The pillar schema (``_utils/datera_schema.py``) is the one list of keys: pillar.example,
the docs' pillar reference, the secret rule and the ready-made decisions the SLS read all
agree with it."""

import importlib.util
import re

import pytest
import yaml

from tests.support.loaders import load
from tests.support.paths import REPO

datera_schema = load("utils", "datera_schema")
datera_secrets = load("utils", "datera_secrets")
datera_pillar = load("modules", "datera_pillar")
GOOD = {"backends": {"datera": {"san_ip": "192.0.2.10", "san_login": "a", "san_password": "pw"}}}


def _pillar_table():
    spec = importlib.util.spec_from_file_location("pillar_table", REPO / "docs/pillar_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _keys(data, prefix=""):
    """Key paths of a pillar dict, in the schema's names (``<name>``, ``<type>``)."""
    found = set()
    for key, value in data.items():
        name = {"backends": "<name>", "volume_types": "<type>"}.get(prefix.split(":")[-1], key)
        path = f"{prefix}:{name}" if prefix else name
        found.add(path)
        if isinstance(value, dict) and any(k.startswith(path + ":") for k in datera_schema.SCHEMA):
            found |= _keys(value, path)  # not into lookup, params, qos: no schema keys there
    return found


def _example():
    """pillar.example with its commented-out keys (``# key: value``) put back."""
    lines = (REPO / "pillar.example").read_text().split("\n---\n", 1)[1].splitlines()
    uncommented = [re.sub(r"^(\s*)# ?(\s*[a-z_][\w.-]*:(\s.*)?)$", r"\1\2", ln) for ln in lines]
    return yaml.safe_load("\n".join(uncommented))["datera"]


def test_every_schema_key_is_in_pillar_example_and_back():
    example = _keys(_example())
    schema = set(datera_schema.SCHEMA)
    assert example - schema == set(), "pillar.example keys that the schema does not have"
    assert schema - example == set(), "schema keys that pillar.example does not document"


def test_pillar_example_lookup_keys_are_lookup_parameters():
    lookup = _pillar_table()._flat(_example()["lookup"])
    assert set(lookup) <= set(datera_schema.LOOKUP)


def test_lookup_descriptions_cover_defaults_yaml():
    assert set(datera_schema.LOOKUP) == set(_pillar_table().lookup())


def test_every_field_is_described_and_checkable():
    for field in datera_schema.FIELDS:
        assert field.doc.strip(), field.path
        assert field.kind in datera_schema._CHECKS or field.kind == "backend", field.path
        assert (field.kind == "pattern") == bool(field.pattern), field.path


def test_secret_flags_agree_with_the_one_secret_rule():
    for field in datera_schema.FIELDS:
        assert field.secret == datera_secrets.is_secret(field.path.split(":")[-1]), field.path


def test_pillar_reference_page_is_rendered_from_the_schema():
    table = _pillar_table()
    page = (REPO / "docs" / "pillar.rst").read_text()
    assert page == table.page(), "docs/pillar.rst is stale: run python docs/pillar_table.py"
    assert table.problems() == []
    for field in datera_schema.FIELDS:
        entry = f"``datera:{field.path}``" + (
            "\n---" if field.path in table.SECTIONS else "\n   *Type:* "
        )
        assert entry in page, field.path


@pytest.mark.parametrize(
    ("agent", "split"),
    [
        ("ocf:datera:cinder-volume", ("ocf", "datera", "cinder-volume")),
        ("systemd:cinder-volume", ("systemd", "", "cinder-volume")),
        ("lsb:openstack-cinder-volume", ("lsb", "", "openstack-cinder-volume")),
    ],
)
def test_settings_give_the_agent_split(agent, split):
    data = dict(GOOD, pacemaker={"agent": agent})
    pcmk = datera_pillar._normalise(data)["pacemaker"]
    assert (pcmk["agent_class"], pcmk["agent_provider"], pcmk["agent_type"]) == split


@pytest.mark.parametrize(
    ("agent", "ocf_dir", "script", "root"),
    [
        ("ocf:datera:cinder-volume", "/usr/lib/ocf/resource.d",
         "/usr/lib/ocf/resource.d/datera/cinder-volume", "/usr/lib/ocf"),
        ("ocf:fuel:cinder-volume", "/opt/ocf/resource.d/",
         "/opt/ocf/resource.d/fuel/cinder-volume", "/opt/ocf"),
        ("systemd:cinder-volume", "/usr/lib/ocf/resource.d", "", "/usr/lib/ocf"),
        ("ocf:datera:cinder-volume", "/srv/agents", "/srv/agents/datera/cinder-volume",
         "/srv/agents"),
    ],
)  # fmt: skip
def test_ocf_paths(agent, ocf_dir, script, root):
    assert datera_pillar.ocf_paths(agent, ocf_dir) == {"script": script, "ocf_root": root}
