"""``_utils/datera_api.py`` on its own, without the execution module: settings resolution,
the per-run connection cache, and the client against the Datera API simulator."""

import logging
import os

import pytest
import responses
from salt.exceptions import CommandExecutionError, SaltInvocationError

from tests.support.datera_sim import DateraSimulator
from tests.support.loaders import load

api = load("utils", "datera_api")
datera_secrets = load("utils", "datera_secrets")

PASSWORD = "Datera-Util-S3cret"
SECRETS = (PASSWORD,)  # never logged (conftest.no_secret_in_logs)
FAST = {"datera_503_interval": 0.01, "datera_503_timeout": 2}


@pytest.fixture
def sim():
    with DateraSimulator(users={"admin": PASSWORD}) as running:
        yield running


@pytest.fixture
def pillar(sim):
    """``datera:backends:datera`` as datera_pillar.backend reveals it, aimed at the sim."""
    return {
        "name": "datera",
        "san_ip": sim.host,
        "san_login": "admin",
        "san_password": PASSWORD,
        "api": {"port": sim.https_port, "ca_bundle": sim.ca_pem_path},
    }


def connection(pillar, **overrides):
    conf = api.settings(None, pillar, overrides)
    return api.connect(conf, {}, datera_secrets.scrub)


# --- settings ---------------------------------------------------------------------------------


def test_settings_defaults_from_a_minimal_pillar():
    minimal = {"san_ip": "192.0.2.10", "san_login": "a", "san_password": PASSWORD}
    conf = api.settings("east", minimal, {})
    assert (conf.scheme, conf.port, conf.tenant, conf.verify) == ("https", 7718, "/root", True)
    assert (conf.interval, conf.retry_timeout, conf.timeout) == (5.0, 120.0, 30.0)
    assert conf.replica_count == 3 and conf.backend == "east"
    assert conf.where == "Datera backend east at https://192.0.2.10:7718"
    assert PASSWORD not in repr(conf)


def test_overrides_win_over_the_pillar(pillar):
    conf = api.settings(None, pillar, {"scheme": "http", "tenant": "cinder", "verify": "no"})
    assert conf.port == 7717  # the pillar's port is for https
    assert conf.tenant == "/root/cinder" and conf.verify is False


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"passwd": "x"}, "unknown option"),
        ({"scheme": "ftp"}, "scheme must be https or http"),
        ({"cert_fingerprint": "AB:CD"}, "SHA-256 fingerprint"),
        ({"verify": "maybe"}, "verify must be true or false"),
        ({"timeout": "soon"}, "timeout must be a number"),
        ({"datera_503_timeout": -1}, "datera_503_timeout must be at least"),
        ({"san_password": ""}, "san_password are required"),
    ],
)
def test_bad_settings_name_the_key(pillar, overrides, message):
    pillar = dict(pillar, san_password="" if "san_password" in overrides else PASSWORD)
    with pytest.raises(SaltInvocationError, match=message):
        api.settings(None, pillar, overrides)


def test_the_pillar_is_needed_unless_the_call_gives_every_connection_setting():
    given = {"san_ip": "192.0.2.10", "san_login": "a", "san_password": "p"}
    assert api.needs_pillar(None, given) is False
    assert api.needs_pillar("east", given) is True
    assert api.needs_pillar(None, dict(given, san_password="")) is True
    with pytest.raises(SaltInvocationError, match="unknown option"):
        api.needs_pillar(None, {"sanip": "x"})


def test_strict_parsers():
    assert [api.boolean(v, "x") for v in (True, "yes", "On", 1, "0", "false")] == [
        True,
        True,
        True,
        True,
        False,
        False,
    ]
    with pytest.raises(SaltInvocationError, match="x must be true or false, got 'y'"):
        api.boolean("y", "x")
    assert api.number("2.5", "n", 1) == 2.5
    with pytest.raises(SaltInvocationError, match="n must be at least 1"):
        api.number(0, "n", 1)


