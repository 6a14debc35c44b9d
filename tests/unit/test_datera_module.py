"""The ``datera`` execution module against the Datera API simulator (HTTP and HTTPS)."""

import logging
import socket
import threading
import time

import pytest
import responses
from salt.exceptions import CommandExecutionError, SaltInvocationError

from tests.support.datera_sim import DateraSimulator
from tests.support.datera_sim import api as sim_api
from tests.support.loaders import load

datera = load("modules", "datera")
datera_pillar = load("modules", "datera_pillar")
datera_secrets = load("utils", "datera_secrets")

PASSWORD = "Datera-Unit-S3cret"
WRONG_PASSWORD = "Not-The-Passw0rd"
FAST = {"datera_503_interval": 0.01, "datera_503_timeout": 2}


@pytest.fixture
def issued():
    """Every session key the simulator hands out (they are secrets too)."""
    return []


@pytest.fixture
def sim(issued):
    with DateraSimulator(users={"admin": PASSWORD}) as running:
        login = running.state.login

        def recording_login(name, password):
            key = login(name, password)
            issued.append(key)
            return key

        running.state.login = recording_login
        yield running


@pytest.fixture
def backend_pillar(sim):
    """``datera:backends:datera`` as an operator writes it, aimed at the simulator's HTTPS."""
    return {
        "san_ip": sim.host,
        "san_login": "admin",
        "san_password": PASSWORD,
        "replica_count": 2,
        "api": {"port": sim.https_port, "ca_bundle": sim.ca_pem_path},
    }


@pytest.fixture
def context():
    return {}


@pytest.fixture
def configure_loader_modules(backend_pillar, context):
    def backend(name=None, reveal=False):
        normalised = datera_pillar._normalise({"backends": {"datera": backend_pillar}})
        if not reveal:
            normalised = datera_secrets.mask_tree(normalised)
        return normalised["backends"][name or "datera"]

    return {
        datera: {
            "__salt__": {"datera_pillar.backend": backend},
            "__context__": context,
            "__opts__": {"test": False},
        }
    }


SECRETS = (PASSWORD, WRONG_PASSWORD)  # and what the simulator issued


def fails(func, *args, match=None, **kwargs):
    """Call ``func``, expect CommandExecutionError; check no secret leaks; return the text."""
    with pytest.raises(CommandExecutionError, match=match) as info:
        func(*args, **kwargs)
    text = str(info.value)
    assert PASSWORD not in text and WRONG_PASSWORD not in text
    assert info.value.__cause__ is None or PASSWORD not in str(info.value.__cause__)
    return text


def logins(sim, version="v2.2"):
    return sim.count("PUT", f"/{version}/login")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- TLS --------------------------------------------------------------------------------------


def test_https_verified_with_the_ca_bundle(sim):
    result = datera.system()
    assert result["name"] == "datera-sim"
    assert result["sw_version"] == "3.3.5"
    assert result["op_state"] == "running"
    assert result["health"] == "ok"
    assert result["url"] == f"https://{sim.host}:{sim.https_port}"
    assert result["api_version"] == "v2.2"
    assert result["tls"] == f"verified with CA bundle {sim.ca_pem_path}"
    assert result["warnings"] == []


def test_unknown_certificate_is_refused(sim, backend_pillar):
    backend_pillar["api"]["ca_bundle"] = ""
    text = fails(datera.ping, match="certificate verification failed")
    assert f"{sim.host}:{sim.https_port}" in text
    assert "api:ca_bundle" in text and "api:cert_fingerprint" in text
    assert sim.count() == 0  # refused during the handshake: no request was sent


def test_pinned_fingerprint_accepted(sim, backend_pillar):
    backend_pillar["api"] = {"port": sim.https_port, "cert_fingerprint": sim.cert_fingerprint}
    result = datera.login_check()
    assert result["tls"] == f"pinned SHA-256 {sim.cert_fingerprint}"
    assert result["logged_in"] is True
    assert result["warnings"] == []


