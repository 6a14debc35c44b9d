"""Every key the formula writes is an option cinder 29.0.0 defines, and parses as meant."""

from pathlib import Path

import pytest

from tests.fidelity.cinder_venv import run_json
from tests.fidelity.formula_conf import write_conf
from tests.support.loaders import load

datera_schema = load("utils", "datera_schema")

pytestmark = pytest.mark.fidelity

PROBE = Path(__file__).with_name("cinder_options_probe.py")
SAMPLE_VALUES = {"int": 7, "bool": True, "str": "x$y"}


def every_option_pillar():
    backend = {
        "san_ip": "192.0.2.10",
        "san_login": "admin",
        "san_password": "pa$$word=1",
        "replica_count": 2,
    }
    for key, kind in datera_schema.DRIVER_OPTIONS.items():
        backend[key] = SAMPLE_VALUES[kind]
    backend["max_over_subscription_ratio"] = "20.0"
    return {"release": "latest", "backends": {"datera": backend}}


@pytest.fixture
def written_conf(tmp_path):
    return write_conf(tmp_path / "cinder.conf", every_option_pillar())


def test_every_written_key_is_a_cinder_option_and_parses(written_conf):
    result = run_json(PROBE, written_conf, "datera")
    assert result["unknown"] == []
    assert set(result["written"]) >= set(datera_schema.DRIVER_OPTIONS)
    values = result["values"]
    assert values["volume_driver"] == "cinder.volume.drivers.datera.datera_iscsi.DateraDriver"
    assert values["san_password"] == "pa$$word=1"  # '$' escaped for oslo.config, '=' kept
    assert values["datera_tenant_id"] == "x$y"
    assert values["datera_503_timeout"] == 7 and values["datera_debug"] is True
    assert values["datera_volume_type_defaults"] == "{'replica_count': '2'}"
    assert values["backend_host"] == "cinder"
    assert result["enabled_backends"] == ["datera"]


def test_an_unknown_key_is_caught(written_conf):
    text = written_conf.read_text().replace("[datera]\n", "[datera]\ndatera_num_replica = 3\n")
    written_conf.write_text(text)
    assert run_json(PROBE, written_conf, "datera")["unknown"] == ["datera_num_replica"]