# --- the connection -----------------------------------------------------------------------------


def test_one_connection_per_settings_and_process(pillar):
    cache = {}
    conf = api.settings(None, pillar, {})
    first = api.connect(conf, cache, datera_secrets.scrub)
    assert api.connect(api.settings(None, pillar, {}), cache, datera_secrets.scrub) is first
    assert api.connect(api.settings(None, pillar, FAST), cache, datera_secrets.scrub) is not first
    first.pid = os.getpid() + 1  # as a forked child sees its parent's connection
    assert api.connect(conf, cache, datera_secrets.scrub) is not first


def test_login_once_then_data_list_and_endpoint(sim, pillar):
    conn = connection(pillar)
    assert conn.data("GET", "/system")["name"] == "datera-sim"
    assert [t["path"] for t in conn.list("/tenants")] == ["/root"]
    assert sim.count("PUT", "/v2.2/login") == 1 and conn.logins == 1 and conn.requests == 3
    assert conn.endpoint() == {
        "backend": "datera",
        "url": f"https://{sim.host}:{sim.https_port}",
        "api_version": "v2.2",
        "tls": f"verified with CA bundle {sim.ca_pem_path}",
        "warnings": [],
    }


def test_401_logs_in_again_once(sim, pillar):
    conn = connection(pillar)
    conn.api("GET", "/system")
    sim.faults.status_for_next(401, n=5)
    with pytest.raises(api.DateraHTTPError, match="HTTP 401") as info:
        conn.api("GET", "/system")
    assert info.value.status == 401
    assert conn.logins == 2 and sim.count("PUT", "/v2.2/login") == 2
    sim.faults.reset()


def test_503_retried_within_the_budget_then_given_up(sim, pillar):
    conn = connection(pillar, **FAST)
    conn.api("GET", "/system")
    sim.faults.status_for_next(503, n=3)
    assert conn.exchange("GET", "/system").status_code == 200
    assert sim.count("GET", "/v2.2/system") == 5
    sim.faults.status_for_next(503, n=1000)
    short = connection(pillar, datera_503_interval=0.01, datera_503_timeout=0.03)
    with pytest.raises(CommandExecutionError, match=r"still busy \(HTTP 503\) after \d attempts"):
        short.exchange("GET", "/system")
    sim.faults.reset()


def test_verify_off_is_warned_once_per_connection(sim, pillar, caplog):
    conn = connection(pillar, verify=False)
    conn.api("GET", "/system")
    assert conn.tls == "NOT VERIFIED (verify: false)" and len(conn.warnings) == 1
    warned = [r for r in caplog.records if "verification is OFF" in r.getMessage()]
    assert len(warned) == 1 and warned[0].levelno == logging.WARNING


def test_server_fingerprint(sim, pillar):
    conf = api.settings(None, pillar, {"cert_fingerprint": sim.cert_fingerprint})
    found = api.server_fingerprint(conf)
    assert found["sha256"] == sim.cert_fingerprint and found["matches"] is True
    assert sim.count() == 0


# --- edge cases a simulator does not produce ----------------------------------------------------


@responses.activate
def test_error_texts_mask_the_password_and_the_session_key():
    key = "k" * 32
    pillar = {"san_ip": "192.0.2.10", "san_login": "a", "san_password": PASSWORD}
    conn = connection(pillar, scheme="http")
    responses.put("http://192.0.2.10:7717/v2.2/login", json={"key": key})
    responses.get(
        "http://192.0.2.10:7717/v2.2/system",
        status=400,
        json={"name": "ValidationFailedError", "message": f"bad {PASSWORD} / {key}"},
    )
    with pytest.raises(api.DateraHTTPError) as info:
        conn.api("GET", "/system")
    text = str(info.value)
    assert "HTTP 400 ValidationFailedError bad ****** / ******" in text
    assert PASSWORD not in text and key not in text and info.value.status == 400