def test_pinned_fingerprint_mismatch_is_refused(sim, backend_pillar):
    pinned = ":".join(["AB"] * 32)
    backend_pillar["api"] = {"port": sim.https_port, "cert_fingerprint": pinned}
    text = fails(datera.system, match="does not match the pinned")
    assert pinned in text and sim.cert_fingerprint in text
    assert f"{sim.host}:{sim.https_port}" in text
    assert "datera.cert_fingerprint" in text
    assert sim.count() == 0


def test_pin_is_checked_on_every_new_connection(sim, backend_pillar):
    backend_pillar["api"] = {"port": sim.https_port, "cert_fingerprint": sim.cert_fingerprint}
    assert datera.ping()
    port = sim.https_port
    sim.stop()  # the cluster comes back on the same address with another certificate
    with DateraSimulator(users={"admin": PASSWORD}, https_port=port) as impostor:
        text = fails(datera.ping, match="does not match the pinned")
        assert impostor.cert_fingerprint in text
        assert impostor.count() == 0


def test_pin_and_ca_bundle_together(sim, backend_pillar):
    backend_pillar["api"]["cert_fingerprint"] = sim.cert_fingerprint
    result = datera.login_check()
    assert result["tls"] == f"pinned SHA-256 {sim.cert_fingerprint} and CA bundle {sim.ca_pem_path}"


def test_cert_fingerprint_reads_the_cluster_certificate(sim, backend_pillar):
    result = datera.cert_fingerprint()
    assert result == {
        "host": sim.host,
        "port": sim.https_port,
        "sha256": sim.cert_fingerprint,
        "pinned": None,
        "matches": None,
    }
    assert datera.cert_fingerprint(cert_fingerprint=sim.cert_fingerprint)["matches"] is True
    assert datera.cert_fingerprint(cert_fingerprint=":".join(["0A"] * 32))["matches"] is False
    assert sim.count() == 0  # no login, no API request


def test_cert_fingerprint_errors(sim):
    port = free_port()
    text = fails(datera.cert_fingerprint, port=port, match="cannot read the certificate")
    assert f"{sim.host}:{port}" in text
    with pytest.raises(SaltInvocationError, match="plain HTTP"):
        datera.cert_fingerprint(scheme="http")


def test_verify_false_warns(sim, backend_pillar, caplog):
    backend_pillar["api"] = {"port": sim.https_port, "verify": False}
    result = datera.login_check()
    assert result["tls"] == "NOT VERIFIED (verify: false)"
    assert any("verification is OFF" in warning for warning in result["warnings"])
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("verification is OFF" in r.getMessage() for r in warned)
    assert datera.system()["warnings"] == result["warnings"]
    # one warning per run, not per call
    assert sum("verification is OFF" in r.getMessage() for r in warned) == 1


def test_plain_http_when_asked(sim, backend_pillar):
    backend_pillar["api"] = {"scheme": "http", "port": sim.http_port}
    result = datera.login_check()
    assert result["url"] == f"http://{sim.host}:{sim.http_port}"
    assert result["tls"] == "none (plain HTTP)"
    assert result["warnings"] == ["plain HTTP: the password is sent unencrypted"]


def test_default_ports_follow_the_scheme(backend_pillar):
    backend_pillar["api"] = {}
    assert datera._settings(None, {}).port == 7718
    assert datera._settings(None, {"scheme": "http"}).port == 7717
    assert datera._settings(None, {"scheme": "http", "port": 8000}).port == 8000


def test_ipv6_literal_is_bracketed(backend_pillar):
    backend_pillar["san_ip"] = "fd00::10"
    assert datera._settings(None, {"port": 7718}).base_url == "https://[fd00::10]:7718"


# --- login, errors ------------------------------------------------------------------------------


def test_wrong_password_is_a_clear_error(sim, backend_pillar):
    backend_pillar["san_password"] = WRONG_PASSWORD
    text = fails(datera.system, match="login as 'admin' refused")
    assert "AuthFailedError" in text and "san_password" in text
    assert f"{sim.host}:{sim.https_port}" in text
    assert logins(sim) == 1


