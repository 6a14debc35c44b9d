"""The pillar schema: defaults, normalisation, and a corpus of malformed pillars."""

import copy

import pytest
import yaml
from salt.exceptions import CommandExecutionError

from tests.support.loaders import load
from tests.support.paths import REPO

datera_pillar = load("modules", "datera_pillar")
datera_schema = load("utils", "datera_schema")
datera_secrets = load("utils", "datera_secrets")

GOOD = {
    "backends": {
        "datera": {
            "san_ip": "192.0.2.10",
            "san_login": "admin",
            "san_password": "pw",
            "replica_count": 2,
        }
    }
}


def with_change(path, value):
    data = copy.deepcopy(GOOD)
    node = data
    for key in path[:-1]:
        node = node.setdefault(key, {})
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


def test_defaults_are_filled():
    settings = datera_pillar._normalise(GOOD)
    assert settings["cinder"]["conf_file"] == "/etc/cinder/cinder.conf"
    backend = settings["backends"]["datera"]
    assert backend["volume_backend_name"] == "datera"
    assert backend["api"] == {
        "scheme": "https",
        "port": 7718,
        "ca_bundle": "",
        "cert_fingerprint": "",
        "verify": True,
        "timeout": 30,
    }
    assert (backend["datera_503_interval"], backend["datera_503_timeout"]) == (5, 120)


def test_pillar_example_documents_the_schema_defaults():
    example = yaml.safe_load((REPO / "pillar.example").read_text())["datera"]
    settings = datera_pillar._normalise(example)
    for section, defaults in (
        ("cinder", datera_schema.CINDER_DEFAULTS),
        ("pacemaker", datera_schema.PACEMAKER_DEFAULTS),
        ("iscsi", datera_schema.ISCSI_DEFAULTS),
        ("keystone", datera_schema.KEYSTONE_DEFAULTS),
        ("takeover", datera_schema.defaults("takeover")),
    ):
        assert set(example[section]) == set(defaults)
        derived = {"ensure"}  # pacemaker.ensure follows the backends, it is not a pillar key
        documented = {k: v for k, v in settings[section].items() if k not in derived}
        default = {
            k: v for k, v in datera_pillar._normalise({})[section].items() if k not in derived
        }
        assert documented == default
    assert set(example) == datera_schema.TOP_KEYS
    api = example["backends"]["datera"]["api"]
    assert set(api) == set(datera_schema.API_DEFAULTS)


def test_http_defaults_to_7717():
    data = with_change(["backends", "datera", "api"], {"scheme": "http"})
    assert datera_pillar._normalise(data)["backends"]["datera"]["api"]["port"] == 7717


def test_absent_backend_needs_no_credentials():
    data = {"backends": {"old": {"ensure": "absent"}}}
    assert datera_pillar._normalise(data)["backends"]["old"] == {"name": "old", "ensure": "absent"}


def test_mask_hides_secrets():
    masked = datera_secrets.mask_tree(datera_pillar._normalise(GOOD))
    assert masked["backends"]["datera"]["san_password"] == "******"


