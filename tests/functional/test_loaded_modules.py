"""The formula's modules as Salt's loader loads them: dunders, utils, state returns."""

import pytest

from tests.support.datera_sim import DateraSimulator
from tests.support.openstack_sim import OpenStackSimulator
from tests.support.paths import CINDER_SAMPLE

SECRET = "Functional-Secret"


def pillar_for(path, **backend):
    settings = {"san_ip": "192.0.2.10", "san_login": "admin", "san_password": SECRET}
    settings.update(backend)
    return {"cinder": {"conf_file": str(path)}, "backends": {"datera": settings}}


@pytest.fixture
def conf(tmp_path, set_pillar):
    path = tmp_path / "cinder.conf"
    path.write_bytes(CINDER_SAMPLE.read_bytes())
    set_pillar(pillar_for(path))
    return path


def test_state_test_mode_then_apply_then_idempotent(conf, loaders):
    states = loaders.states
    dry = states.datera_conf.managed(name=str(conf), test=True)
    assert dry.result is None and "+san_password = ******" in dry.changes["diff"]
    assert conf.read_bytes() == CINDER_SAMPLE.read_bytes()

    applied = states.datera_conf.managed(name=str(conf))
    assert applied.result is True and set(applied.changes) == {"DEFAULT", "datera", "diff"}
    again = states.datera_conf.managed(name=str(conf))
    assert again.result is True and again.changes == {}
    assert SECRET not in str(dry.full_return) + str(applied.full_return)


def test_exec_functions_mask_secrets(conf, loaders):
    modules = loaders.modules
    assert modules.datera_pillar.validate() is True
    assert modules.datera_pillar.settings()["backends"]["datera"]["san_password"] == "******"
    assert modules.datera_conf.render()["datera"]["san_password"] == "******"
    assert modules.datera_conf.check(str(conf))["in_sync"] is False


def test_invalid_pillar_fails_the_state_naming_the_key(conf, loaders, set_pillar):
    set_pillar(pillar_for(conf, replica_count=0))
    ret = loaders.states.datera_conf.managed(name=str(conf))
    assert ret.result is False
    assert "datera:backends:datera:replica_count: must be between 1 and 5" in ret.comment
    assert conf.read_bytes() == CINDER_SAMPLE.read_bytes()


def test_initiator_name_state(states, tmp_path):
    path = tmp_path / "iscsi" / "initiatorname.iscsi"
    first = states.datera_iscsi.initiator_present(name=str(path))
    assert first.result is True and first.changes["InitiatorName"]["old"] is None
    again = states.datera_iscsi.initiator_present(name=str(path))
    assert again.result is True and again.changes == {}
    assert first.changes["InitiatorName"]["new"] in path.read_text()
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_the_clients_come_from_salts_utils_dirs(loaders, set_pillar):
    """``datera`` and ``datera_volume_type`` reach their clients (``_utils/datera_api.py``,
    ``_utils/datera_openstack.py``) by name, from the ``utils_dirs`` Salt's loader puts on
    ``sys.path``, with the pillar read through ``datera_pillar``."""
    with (
        DateraSimulator(users={"admin": SECRET}) as datera,
        OpenStackSimulator(users={"cinder": SECRET}) as cloud,
    ):
        api = {"port": datera.https_port, "ca_bundle": datera.ca_pem_path}
        pillar = pillar_for("/nonexistent/cinder.conf", san_ip=datera.host, api=api)
        pillar["keystone"] = {"auth_url": cloud.auth_url, "password": SECRET}
        set_pillar(pillar)
        modules = loaders.modules
        reached = modules.datera.login_check()
        assert reached["logged_in"] is True and reached["backend"] == "datera"
        assert reached["tls"] == f"verified with CA bundle {datera.ca_pem_path}"
        assert [t["name"] for t in modules.datera_volume_type.list_types()] == ["__DEFAULT__"]
        assert cloud.count("POST", "/v3/auth/tokens") == 1