def test_password_override_per_call(sim, backend_pillar):
    backend_pillar["san_password"] = WRONG_PASSWORD
    assert datera.ping(san_password=PASSWORD) is True


def test_pillar_is_not_needed_with_explicit_connection_settings(sim, configure_loader_modules):
    configure_loader_modules[datera]["__salt__"].clear()
    datera.__salt__.clear()
    assert datera.ping(
        san_ip=sim.host,
        san_login="admin",
        san_password=PASSWORD,
        port=sim.https_port,
        ca_bundle=sim.ca_pem_path,
    )


def test_connection_refused_names_host_and_port(backend_pillar):
    port = free_port()
    backend_pillar["api"]["port"] = port
    text = fails(datera.system, match="cannot connect")
    assert f"127.0.0.1:{port}" in text
    assert "Connection refused" in text
    assert "Traceback" not in text


def test_a_server_that_hangs_up_is_not_a_refused_connection(backend_pillar):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)

        def hang_up():
            for _ in range(8):
                try:
                    conn, _ = server.accept()
                except OSError:
                    return
                conn.recv(65536)
                conn.close()

        threading.Thread(target=hang_up, daemon=True).start()
        backend_pillar["api"] = {"scheme": "http", "port": server.getsockname()[1]}
        text = fails(datera.system, match="closed the connection without answering")
    assert "cannot connect" not in text and "Connection refused" not in text
    assert "127.0.0.1:" in text and "Traceback" not in text


def test_timeout_is_bounded(sim):
    sim.faults.delay(3, n=1)
    started = time.monotonic()
    text = fails(datera.system, timeout=0.3, match="no answer within 0.3 s")
    assert time.monotonic() - started < 2
    assert f"{sim.host}:{sim.https_port}" in text


def test_503_storm_shorter_than_the_timeout_succeeds(sim):
    assert datera.ping(**FAST)  # logged in
    sim.reset_counts()
    sim.faults.status_for_next(503, n=3)
    assert datera.system(**FAST)["op_state"] == "running"
    assert sim.count("GET", "/v2.2/system") == 4


def test_initializing_500_is_retried_like_503(sim):
    sim.faults.status_for_next(500, n=2)  # "REST server is still initializing"
    assert datera.capacity(**FAST)["free_gib"] == 9216.0
    assert sim.count("GET", "/v2.2/system") == 3


def test_other_500_is_not_retried(sim):
    sim.faults.status_for_next(500, n=1, message="disk on fire")
    fails(datera.system, match="HTTP 500 InternalError disk on fire", **FAST)
    assert sim.count("GET", "/v2.2/system") == 1


def test_503_storm_longer_than_the_timeout_fails_bounded(sim):
    sim.faults.status_for_next(503, n=1000)
    started = time.monotonic()
    text = fails(
        datera.system, datera_503_interval=0.01, datera_503_timeout=0.05, match="still busy"
    )
    assert time.monotonic() - started < 1
    assert "HTTP 503" in text and "datera_503_timeout 0.05 s" in text
    assert 2 <= sim.count("GET", "/v2.2/system") <= 6  # 1 + timeout / interval at most
    sim.faults.reset()


def test_503_on_login_is_retried(sim):
    sim.faults.status_for_next(503, n=2, include_login=True)
    assert datera.ping(**FAST)
    assert logins(sim) == 3


def test_expired_key_mid_run_logs_in_again_once(sim):
    assert datera.ping()
    sim.faults.expire_tokens()
    assert datera.system()["op_state"] == "running"
    assert logins(sim) == 2
    assert sim.count("GET", "/v2.2/system") == 3  # ok, 401, retried ok
    assert datera.capacity()["total_gib"] == 10240.0
    assert logins(sim) == 2


def test_401_after_a_fresh_login_is_not_retried_again(sim):
    assert datera.ping()
    sim.faults.status_for_next(401, n=5)
    fails(datera.system, match="HTTP 401")
    assert logins(sim) == 2  # exactly one re-login
    assert sim.count("GET", "/v2.2/system") == 3
    sim.faults.reset()


