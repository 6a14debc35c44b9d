"""``_utils/datera_openstack.py`` on its own, without the execution module: cinder's
Keystone settings, the per-run session cache, and the client against the Keystone + Cinder
simulator (urllib3's Retry for 5xx, one re-login on 401)."""

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError
from urllib3.exceptions import MaxRetryError

from tests.support.loaders import load
from tests.support.openstack_sim import OpenStackSimulator

openstack = load("utils", "datera_openstack")
datera_pillar = load("modules", "datera_pillar")

PASSWORD = "Keystone-Util-S3cret"
SECRETS = (PASSWORD,)  # never logged (conftest.no_secret_in_logs)


@pytest.fixture
def sim():
    with OpenStackSimulator(users={"cinder": PASSWORD}) as simulator:
        yield simulator


def keystone_pillar(**keys):
    """``datera:keystone`` as the pillar schema normalises it (its defaults filled in)."""
    return datera_pillar._normalise({"backends": {}, "keystone": keys})["keystone"]


@pytest.fixture
def pillar(sim):
    return keystone_pillar(auth_url=sim.auth_url, password=PASSWORD, retry_interval=0)


def cinder_posts(sim):
    return sim.count("POST", "/v3/auth/tokens")


# --- settings -----------------------------------------------------------------------------------


def test_auth_url_from_host_and_port_and_the_v3_suffix():
    conf = openstack.keystone_settings(keystone_pillar(host="192.0.2.5", password=PASSWORD))
    assert conf["auth_url"] == "http://192.0.2.5:5000/v3"
    explicit = openstack.keystone_settings(
        keystone_pillar(password=PASSWORD), {"auth_url": "https://ks.example/identity/"}
    )
    assert explicit["auth_url"] == "https://ks.example/identity/v3"


def test_bad_keystone_settings_name_the_key():
    with pytest.raises(SaltInvocationError, match="keystone: unknown key"):
        openstack.keystone_settings(keystone_pillar(password=PASSWORD), {"passwd": "x"})
    with pytest.raises(
        SaltInvocationError,
        match="datera:keystone:auth_url: is required; datera:keystone:password: is required",
    ):
        openstack.keystone_settings(keystone_pillar())


def test_volume_endpoint_by_interface_and_region():
    conf = openstack.keystone_settings(keystone_pillar(host="ks", password=PASSWORD))
    token = {
        "project": {"id": "p1"},
        "catalog": [
            {"type": "identity", "endpoints": [{"interface": "internal", "url": "http://k"}]},
            {
                "type": "block-storage",
                "endpoints": [
                    {"interface": "public", "region": "One", "url": "http://pub/v3/p1"},
                    {"interface": "internal", "region": "One", "url": "http://int1/v3/"},
                    {"interface": "internal", "region": "Two", "url": "http://int2/v3"},
                ],
            },
        ],
    }
    assert openstack.volume_endpoint(token, conf) == "http://int1/v3/p1"
    assert openstack.volume_endpoint(token, dict(conf, region="Two")) == "http://int2/v3/p1"
    with pytest.raises(CommandExecutionError, match="no admin volumev3 endpoint in region Two"):
        openstack.volume_endpoint(token, dict(conf, region="Two", interface="admin"))


# --- the session --------------------------------------------------------------------------------


def test_one_session_per_settings_in_the_context(pillar):
    context = {}
    first = openstack.cinder(pillar, None, context)
    assert openstack.cinder(pillar, None, context) is first
    assert openstack.cinder(pillar, {"timeout": 5}, context) is not first  # other settings
    assert len(context) == 1  # same account and endpoint: the entry is replaced


def test_token_reused_and_renewed_once(sim, pillar):
    cinder = openstack.cinder(pillar, None, {})
    assert cinder.call("GET", "/types")["volume_types"][0]["name"] == "__DEFAULT__"
    cinder.call("GET", "/types")
    assert cinder_posts(sim) == 1
    sim.faults.expire_tokens()
    assert cinder.call("GET", "/types")
    assert cinder_posts(sim) == 2


def test_5xx_retried_by_urllib3_then_reported(sim, pillar):
    cinder = openstack.cinder(dict(pillar, retries=3), None, {})
    retry = cinder.http.get_adapter(sim.auth_url).max_retries
    assert retry.total == 2 and 503 in retry.status_forcelist
    sim.faults.status_for_next(503, n=2)
    assert cinder.call("GET", "/types")
    assert sim.count("GET") == 3  # two 503s, then the answer
    sim.reset_counts()
    sim.faults.status_for_next(502, n=10)
    with pytest.raises(CommandExecutionError, match="Cinder GET /types: HTTP 502"):
        cinder.call("GET", "/types")
    assert sim.count("GET") == 3  # three attempts in all


def test_retry_waits_the_interval_times_the_attempt_number(pillar):
    cinder = openstack.cinder(dict(pillar, retries=4, retry_interval=2), None, {})
    retry = cinder.http.get_adapter("https://cinder.example").max_retries
    waits = []
    for _ in range(3):
        retry = retry.increment("GET", "/types", error=ConnectionError("refused"))
        waits.append(retry.get_backoff_time())
    assert waits == [2, 4, 6]
    with pytest.raises(MaxRetryError):
        retry.increment("GET", "/types", error=ConnectionError("refused"))


def test_wrong_password_and_unreachable_keystone(sim, pillar):
    sim.state.users["cinder"] = "rotated"
    refused = openstack.cinder(pillar, None, {})
    with pytest.raises(CommandExecutionError, match="refused user cinder of project services"):
        refused.call("GET", "/types")
    sim.stop()
    gone = openstack.cinder(dict(pillar, retries=2), None, {})
    with pytest.raises(CommandExecutionError, match=r"cannot reach http://.*/v3/auth/tokens"):
        gone.call("GET", "/types")