MALFORMED = [
    (["backends", "datera", "san_ip"], "not an ip", "datera:backends:datera:san_ip"),
    (["backends", "datera", "san_ip"], "300.1.1.1", "datera:backends:datera:san_ip"),
    (["backends", "datera", "san_ip"], KeyError, "datera:backends:datera:san_ip: is required"),
    (["backends", "datera", "san_ip"], ["192.0.2.1"], "datera:backends:datera:san_ip"),
    (["backends", "datera", "san_login"], KeyError, "datera:backends:datera:san_login"),
    (["backends", "datera", "san_password"], "", "datera:backends:datera:san_password"),
    (["backends", "datera", "san_password"], "a\nb", "datera:backends:datera:san_password"),
    (["backends", "datera", "san_password"], {"x": 1}, "datera:backends:datera:san_password"),
    (["backends", "datera", "san_login"], "ad\rmin", "datera:backends:datera:san_login"),
    (["backends", "datera", "replica_count"], 0, "datera:backends:datera:replica_count"),
    (["backends", "datera", "replica_count"], 6, "datera:backends:datera:replica_count"),
    (["backends", "datera", "replica_count"], "three", "datera:backends:datera:replica_count"),
    (["backends", "datera", "replica_count"], True, "datera:backends:datera:replica_count"),
    (["backends", "datera", "ensure"], "gone", "datera:backends:datera:ensure"),
    (["backends", "datera", "san_pasword"], "typo", "datera:backends:datera:san_pasword"),
    (
        ["backends", "datera", "datera_503_timeout"],
        "soon",
        "datera:backends:datera:datera_503_timeout",
    ),
    (["backends", "datera", "datera_debug"], "maybe", "datera:backends:datera:datera_debug"),
    (
        ["backends", "datera", "volume_backend_name"],
        "bad name",
        "datera:backends:datera:volume_backend_name",
    ),
    (["backends", "datera", "api", "scheme"], "ftp", "datera:backends:datera:api:scheme"),
    (["backends", "datera", "api", "port"], 70000, "datera:backends:datera:api:port"),
    (
        ["backends", "datera", "api", "ca_bundle"],
        "relative.pem",
        "datera:backends:datera:api:ca_bundle",
    ),
    (
        ["backends", "datera", "api", "cert_fingerprint"],
        "AB:CD",
        "datera:backends:datera:api:cert_fingerprint",
    ),
    (["backends", "datera", "api", "verify"], "perhaps", "datera:backends:datera:api:verify"),
    (["backends", "datera", "api", "timeut"], 3, "datera:backends:datera:api:timeut"),
    (["backends", "bad]name"], {"ensure": "absent"}, "datera:backends:bad]name"),
    (["backends", "DEFAULT"], {"ensure": "absent"}, "datera:backends:DEFAULT"),
    (["backends", "with space"], {"ensure": "absent"}, "datera:backends:with space"),
    (["backends"], ["datera"], "datera:backends: must be a mapping"),
    (["role"], "master", "datera:role"),
    (["rol"], "controller", "datera:rol: unknown key"),
    (["cinder", "conf_file"], "cinder.conf", "datera:cinder:conf_file"),
    (["cinder", "shared_host"], "not a host!", "datera:cinder:shared_host"),
    (["cinder", "shared_host_option"], "hostname", "datera:cinder:shared_host_option"),
    (["cinder", "mode"], "rw-r-----", "datera:cinder:mode"),
    (["cinder", "conf"], "/etc/x", "datera:cinder:conf: unknown key"),
    (["pacemaker", "agent"], "cinder-volume", "datera:pacemaker:agent"),
    (["pacemaker", "resource_id"], "1bad id", "datera:pacemaker:resource_id"),
    (["pacemaker", "params"], {"Bad-Name": 1}, "datera:pacemaker:params:Bad-Name"),
    (["pacemaker", "wait_timeout"], -1, "datera:pacemaker:wait_timeout"),
    (["release"], "grizzlyy", "datera:release: unknown OpenStack release 'grizzlyy'"),
    (
        ["backends", "DATERA"],
        {"ensure": "absent"},
        "DATERA and datera would be one cinder.conf section",
    ),
]


@pytest.mark.parametrize(
    ("release", "option", "value", "ok"),
    [
        ("ocata", "datera_disable_profiler", True, False),
        ("pike", "datera_disable_profiler", True, True),
        ("train", "datera_ldap_server", "ldap", False),
        ("ussuri", "datera_ldap_server", "ldap", True),
        ("ocata", "max_over_subscription_ratio", "auto", False),  # a FloatOpt until Pike
        ("queens", "max_over_subscription_ratio", "auto", True),
    ],
)
def test_options_are_checked_against_the_release(release, option, value, ok):
    data = with_change(["backends", "datera", option], value)
    data["release"] = release
    if ok:
        assert datera_pillar._normalise(data)["backends"]["datera"]["options"][option] == value
    else:
        with pytest.raises(CommandExecutionError, match=f"datera:backends:datera:{option}"):
            datera_pillar._normalise(data)