def test_one_login_and_one_session_per_run(sim, context, caplog):
    datera.system()
    datera.capacity()
    datera.tenants()
    datera.app_instances()
    datera.ip_pools()
    datera.initiators()
    assert logins(sim) == 1
    assert sim.count() == 7
    connections = list(context[datera.CONTEXT_KEY].values())
    assert len(connections) == 1
    assert connections[0].logins == 1 and connections[0].requests == 7
    opened = [r for r in caplog.records if "Starting new HTTPS connection" in r.getMessage()]
    assert len(opened) == 1  # keep-alive: one TCP/TLS connection for the whole run
    context.clear()  # the next Salt run
    datera.system()
    assert logins(sim) == 2


def test_headers_tenant_and_driver(sim, backend_pillar):
    with sim.state.lock:
        sim.state.create_tenant({"name": "cinder"})
    backend_pillar["datera_tenant_id"] = "cinder"
    assert datera.app_instances() == []
    entry = sim.log[-1]
    assert entry["headers"]["tenant"] == "/root/cinder"
    assert entry["headers"]["datera-driver"] == "salt-datera-formula"
    assert len(entry["headers"]["auth-token"]) == 32
    login = sim.log[0]
    assert login["path"] == "/v2.2/login" and "tenant" not in login["headers"]
    assert "auth-token" not in login["headers"]


def test_falls_back_to_v21(sim, monkeypatch):
    monkeypatch.setattr(sim.api, "versions", ("v2.1",))  # a cluster that serves v2.1 only
    result = datera.login_check()
    assert result["api_version"] == "v2.1"
    assert logins(sim, "v2.2") == 1 and logins(sim, "v2.1") == 1
    assert sim.count("GET", "/v2.1/system") == 1
    datera.create_volume("OS-v21-volume")
    assert [ai["name"] for ai in datera.app_instances()] == ["OS-v21-volume"]
    assert logins(sim, "v2.2") == 1  # negotiated once per run
    assert datera.api_versions() == {"cluster": ["v2.1"], "negotiated": "v2.1"}


def test_no_supported_version_is_an_error(sim, monkeypatch):
    monkeypatch.setattr(sim_api, "VERSIONS", ("v2.3",))
    fails(datera.ping, match="login failed: HTTP 404")


def test_api_versions(sim):
    assert datera.api_versions() == {"cluster": ["v2.1", "v2.2"], "negotiated": "v2.2"}


# --- reads --------------------------------------------------------------------------------------


def test_capacity(sim):
    assert datera.capacity() == {
        "total_bytes": 10240 * 2**30,
        "used_bytes": 1024 * 2**30,
        "free_bytes": 9216 * 2**30,
        "total_gib": 10240.0,
        "used_gib": 1024.0,
        "free_gib": 9216.0,
        "free_percent": 90.0,
    }
    assert datera.system()["capacity"]["free_percent"] == 90.0


def test_paging_through_pages(sim):
    for i in range(5):
        datera.create_volume(f"OS-page-{i}")
    sim.reset_counts()
    names = [ai["name"] for ai in datera.app_instances(page_size=2)]
    assert sorted(names) == [f"OS-page-{i}" for i in range(5)]
    assert sim.count("GET", "/v2.2/app_instances") == 3


def test_paging_with_the_cluster_default_page_size(sim):
    with sim.state.lock:
        for i in range(105):
            sim.state.create_ai("/root", {"name": f"OS-bulk-{i:03d}"})
    assert len(datera.app_instances()) == 105
    assert sim.count("GET", "/v2.2/app_instances") == 2


def test_tenants_ip_pools_initiators(sim):
    assert [t["path"] for t in datera.tenants()] == ["/root"]
    assert [p["name"] for p in datera.ip_pools()] == ["default"]
    assert datera.initiators() == []


# --- volumes ------------------------------------------------------------------------------------


def test_create_read_delete_volume(sim):
    created = datera.create_volume("OS-unit-vol", size=3)
    assert created["name"] == "OS-unit-vol"
    assert created["size_gib"] == 3
    assert created["replica_count"] == 2  # the backend's replica_count
    assert created["admin_state"] == "offline"
    assert datera.app_instance("OS-unit-vol")["id"] == created["id"]
    online = datera.create_volume("OS-unit-on", replica_count=1, online=True)
    assert online["admin_state"] == "online" and online["op_state"] == "available"
    assert online["ips"] and online["iqn"].startswith("iqn.")
    sim.reset_counts()
    assert datera.delete_volume("OS-unit-on") is True
    assert [m for m, _ in sim.requests] == ["PUT", "DELETE"]  # offline first
    assert sim.log[0]["body"] == {"admin_state": "offline", "force": True}
    assert datera.delete_volume("OS-unit-on") is False
    with pytest.raises(datera.DateraNotFound, match="HTTP 404"):
        datera.app_instance("OS-unit-on")


def test_create_volume_conflict(sim):
    datera.create_volume("OS-twice")
    fails(datera.create_volume, "OS-twice", match="HTTP 409")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": "x"},
        {"name": "../system"},
        {"name": "ok-name", "size": 0},
        {"name": "ok-name", "size": 40000},
        {"name": "ok-name", "replica_count": 6},
    ],
)
def test_create_volume_bad_arguments(sim, kwargs):
    with pytest.raises(SaltInvocationError):
        datera.create_volume(**kwargs)
    assert sim.count() == 0


def test_unknown_option_is_refused(sim):
    with pytest.raises(SaltInvocationError, match="unknown option"):
        datera.system(passwd="x")
    assert datera.ping(__pub_fun="datera.ping", __pub_jid="1")  # Salt's own kwargs ignored


def test_smoke_test(sim):
    assert datera.ping()
    result = datera.smoke_test()
    assert result["ok"] is True
    assert result["volume"].startswith("salt-smoke-")
    assert set(result["seconds"]) == {"create", "online", "available", "delete", "total"}
    assert result["requests"] == 5  # create, online, poll, offline, delete
    assert result["tls"].startswith("verified with CA bundle")
    assert not sim.state.app_instances.get("/root")


def test_smoke_test_failure_cleans_up(sim, monkeypatch):
    def never_available(si, admin_state):
        si["admin_state"] = admin_state
        si["op_state"] = "unavailable"

    monkeypatch.setattr(sim.state, "set_si_state", never_available)
    text = fails(datera.smoke_test, timeout=0.2, poll=0.05, match="failed at step 'available'")
    assert "not available after 0.2 s" in text and "deleted" in text
    assert not sim.state.app_instances.get("/root")


# --- edge cases a simulator does not produce ----------------------------------------------------


@responses.activate
def test_secrets_echoed_by_the_server_are_masked(backend_pillar):
    backend_pillar["datera_ldap_server"] = "corp-ldap"
    backend_pillar["api"] = {"scheme": "http", "port": 7717}
    responses.put(
        "http://127.0.0.1:7717/v2.2/login",
        status=401,
        json={"name": "AuthFailedError", "message": f"bad password {PASSWORD} for admin"},
    )
    text = fails(datera.ping, match="via LDAP server corp-ldap refused")
    assert "******" in text
    sent = responses.calls[0].request
    assert b'"remote_server": "corp-ldap"' in sent.body


@responses.activate
def test_login_without_key_and_non_json_answers(backend_pillar):
    backend_pillar["api"] = {"scheme": "http", "port": 7717}
    responses.put("http://127.0.0.1:7717/v2.2/login", json={"version": "v2.2"})
    fails(datera.ping, match="without a key")
    responses.replace(responses.PUT, "http://127.0.0.1:7717/v2.2/login", json={"key": "k" * 32})
    responses.get("http://127.0.0.1:7717/v2.2/system", body="<html>proxy</html>")
    fails(datera.ping, match="not JSON")