def test_release_names_are_normalised():
    assert datera_pillar._normalise(dict(GOOD, release=" Caracal "))["release"] == "2024.1"
    assert datera_pillar._normalise(GOOD)["release"] == "2026.2"  # latest
    assert datera_pillar._normalise(dict(GOOD, release="newton"))["driver"]["unverified"]


@pytest.mark.parametrize(
    ("path", "value", "message"), MALFORMED, ids=[":".join(p) + f"={v!r}" for p, v, _ in MALFORMED]
)
def test_malformed_pillar_names_the_key(path, value, message):
    with pytest.raises(CommandExecutionError) as err:
        datera_pillar._normalise(with_change(path, value))
    assert message in str(err.value)
    assert "pw" not in str(err.value).replace("password", "")


def test_not_a_mapping_at_all():
    with pytest.raises(CommandExecutionError, match="datera: must be a mapping"):
        datera_pillar._normalise("datera")


def test_absent_backend_keeps_its_volume_types_to_remove_them():
    data = {"backends": {"old": {"ensure": "absent", "volume_types": {"gold": {}}}}}
    backend = datera_pillar._normalise(data)["backends"]["old"]
    assert backend["volume_types"] == {"gold": {"ensure": "present"}}


@pytest.mark.parametrize(
    ("backends", "ensure", "effective"),
    [
        (GOOD["backends"], "auto", "present"),
        ({"old": {"ensure": "absent"}}, "auto", "unmanaged"),  # may still serve lvm
        ({}, "auto", "unmanaged"),
        ({"old": {"ensure": "absent"}}, "absent", "absent"),
        ({}, "present", "present"),
    ],
)
def test_pacemaker_resource_ensure(backends, ensure, effective):
    data = {"backends": backends, "pacemaker": {"ensure": ensure}}
    assert datera_pillar._normalise(data)["pacemaker"]["ensure"] == effective


def test_settings_are_worked_out_once_per_job_for_the_same_pillar(monkeypatch):
    """map.jinja asks for the settings once per SLS file; one job normalises once."""
    calls = []
    real = datera_schema.normalise

    def counting(raw):
        calls.append(raw)
        return real(raw)

    pillar = {"datera": copy.deepcopy(GOOD)}
    monkeypatch.setattr(datera_schema, "normalise", counting)
    monkeypatch.setattr(datera_pillar, "__pillar__", pillar, raising=False)
    monkeypatch.setattr(datera_pillar, "__context__", {}, raising=False)
    first = datera_pillar.settings()
    first["backends"]["datera"]["replica_count"] = 5  # a caller's change stays its own
    assert datera_pillar.settings()["backends"]["datera"]["replica_count"] == 2
    assert len(calls) == 1
    pillar["datera"]["backends"]["datera"]["replica_count"] = 3  # pillar refreshed
    assert datera_pillar.settings()["backends"]["datera"]["replica_count"] == 3
    assert len(calls) == 2


def test_the_job_map_is_kept_for_the_same_pillar_only(monkeypatch):
    """map.jinja builds the map once per job (datera_pillar.job_map); a changed pillar
    (refreshed in the job) builds it afresh, and no caller's change reaches another."""
    pillar = {"datera": copy.deepcopy(GOOD)}
    monkeypatch.setattr(datera_pillar, "__pillar__", pillar, raising=False)
    monkeypatch.setattr(datera_pillar, "__context__", {}, raising=False)
    assert datera_pillar.job_map() is None
    built = {"cinder": {"conf_file": "/etc/cinder/cinder.conf"}}
    assert datera_pillar.job_map(built) == built
    kept = datera_pillar.job_map()
    assert kept == built
    kept["cinder"]["conf_file"] = "/elsewhere"
    built["cinder"]["conf_file"] = "/elsewhere too"
    assert datera_pillar.job_map()["cinder"]["conf_file"] == "/etc/cinder/cinder.conf"
    pillar["datera"]["backends"]["datera"]["replica_count"] = 3  # pillar refreshed
    assert datera_pillar.job_map() is None
